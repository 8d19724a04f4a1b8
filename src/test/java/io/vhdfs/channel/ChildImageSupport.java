package io.vhdfs.channel;

import static io.vhdfs.testing.Chains.assertSameBytes;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.VhdxTools;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

/**
 * Differencing images whose disk is given bytes, for the channel contracts: a dynamic parent
 * holds part of the content and random bytes elsewhere, and a child created over it with this
 * library holds the rest, so reads and writes meet every way a child's sector can come to be: its
 * own data (over random parent bytes, zeros included), a clear bit over the parent's data, an
 * unallocated child block over the parent's data, and over a parent block that is unallocated.
 */
final class ChildImageSupport {
  /** The child's blocks; the parent has the same. */
  static final int BLOCK = 512 * 1024;
  private static final int SECTOR = 512;

  private ChildImageSupport() {}

  /** A parent and its child, the child's disk reading as the content asked for. */
  record Made(Path parent, Path child, byte[] parentContent) {}

  /**
   * Makes {@code parent.vhd} and {@code child.vhd} in a new directory under {@code dir}; the
   * child's disk reads exactly {@code content}.
   */
  static Made make(Path dir, byte[] content) throws IOException {
    Path d = Files.createTempDirectory(dir, "chain-");
    Path parent = d.resolve("parent.vhd");
    Path child = d.resolve("child.vhd");
    boolean[] fromParent = new boolean[content.length / SECTOR];
    byte[] under = parentFor(content, fromParent, BLOCK);
    Chains.createDynamic(parent, content.length, BLOCK);
    try (FileSystem fs = Chains.open(parent);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      WritableImageSupport.writeNonZeroSectors(ch, under);
    }
    Chains.createChild(child, "parent.vhd", BLOCK);
    return writeChild(parent, child, content, fromParent, under);
  }

  /**
   * As {@link #make} for VHDX: {@code parent.vhdx} converted by qemu-img (1 MiB blocks) and a
   * {@code child.vhdx} created by this library over it, the pattern in 1 MiB blocks.
   */
  static Made makeVhdx(Path dir, byte[] content) throws IOException {
    Path d = Files.createTempDirectory(dir, "vhdx-chain-");
    Path parent = d.resolve("parent.vhdx");
    Path child = d.resolve("child.vhdx");
    boolean[] fromParent = new boolean[content.length / SECTOR];
    byte[] under = parentFor(content, fromParent, 2 * BLOCK);
    Path raw = Files.write(d.resolve("parent.raw"), under);
    VhdxTools.require().convertFromRaw(raw, parent, "block_size=1M");
    Files.delete(raw);
    VhdImages.create(child, Map.of("type", "differencing", "parent", "parent.vhdx",
        "blockSize", "1M"));
    return writeChild(parent, child, content, fromParent, under);
  }

  private static Made writeChild(Path parent, Path child, byte[] content, boolean[] fromParent,
      byte[] under) throws IOException {
    try (FileSystem fs = Chains.open(child);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      for (int s = 0; s < fromParent.length; ) {
        if (fromParent[s]) {
          s++;
          continue;
        }
        int e = s;
        while (e < fromParent.length && !fromParent[e]) {
          e++;
        }
        Chains.writeFully(ch, (long) s * SECTOR,
            Arrays.copyOfRange(content, s * SECTOR, e * SECTOR));
        s = e;
      }
    }
    assertSameBytes(content, Chains.readDisk(child), 0, "fixture: the child " + child);
    return new Made(parent, child, under);
  }

  /**
   * What the parent holds: every third child block the content itself (the child leaves it
   * unallocated); elsewhere runs of sectors alternate between the content (the child's bit stays
   * clear) and random bytes (the child writes the content over them, zeros too).
   */
  private static byte[] parentFor(byte[] content, boolean[] fromParent, int unit) {
    Random random = new Random(0x5EED);
    byte[] under = new byte[content.length];
    byte[] noise = new byte[SECTOR];
    for (int s = 0; s < fromParent.length; s++) {
      int block = s * SECTOR / unit;
      boolean zero = isZero(content, s);
      fromParent[s] = block % 3 == 2 || (zero ? (s / 64) % 2 == 0 : (s / 16) % 2 == 0);
      if (fromParent[s]) {
        System.arraycopy(content, s * SECTOR, under, s * SECTOR, SECTOR);
      } else {
        random.nextBytes(noise);
        noise[0] |= 1; // never all zeros, so the child's sector differs from the parent's
        System.arraycopy(noise, 0, under, s * SECTOR, SECTOR);
      }
    }
    return under;
  }

  private static boolean isZero(byte[] b, int sector) {
    for (int i = sector * SECTOR; i < (sector + 1) * SECTOR; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
