package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/**
 * Sector bitmaps with clear bits, which qemu never writes (it sets whole bitmaps) but Hyper-V,
 * blktap and other writers do. DESIGN.md §3: a clear bit reads as zeros. The image is made by
 * qemu-img from random content, then some bitmaps are rewritten while the data under clear bits
 * is left non-zero, so a reader that ignores the bitmap (as QEMU does) is caught.
 */
@ExtendWith(SeedExtension.class)
final class PartialBitmapReadTest {
  private static final int SECTOR = 512;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void clearBitmapBitsReadAsZerosWhateverTheDataBehindThem(SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    byte[] content = new byte[12 * MIB + 3 * SECTOR]; // seven 2 MiB blocks, the last one short
    random.nextBytes(content);
    Path raw = Files.write(dir.resolve("content.raw"), content);
    Path image = dir.resolve("bitmaps.vhd");
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", "-o", "force_size=on", raw.toString(),
        image.toString());

    byte[] expected = content.clone();
    List<String> layout = rewriteBitmaps(image, expected, random);

    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    String context = random + ", bitmaps " + layout;
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertEquals(expected.length, ch.size());
      // Whole disk in 1 MiB steps, then short reads at odd offsets so runs start and end
      // inside sectors and inside bitmap bytes.
      for (int at = 0; at < expected.length; at += MIB) {
        check(ch, at, Math.min(MIB, expected.length - at), expected, context);
      }
      for (int i = 0; i < 2000; i++) {
        int at = random.nextInt(expected.length);
        int length = 1 + random.nextInt(random.nextBoolean() ? 5000 : 3 * MIB);
        check(ch, at, Math.min(length, expected.length - at), expected, context);
      }
    }
  }

  private static void check(FileChannel ch, int at, int length, byte[] expected, String context)
      throws IOException {
    ByteBuffer dst = ByteBuffer.allocate(length);
    int n = ch.read(dst, at);
    assertEquals(length, n, "count of a read of " + length + " at " + at + ", " + context);
    int mismatch = Arrays.mismatch(expected, at, at + length, dst.array(), 0, length);
    if (mismatch >= 0) {
      long where = (long) at + mismatch;
      fail(String.format("byte %d (block %d, sector %d of it) differs: expected 0x%02x, got 0x%02x"
              + " in a read of %d at %d, %s", where, where / (2 * MIB), (where % (2 * MIB)) / SECTOR,
          expected[(int) where], dst.get(mismatch), length, at, context));
    }
  }

  /**
   * Gives every allocated block a bitmap of a different shape and zeroes, in {@code expected},
   * the sectors whose bit is now clear. Returns the shape per block, for messages.
   */
  private static List<String> rewriteBitmaps(Path image, byte[] expected, Random random)
      throws IOException {
    List<String> shapes = new ArrayList<>(List.of("all-set", "all-clear", "first-sector-only",
        "random-bytes", "random-runs", "alternating", "all-but-last"));
    Collections.shuffle(shapes, random);
    List<String> layout = new ArrayList<>();
    try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      // Just enough of the format to find bitmaps: footer copy at 0 -> header -> BAT.
      long headerAt = readAt(file, 16, 8).getLong();
      ByteBuffer header = readAt(file, headerAt, 40);
      long batAt = header.getLong(16);
      int entries = header.getInt(28);
      int blockSize = header.getInt(32);
      int sectorsPerBlock = blockSize / SECTOR;
      int bitmapBytes = ((sectorsPerBlock / 8) + SECTOR - 1) / SECTOR * SECTOR;
      ByteBuffer bat = readAt(file, batAt, entries * 4);
      for (int block = 0; block < entries; block++) {
        long entry = Integer.toUnsignedLong(bat.getInt(block * 4));
        if (entry == 0xFFFF_FFFFL) {
          layout.add("unallocated");
          continue;
        }
        String shape = shapes.get(block % shapes.size());
        byte[] bitmap = bitmap(shape, sectorsPerBlock, bitmapBytes, random);
        file.write(ByteBuffer.wrap(bitmap), entry * SECTOR);
        layout.add(shape);
        for (int s = 0; s < sectorsPerBlock; s++) {
          long virtual = (long) block * blockSize + (long) s * SECTOR;
          boolean set = (bitmap[s >>> 3] & (0x80 >>> (s & 7))) != 0;
          if (!set && virtual < expected.length) {
            Arrays.fill(expected, (int) virtual, (int) virtual + SECTOR, (byte) 0);
          }
        }
      }
    }
    return layout;
  }

  private static byte[] bitmap(String shape, int sectors, int bytes, Random random) {
    byte[] b = new byte[bytes];
    int used = sectors / 8;
    switch (shape) {
      case "all-set" -> Arrays.fill(b, 0, used, (byte) 0xFF);
      case "all-clear" -> { }
      case "first-sector-only" -> b[0] = (byte) 0x80;
      case "random-bytes" -> {
        for (int i = 0; i < used; i++) {
          b[i] = (byte) random.nextInt(256);
        }
      }
      case "random-runs" -> {
        boolean set = random.nextBoolean();
        for (int s = 0; s < sectors; ) {
          int run = 1 + random.nextInt(random.nextBoolean() ? 9 : 400);
          for (int k = s; k < Math.min(sectors, s + run); k++) {
            if (set) {
              b[k >>> 3] |= (byte) (0x80 >>> (k & 7));
            }
          }
          s += run;
          set = !set;
        }
      }
      case "alternating" -> {
        for (int i = 0; i < used; i++) {
          b[i] = (byte) (i % 2 == 0 ? 0xAA : 0x55);
        }
      }
      case "all-but-last" -> {
        Arrays.fill(b, 0, used, (byte) 0xFF);
        b[used - 1] = (byte) 0xFE;
      }
      default -> throw new AssertionError(shape);
    }
    return b;
  }

  private static ByteBuffer readAt(FileChannel file, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      assertTrue(file.read(b, at + b.position()) > 0, "image ended at " + (at + b.position()));
    }
    return b.flip();
  }
}
