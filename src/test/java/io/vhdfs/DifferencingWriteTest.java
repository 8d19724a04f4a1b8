package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.ChainWorkload.Chain;
import io.vhdfs.ChainWorkload.Write;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.ImageLayout;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Writes into differencing images (issue 4): a child reads its own sectors where it holds them
 * and its parent's everywhere else, a write sets the bits of exactly the sectors it touches
 * (merging a partly written sector with the parent's bytes), zeros are written like any data, and
 * no parent file ever changes. Parents stay still while children are open: no writer on a parent
 * of an open child, no child opened or created over a parent with a writer.
 *
 * <p>The random workloads take their seed from {@link SeedExtension}; a failure prints it
 * ({@code -Dvhdfs.seed=N} replays it).
 */
@ExtendWith(SeedExtension.class)
final class DifferencingWriteTest {
  private static final int SECTOR = 512;
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final int TOP_WRITES = 60;

  @TempDir Path dir;

  /** Chains the random workloads run on: children over a qemu-made base. */
  enum Shape {
    DEPTH_1_512K_OVER_DYNAMIC(1, 512 * KIB, ""),
    DEPTH_1_4K_OVER_FIXED(1, 4 * KIB, "subformat=fixed"),
    DEPTH_3_512K_OVER_FIXED(3, 512 * KIB, "subformat=fixed"),
    DEPTH_3_4K_OVER_DYNAMIC(3, 4 * KIB, "");

    final int depth;
    final int block;
    final String subformat;

    Shape(int depth, int block, String subformat) {
      this.depth = depth;
      this.block = block;
      this.subformat = subformat;
    }
  }

  // ---------------------------------------------------------------- random workloads

  @ParameterizedTest(name = "{0}")
  @EnumSource(Shape.class)
  void seededWritesIntoAChildReadBackAsTheMirrorAndLeaveEveryParentByteIdentical(Shape shape,
      SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    Chain chain = ChainWorkload.qemuChain(qemu, dir, random, shape.depth, shape.block, false,
        shape.subformat);
    Map<Path, String> parents = Chains.hashes(chain.parents());
    assertSameBytes(chain.mirror, Chains.readDisk(chain.top()), 0,
        "fixture: the new top of " + chain.images);

    List<Write> writes = new ArrayList<>();
    TreeSet<Long> blocks = new TreeSet<>();
    try (FileSystem fs = Chains.open(chain.top());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      for (int i = 0; i < TOP_WRITES; i++) {
        Write w = ChainWorkload.random(random, i, chain.mirror.length, shape.block, writes);
        ChainWorkload.apply(ch, w, random);
        ChainWorkload.mirror(chain.mirror, w);
        writes.add(w);
        for (long b = w.offset() / shape.block; b <= (w.end() - 1) / shape.block; b++) {
          blocks.add(b);
        }
        if (i % 4 == 3) {
          checkRandomRanges(ch, chain.mirror, random, shape.block, "after write " + w);
        }
      }
      assertSameBytes(chain.mirror, Chains.readAll(ch), 0,
          "the channel that wrote " + writes.size() + " writes, the last " + writes.get(
              writes.size() - 1));
    }
    assertSameBytes(chain.mirror, Chains.readDisk(chain.top()), 0,
        "a new file system on the closed child " + chain.top());
    assertEquals(blocks.size(), Chains.allocatedBlocks(chain.top()),
        "vhd:allocatedBlocks of the child: exactly the blocks its writes touched " + blocks);
    Chains.assertUnchanged(parents, "by writes into the child " + chain.top());
  }

  /** A few random windows of the disk must read as the mirror. */
  private static void checkRandomRanges(FileChannel ch, byte[] mirror, Random random, int block,
      String when) throws IOException {
    for (int k = 0; k < 3; k++) {
      int length = 1 + random.nextInt(3 * block + 4 * KIB);
      long offset = (long) (random.nextDouble() * (mirror.length - length + 1));
      byte[] got = Chains.read(ch, offset, length);
      assertSameBytes(Arrays.copyOfRange(mirror, (int) offset, (int) offset + length), got,
          offset, "reading [" + offset + ", " + (offset + length) + ") " + when);
    }
  }

  // ---------------------------------------------------------------- sectors and bits

  @Test
  void partialSectorWriteIntoASectorTheChildLacksKeepsTheParentsOtherBytes(SeededRandom random)
      throws IOException {
    byte[] mirror = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 512 * KIB);
    long unallocated = 3L * 512 * KIB + 7 * SECTOR + 37; // block 3, which the child lacks
    long clearBit = 512L * KIB + 9 * SECTOR + 400; // block 1 holds sector 0 only
    long straddling = 512L * KIB + 20 * SECTOR + 450; // tail of sector 20, head of sector 21
    try (FileSystem fs = Chains.open(child);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      write(ch, mirror, unallocated, bytes(random, 100));
      write(ch, mirror, 512L * KIB, bytes(random, SECTOR));
      write(ch, mirror, clearBit, bytes(random, 50));
      write(ch, mirror, straddling, bytes(random, 200));
      for (long at : new long[] {unallocated, clearBit, straddling}) {
        long from = at / SECTOR * SECTOR - SECTOR;
        assertSameBytes(Arrays.copyOfRange(mirror, (int) from, (int) from + 4 * SECTOR),
            Chains.read(ch, from, 4 * SECTOR), from,
            "the sectors around a partial write at " + at + " (parent's bytes kept around it)");
      }
    }
    assertSameBytes(mirror, Chains.readDisk(child), 0, "the child, reopened");
  }

  @Test
  void zeroWriteIntoABlockTheParentHoldsAllocatesItInTheChildAndReadsZeros(SeededRandom random)
      throws IOException {
    byte[] mirror = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 512 * KIB);
    assertEquals(0, Chains.allocatedBlocks(child), "fixture: a new child holds no block");
    long at = 512L * KIB + 8 * KIB;
    try (FileSystem fs = Chains.open(child);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      write(ch, mirror, at, new byte[4 * KIB]);
      assertEquals(1L, ((Number) Files.getAttribute(fs.getPath("/disk"),
          "vhd:allocatedBlocks")).longValue(), "vhd:allocatedBlocks while the writer is open");
      assertArrayEquals(new byte[4 * KIB], Chains.read(ch, at, 4 * KIB),
          "the zeros written, not the parent's bytes beneath them");
      assertSameBytes(Arrays.copyOfRange(mirror, 512 * KIB, MIB), Chains.read(ch, 512 * KIB,
          512 * KIB), 512 * KIB, "the rest of the block: the parent's bytes");
    }
    assertEquals(1, Chains.allocatedBlocks(child), "vhd:allocatedBlocks after close");
    assertSameBytes(mirror, Chains.readDisk(child), 0, "the child, reopened");
  }

  @Test
  void oneSectorWriteInTheMiddleOfANewBlockSetsOnlyThatSectorsBit(SeededRandom random)
      throws IOException {
    randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 512 * KIB);
    byte[] data = bytes(random, SECTOR);
    Chains.write(child, 2L * 512 * KIB + 37 * SECTOR, data);

    long bitmapAt = onlyAllocatedBlock(child, 2);
    byte[] bitmap = HostBytes.read(child, bitmapAt, ImageLayout.bitmapBytes(512 * KIB));
    assertArrayEquals(bitmapWith(37), bitmap,
        "block 2's sector bitmap in the file: only sector 37's bit set");
    assertArrayEquals(data, HostBytes.read(child, bitmapAt + bitmap.length + 37 * SECTOR, SECTOR),
        "sector 37's data in the file");
  }

  @Test
  void unalignedWriteIntoAPartlyHeldBlockAddsTheBitsOfTheSectorsItTouches(SeededRandom random)
      throws IOException {
    byte[] mirror = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 512 * KIB);
    long block = 2L * 512 * KIB;
    try (FileSystem fs = Chains.open(child);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      write(ch, mirror, block + 37 * SECTOR, bytes(random, SECTOR));
      write(ch, mirror, block + 100 * SECTOR + 300, bytes(random, 1000)); // sectors 100..102
      write(ch, mirror, block + 200 * SECTOR + 7, bytes(random, 1)); // one byte of sector 200
    }
    long bitmapAt = onlyAllocatedBlock(child, 2);
    byte[] bitmap = HostBytes.read(child, bitmapAt, ImageLayout.bitmapBytes(512 * KIB));
    assertArrayEquals(bitmapWith(37, 100, 101, 102, 200), bitmap,
        "block 2's sector bitmap in the file: the bits of sectors 37, 100-102 and 200 only");
    assertSameBytes(mirror, Chains.readDisk(child), 0, "the child, reopened");
  }

  /** The host offset of block {@code block}'s bitmap; fails if any other block is allocated. */
  private static long onlyAllocatedBlock(Path child, int block) throws IOException {
    int[] bat = ImageLayout.bat(child, ImageLayout.header(child));
    for (int i = 0; i < bat.length; i++) {
      if (i != block && bat[i] != -1) {
        fail("block " + i + " is allocated too (BAT entry " + bat[i] + "); only " + block
            + " was written");
      }
    }
    assertTrue(bat[block] != -1, "block " + block + " was written but is not in the BAT");
    return Integer.toUnsignedLong(bat[block]) * SECTOR;
  }

  /** A 512 KiB block's bitmap (one sector) with the bits of {@code sectors} set, MSB first. */
  private static byte[] bitmapWith(int... sectors) {
    byte[] b = new byte[ImageLayout.bitmapBytes(512 * KIB)];
    for (int s : sectors) {
      b[s / 8] |= (byte) (0x80 >>> (s % 8));
    }
    return b;
  }

  // ---------------------------------------------------------------- libvhdi

  /**
   * libvhdi, given the chain with {@code set_parent}, reads the child as the mirror. The writes
   * are 4 KiB-aligned: libvhdi 20210425 misreads a clear bit after a set one in the same bitmap
   * byte, so only whole bitmap bytes are compared with it.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Shape.class)
  void libvhdiReadsTheChildLikeTheMirrorAfter4KiBAlignedWrites(Shape shape, SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Libvhdi libvhdi = Libvhdi.require();
    Chain chain = ChainWorkload.qemuChain(qemu, dir, random, shape.depth, shape.block, true,
        shape.subformat);
    chain.writeTop(random, 30, shape.block, true);
    assertSameBytes(chain.mirror, Chains.readDisk(chain.top()), 0, "this library");

    List<Window> windows = Libvhdi.chunks(chain.mirror.length, 256 * KIB);
    Path raw = Files.write(dir.resolve("mirror.raw"), chain.mirror);
    List<String> expected;
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      expected = Libvhdi.hashes(ch, windows);
    }
    Libvhdi.Reading reading = libvhdi.readChain(Chains.topFirst(chain.images), windows, shape.block,
        dir);
    assertEquals(chain.mirror.length, reading.mediaSize(), "libvhdi's media size of the child");
    List<String> got = reading.lines();
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), i < got.size() ? got.get(i) : "(missing)",
          "libvhdi's hash of the window at " + windows.get(i).offset() + " of the child "
              + chain.top() + " (writes " + chain.writes + ")");
    }
  }

  // ---------------------------------------------------------------- parents stay still

  @Test
  void writableChannelOnAParentIsRefusedWhileAChildHasAChannelOpenAndAllowedAfter(
      SeededRandom random) throws IOException {
    randomParent(random);
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    String parentHash = Chains.sha256(parent);
    try (FileSystem childFs = Chains.open(child);
        FileSystem parentFs = Chains.open(parent)) {
      Path parentDisk = parentFs.getPath("/disk");
      try (FileChannel reader = FileChannel.open(childFs.getPath("/disk"),
          StandardOpenOption.READ)) {
        for (StandardOpenOption[] options : List.of(
            new StandardOpenOption[] {StandardOpenOption.WRITE},
            new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE})) {
          FileSystemException e = assertThrows(FileSystemException.class,
              () -> FileChannel.open(parentDisk, options).close(),
              "a writable channel " + Arrays.toString(options) + " on the parent of an open "
                  + "child");
          assertTrue(e.getMessage().contains("the parent of an open differencing image"),
              "message: " + e.getMessage());
        }
        // Readers of the parent are welcome.
        try (FileChannel parentReader = FileChannel.open(parentDisk, StandardOpenOption.READ)) {
          assertArrayEquals(Chains.read(reader, 0, 4096), Chains.read(parentReader, 0, 4096),
              "child and parent read the same where the child holds nothing");
        }
      }
      assertEquals(parentHash, Chains.sha256(parent), "the refused writers changed the parent");
      try (FileChannel writer = FileChannel.open(parentDisk, StandardOpenOption.WRITE)) {
        Chains.writeFully(writer, 0, new byte[] {1, 2, 3});
      }
    }
    byte[] disk = Chains.readDisk(child);
    assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOf(disk, 3),
        "once the child closed, the parent took the write, and the child reads it");
  }

  @Test
  void writableChannelOnAGrandparentIsRefusedWhileAGrandchildHasAChannelOpen(
      SeededRandom random) throws IOException {
    randomParent(random);
    Path parent = dir.resolve("parent.vhd");
    Path middle = dir.resolve("middle.vhd");
    Path child = dir.resolve("child.vhd");
    Chains.createChild(middle, "parent.vhd", 512 * KIB);
    Chains.write(middle, 4096, bytes(random, 4096));
    Chains.createChild(child, "middle.vhd", 4 * KIB);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, middle));
    try (FileSystem childFs = Chains.open(child);
        FileChannel reader = FileChannel.open(childFs.getPath("/disk"),
            StandardOpenOption.READ)) {
      for (Path image : List.of(parent, middle)) {
        try (FileSystem fs = Chains.open(image)) {
          FileSystemException e = assertThrows(FileSystemException.class,
              () -> FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE).close(),
              "a writable channel on " + image + " under an open grandchild");
          assertTrue(e.getMessage().contains("the parent of an open differencing image"),
              "message: " + e.getMessage());
        }
      }
      assertTrue(reader.isOpen(), "the grandchild's reader outlives the refusals");
    }
    Chains.assertUnchanged(hashes, "by refused writers");
  }

  @Test
  void openingAChildIsRefusedWhileItsParentHasAWritableChannel(SeededRandom random)
      throws IOException {
    byte[] mirror = randomParent(random);
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    String childHash = Chains.sha256(child);
    byte[] change = bytes(random, 700);
    try (FileSystem openBefore = Chains.open(child);
        FileSystem parentFs = Chains.open(parent)) {
      try (FileChannel writer = FileChannel.open(parentFs.getPath("/disk"),
          StandardOpenOption.WRITE)) {
        FileSystemException e = assertThrows(FileSystemException.class,
            () -> Chains.open(child).close(), "a new file system on the child");
        assertTrue(e.getMessage().contains("open for writing in this JVM"),
            "message: " + e.getMessage());
        e = assertThrows(FileSystemException.class,
            () -> FileChannel.open(openBefore.getPath("/disk"), StandardOpenOption.READ).close(),
            "a channel on a file system opened on the child before the parent's writer");
        assertTrue(e.getMessage().contains("open for writing in this JVM"),
            "message: " + e.getMessage());
        Chains.writeFully(writer, 10_000, change);
        System.arraycopy(change, 0, mirror, 10_000, change.length);
      }
      // The writer is gone: the child opens and sees the parent as it is now.
      try (FileChannel ch = FileChannel.open(openBefore.getPath("/disk"),
          StandardOpenOption.READ)) {
        assertSameBytes(mirror, Chains.readAll(ch), 0, "the child after the parent's writer");
      }
    }
    assertEquals(childHash, Chains.sha256(child), "refused opens changed the child");
  }

  @Test
  void creatingAChildIsRefusedWhileItsParentHasAWritableChannel(SeededRandom random)
      throws IOException {
    randomParent(random);
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    try (FileSystem parentFs = Chains.open(parent)) {
      try (FileChannel writer = FileChannel.open(parentFs.getPath("/disk"),
          StandardOpenOption.WRITE)) {
        FileSystemException e = assertThrows(FileSystemException.class,
            () -> Chains.createChild(child, "parent.vhd", null),
            "creating a child over a parent with a writable channel");
        assertTrue(e.getMessage().contains("open for writing in this JVM"),
            "message: " + e.getMessage());
        assertFalse(Files.exists(child), "the refused creation left a file behind");
        assertTrue(writer.isOpen());
      }
    }
    Chains.createChild(child, "parent.vhd", null);
    assertSameBytes(Chains.readDisk(parent), Chains.readDisk(child), 0,
        "the child created once the writer closed");
  }

  /** A parent is one image however it is opened: the rules hold across size rules too. */
  @Test
  void parentRulesHoldForFileSystemsOpenedWithAnotherSizeRule(SeededRandom random)
      throws IOException {
    randomParent(random);
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, child));
    for (String rule : List.of("chs", "currentSize")) {
      try (FileSystem parentFs = Chains.vhd().newFileSystem(parent, Map.of("sizeFrom", rule))) {
        try (FileSystem childFs = Chains.open(child);
            FileChannel reader = FileChannel.open(childFs.getPath("/disk"),
                StandardOpenOption.READ)) {
          FileSystemException e = assertThrows(FileSystemException.class,
              () -> FileChannel.open(parentFs.getPath("/disk"), StandardOpenOption.WRITE).close(),
              "a writer on the parent opened with sizeFrom=" + rule + " under an open child");
          assertTrue(e.getMessage().contains("the parent of an open differencing image"),
              "message: " + e.getMessage());
        }
        try (FileChannel writer = FileChannel.open(parentFs.getPath("/disk"),
            StandardOpenOption.WRITE)) {
          FileSystemException e = assertThrows(FileSystemException.class,
              () -> Chains.open(child).close(),
              "opening the child while sizeFrom=" + rule + " has a writer on the parent");
          assertTrue(e.getMessage().contains("open for writing in this JVM"),
              "message: " + e.getMessage());
          assertTrue(writer.isOpen());
        }
      }
    }
    Chains.assertUnchanged(hashes, "by refused opens");
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A 4 MiB dynamic {@code parent.vhd} with 512 KiB blocks, every byte random; returns its
   * content.
   */
  private byte[] randomParent(Random random) throws IOException {
    Path parent = dir.resolve("parent.vhd");
    Chains.createDynamic(parent, 4 * MIB, 512 * KIB);
    byte[] content = bytes(random, 4 * MIB);
    Chains.write(parent, 0, content);
    return content;
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static void write(FileChannel ch, byte[] mirror, long at, byte[] data)
      throws IOException {
    ByteBuffer src = ByteBuffer.wrap(data);
    while (src.hasRemaining()) {
      ch.write(src, at + src.position());
    }
    System.arraycopy(data, 0, mirror, (int) at, data.length);
  }
}
