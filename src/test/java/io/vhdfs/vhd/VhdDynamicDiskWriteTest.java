package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Formats;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What writes do to the image file: order, placement, bits and the lazily written BAT. */
class VhdDynamicDiskWriteTest {
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 2 * MIB;
  private static final int BAT_AT = 1536;

  @TempDir Path dir;

  private Path image;
  private HostFile host;

  private VirtualDisk create(long size, int blockSize) throws IOException {
    image = dir.resolve("w.vhd");
    VhdCreator.create(image, DiskType.DYNAMIC, size, blockSize, true);
    return openWritable();
  }

  private VirtualDisk openWritable() throws IOException {
    host = HostFile.openForReading(image);
    VirtualDisk disk = Formats.openAlone(host, SizeRule.AUTO);
    disk.enableWrites();
    return disk;
  }

  private static void write(VirtualDisk disk, long pos, byte[] b) throws IOException {
    ByteBuffer src = ByteBuffer.wrap(b);
    assertEquals(b.length, disk.write(src, pos));
    assertEquals(0, src.remaining());
  }

  private static byte[] read(VirtualDisk disk, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    assertEquals(len, disk.read(b, pos));
    return b.array();
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private long batEntry(int block) throws IOException {
    byte[] f = Files.readAllBytes(image);
    return Bat.decode(Arrays.copyOfRange(f, BAT_AT + 4 * block, BAT_AT + 4 * block + 4), 1)
        .bitmapOffset(0);
  }

  /** The file ends in a footer that decodes and is byte-identical to the copy at offset 0. */
  private void assertFootersValidAndIdentical() throws IOException {
    byte[] f = Files.readAllBytes(image);
    byte[] end = Arrays.copyOfRange(f, f.length - 512, f.length);
    Footer.decode(end, 0, image.toString(), f.length - 512);
    assertArrayEquals(Arrays.copyOfRange(f, 0, 512), end, "footer copy differs from the end");
  }

  @Test
  void newBlockEntryReachesTheFileOnlyAtFlush() throws IOException {
    try (VirtualDisk disk = create(8 * MIB, BLOCK)) {
      write(disk, BLOCK + 4096, random(4096, 1));
      assertEquals(-1, batEntry(1), "BAT entry written before any flush");
      assertFootersValidAndIdentical();
      disk.flush();
      long bitmapAt = batEntry(1);
      assertTrue(bitmapAt > 0, "entry not written by flush");
      assertEquals(0, (bitmapAt + 512) % 4096, "block data not on a 4 KiB boundary");
      assertEquals(bitmapAt + 512 + BLOCK, Files.size(image) - 512, "footer not right after the block");
      assertFootersValidAndIdentical();
    }
  }

  @Test
  void closeWritesPendingEntries() throws IOException {
    byte[] data = random(3 * 512, 2);
    try (VirtualDisk disk = create(8 * MIB, BLOCK)) {
      write(disk, 3 * BLOCK, data);
    }
    assertTrue(batEntry(3) > 0);
    try (VirtualDisk disk = openWritable()) {
      assertArrayEquals(data, read(disk, 3 * BLOCK, data.length));
    }
  }

  @Test
  void writeSetsOnlyTheBitsOfTheSectorsItCovers() throws IOException {
    byte[] data = random(1000, 3);
    try (VirtualDisk disk = create(4 * MIB, BLOCK)) {
      write(disk, 700, data); // bytes 700..1699: sectors 1, 2 and 3
      disk.flush();
      byte[] bitmap = Arrays.copyOfRange(Files.readAllBytes(image), (int) batEntry(0),
          (int) batEntry(0) + 512);
      byte[] expected = new byte[512];
      expected[0] = 0b0111_0000;
      assertArrayEquals(expected, bitmap);
      byte[] sectors = read(disk, 0, 4 * 512);
      byte[] want = new byte[4 * 512];
      System.arraycopy(data, 0, want, 700, data.length);
      assertArrayEquals(want, sectors, "unwritten parts of the sectors must read as zeros");
    }
  }

  @Test
  void partialSectorWriteKeepsTheRestOfTheSector() throws IOException {
    try (VirtualDisk disk = create(4 * MIB, 64 * 1024)) {
      write(disk, 512, filled(512, 0x11));
      write(disk, 512 + 100, filled(10, 0x22));
      byte[] want = filled(512, 0x11);
      Arrays.fill(want, 100, 110, (byte) 0x22);
      assertArrayEquals(want, read(disk, 512, 512));
      assertArrayEquals(new byte[512], read(disk, 0, 512));
    }
  }

  @Test
  void writesInAFullBlockTouchNoMetadata() throws IOException {
    try (VirtualDisk disk = create(8 * MIB, BLOCK)) {
      write(disk, 0, random(BLOCK, 4));
      long before = host.hostWrites();
      write(disk, 12345, random(70_000, 5));
      assertEquals(1, host.hostWrites() - before, "an overwrite in a full block is one host write");
    }
  }

  @Test
  void wholeBlockWriteSetsEveryBit() throws IOException {
    int block = 64 * 1024;
    try (VirtualDisk disk = create(MIB, block)) {
      write(disk, block, random(block, 6));
      disk.flush();
      byte[] f = Files.readAllBytes(image);
      int at = (int) batEntry(1);
      byte[] bits = Arrays.copyOfRange(f, at, at + 512);
      byte[] want = new byte[512];
      Arrays.fill(want, 0, block / 512 / 8, (byte) 0xFF);
      assertArrayEquals(want, bits);
    }
  }

  @Test
  void writePastTheEndChangesNothing() throws IOException {
    try (VirtualDisk disk = create(4 * MIB, BLOCK)) {
      write(disk, 0, random(4096, 7));
      disk.flush();
      byte[] before = Files.readAllBytes(image);
      ByteBuffer src = ByteBuffer.wrap(random(1024, 8));
      assertThrows(IOException.class, () -> disk.write(src, 4 * MIB - 512));
      assertEquals(0, src.position(), "the buffer was consumed");
      assertThrows(IOException.class, () -> disk.write(ByteBuffer.allocate(1), 4 * MIB));
      assertEquals(0, disk.write(ByteBuffer.allocate(0), 5 * MIB), "empty writes do nothing anywhere");
      disk.flush();
      assertArrayEquals(before, Files.readAllBytes(image));
    }
  }

  @Test
  void manyPendingEntriesAreWrittenWithoutAFlush() throws IOException {
    int blockSize = 512;
    int blocks = BatWriter.MAX_PENDING + 10;
    try (VirtualDisk disk = create((long) blocks * blockSize, blockSize)) {
      for (int b = 0; b < blocks; b++) {
        write(disk, (long) b * blockSize, filled(blockSize, b + 1));
      }
      int onDisk = 0;
      for (int b = 0; b < blocks; b++) {
        if (batEntry(b) > 0) {
          onDisk++;
        }
      }
      assertEquals(BatWriter.MAX_PENDING, onDisk, "entries written when the limit was reached");
    }
  }

  @Test
  void writableOpenPutsBackALostEndFooter() throws IOException {
    byte[] data = random(5000, 9);
    try (VirtualDisk disk = create(8 * MIB, BLOCK)) {
      write(disk, MIB, data);
    }
    long length = Files.size(image);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
      ch.truncate(length - 200); // a torn end: only the copy at offset 0 is whole
    }
    try (VirtualDisk disk = openWritable()) {
      assertFootersValidAndIdentical();
      assertArrayEquals(data, read(disk, MIB, data.length));
      write(disk, 3 * MIB, data);
    }
    assertFootersValidAndIdentical();
    try (VirtualDisk disk = openWritable()) {
      assertArrayEquals(data, read(disk, 3 * MIB, data.length));
    }
  }

  @Test
  void writableOpenMakesAShortFooterWhole() throws IOException {
    image = dir.resolve("f.vhd");
    VhdCreator.create(image, DiskType.FIXED, MIB, 0, true);
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
      ch.truncate(MIB + 511); // how Virtual PC before 2004 wrote it
    }
    try (VirtualDisk disk = openWritable()) {
      assertEquals(MIB, disk.size());
    }
    assertEquals(MIB + 512, Files.size(image));
    byte[] f = Files.readAllBytes(image);
    assertEquals(DiskType.FIXED, Footer.decode(f, MIB, image.toString(), MIB).diskType());
  }

  /**
   * qemu-img's own image of the same request, byte for byte, except the footer fields that name
   * the writer or the moment (time stamp, creator application and version, unique id) and the
   * checksum over them: same size and geometry, header, BAT and its padding, file length.
   */
  @Test
  void newImageLayoutMatchesQemuImg() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path theirs = dir.resolve("qemu.vhd");
    qemu.create(theirs, 64 * MIB, "");
    image = dir.resolve("layout.vhd");
    VhdCreator.create(image, DiskType.DYNAMIC, 64 * MIB, BLOCK, false);
    byte[] q = Files.readAllBytes(theirs);
    byte[] f = Files.readAllBytes(image);
    assertEquals(q.length, f.length, "file length: qemu-img's vs ours");
    for (int footerAt : new int[] {0, f.length - 512}) {
      for (int[] field : WRITER_FIELDS) {
        Arrays.fill(q, footerAt + field[0], footerAt + field[0] + field[1], (byte) 0);
        Arrays.fill(f, footerAt + field[0], footerAt + field[0] + field[1], (byte) 0);
      }
    }
    int mismatch = Arrays.mismatch(q, f);
    assertEquals(-1, mismatch, () -> String.format("byte %d: qemu-img wrote 0x%02x, we wrote "
        + "0x%02x", mismatch, q[mismatch], f[mismatch]));
    Footer footer = Footer.decode(Files.readAllBytes(image), 0, image.toString(), 0);
    assertEquals(VhdCreator.CREATOR, footer.creatorApplication());
    assertFootersValidAndIdentical();
  }

  /** Footer fields (offset, length) that differ between writers or runs by design. */
  private static final int[][] WRITER_FIELDS = {
      {24, 4}, // time stamp
      {28, 4}, // creator application
      {32, 4}, // creator version
      {64, 4}, // checksum, which covers the fields above
      {68, 16}, // unique id
  };
}
