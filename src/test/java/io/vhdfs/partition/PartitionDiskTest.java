package io.vhdfs.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.testing.ByteArrayDisk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A partition window shows exactly its bytes of the disk and never reaches past them. */
final class PartitionDiskTest {
  private static final int DISK = 64 * 1024;
  private static final long START = 5000;
  private static final long LENGTH = 10_000;

  private static byte[] numbered() {
    byte[] b = new byte[DISK];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 7 + i / 251);
    }
    return b;
  }

  private final ByteArrayDisk disk = new ByteArrayDisk(numbered());
  private final PartitionDisk window = new PartitionDisk(disk, START, LENGTH, "img.vhd#/p1");

  @Test
  void readsAreShiftedAndStopAtTheEnd() throws IOException {
    assertEquals(LENGTH, window.size());
    ByteBuffer all = ByteBuffer.allocate((int) LENGTH + 100);
    assertEquals(LENGTH, window.read(all, 0));
    assertEquals(LENGTH, all.position(), "the buffer advanced by what was read only");
    assertEquals(LENGTH + 100, all.limit(), "the buffer's limit is as it was");
    assertArrayEquals(Arrays.copyOfRange(disk.bytes(), (int) START, (int) (START + LENGTH)),
        Arrays.copyOf(all.array(), (int) LENGTH));
    ByteBuffer tail = ByteBuffer.allocate(10);
    assertEquals(3, window.read(tail, LENGTH - 3));
    assertEquals(-1, window.read(ByteBuffer.allocate(10), LENGTH));
    assertEquals(-1, window.read(ByteBuffer.allocate(10), Long.MAX_VALUE));
    assertEquals(0, window.read(ByteBuffer.allocate(0), LENGTH), "no room reads nothing");
  }

  @Test
  void writesLandShiftedAndAWritePastTheEndWritesNothing() throws IOException {
    byte[] before = disk.bytes().clone();
    assertEquals(4, window.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), LENGTH - 4));
    assertArrayEquals(new byte[] {1, 2, 3, 4}, Arrays.copyOfRange(disk.bytes(),
        (int) (START + LENGTH - 4), (int) (START + LENGTH)));
    byte[] afterFirst = disk.bytes().clone();
    ByteBuffer tooLong = ByteBuffer.wrap(new byte[5]);
    IOException e = assertThrows(IOException.class, () -> window.write(tooLong, LENGTH - 4));
    assertTrue(e.getMessage().startsWith("img.vhd#/p1: ") && e.getMessage().contains(
        "would pass the end of the partition (" + LENGTH + " bytes)"), e.getMessage());
    assertEquals(5, tooLong.remaining(), "nothing was taken from the buffer");
    assertThrows(IOException.class, () -> window.write(ByteBuffer.wrap(new byte[1]), LENGTH));
    assertThrows(IOException.class,
        () -> window.write(ByteBuffer.wrap(new byte[1]), Long.MAX_VALUE));
    assertArrayEquals(afterFirst, disk.bytes(), "refused writes changed nothing");
    assertEquals(0, window.write(ByteBuffer.allocate(0), LENGTH + 10));
    assertArrayEquals(Arrays.copyOf(before, (int) (START + LENGTH - 4)),
        Arrays.copyOf(disk.bytes(), (int) (START + LENGTH - 4)));
  }

  private static List<Extent> all(ExtentCursor cursor) throws IOException {
    List<Extent> out = new ArrayList<>();
    for (Extent e = cursor.next(); e != null; e = cursor.next()) {
      out.add(e);
    }
    return out;
  }

  /** A disk of zeros with data in sectors 2, 10 and 11 (bytes 1024–1535, 5120–6143). */
  private static ByteArrayDisk sparseDisk() {
    byte[] b = new byte[16 * 512];
    Arrays.fill(b, 1024, 1536, (byte) 1);
    Arrays.fill(b, 5120, 6144, (byte) 2);
    return new ByteArrayDisk(b);
  }

  @Test
  void extentsAreTheDisksShiftedAndZerosPastTheEnd() throws IOException {
    // The window is sectors 1 to 9: it holds sector 2's data, and ends just before sector 10's.
    PartitionDisk w = new PartitionDisk(sparseDisk(), 512, 9 * 512, "w");
    assertEquals(List.of(new Extent(0, 512, false, 0, null, -1),
        new Extent(512, 512, true, 0, null, 1024),
        new Extent(1024, 8 * 512 - 1024 + 512 * 2, false, 0, null, -1)),
        all(w.extents(0, 10 * 512)),
        "sector 10's data lies past the window's end and must read as zeros there");
    assertEquals(List.of(new Extent(600, 424, true, 0, null, 1112)), all(w.extents(600, 1024)));
    assertEquals(List.of(new Extent(9 * 512, 100, false, 0, null, -1)),
        all(w.extents(9 * 512, 9 * 512 + 100)));
    assertEquals(List.of(), all(w.extents(100, 100)));
    assertThrows(IllegalArgumentException.class, () -> w.extents(-1, 5));
    assertThrows(IllegalArgumentException.class, () -> w.extents(5, 4));
  }

  @Test
  void transferToSendsTheWindowsBytesOnly() throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    assertEquals(100, window.transferTo(LENGTH - 100, 100, Channels.newChannel(sink)));
    assertArrayEquals(Arrays.copyOfRange(disk.bytes(), (int) (START + LENGTH - 100),
        (int) (START + LENGTH)), sink.toByteArray());
    assertThrows(IllegalArgumentException.class,
        () -> window.transferTo(LENGTH - 100, 101, Channels.newChannel(sink)));
    assertThrows(IllegalArgumentException.class,
        () -> window.transferTo(-1, 1, Channels.newChannel(sink)));
  }

  @Test
  void writeZerosIsShiftedAndBounded() throws IOException {
    byte[] before = disk.bytes().clone();
    window.writeZeros(LENGTH - 10, 10);
    byte[] expected = before.clone();
    Arrays.fill(expected, (int) (START + LENGTH - 10), (int) (START + LENGTH), (byte) 0);
    assertArrayEquals(expected, disk.bytes());
    IOException e = assertThrows(IOException.class, () -> window.writeZeros(LENGTH - 10, 11));
    assertTrue(e.getMessage().contains("would pass the end of the partition"), e.getMessage());
    assertThrows(IOException.class, () -> window.writeZeros(LENGTH + 1, 1));
    assertThrows(IllegalArgumentException.class, () -> window.writeZeros(-1, 1));
    window.writeZeros(LENGTH, 0);
    assertArrayEquals(expected, disk.bytes(), "refused zeros changed nothing");
  }

  @Test
  void negativePositionsNeverReachBeforeTheWindow() {
    assertThrows(IllegalArgumentException.class, () -> window.read(ByteBuffer.allocate(1), -1));
    assertThrows(IllegalArgumentException.class, () -> window.write(ByteBuffer.allocate(1), -1));
  }

  @Test
  void closingTheWindowLeavesTheDiskOpen() {
    window.close();
    assertEquals(0, disk.closes());
    assertSame(disk, window.disk());
    assertEquals(START, window.offset());
  }

  @Test
  void windowMustLieOnTheDisk() {
    assertThrows(IllegalArgumentException.class, () -> new PartitionDisk(disk, DISK - 10, 11,
        "x"));
    assertThrows(IllegalArgumentException.class, () -> new PartitionDisk(disk, -1, 1, "x"));
    assertThrows(IllegalArgumentException.class,
        () -> new PartitionDisk(disk, 1, Long.MAX_VALUE, "x"));
    assertEquals(0, new PartitionDisk(disk, DISK, 0, "x").size());
  }

  @Test
  void ofTakesThePartitionsBytesAndNamesIt() throws IOException {
    Partition p = new Partition(6, Partition.Scheme.MBR, START, LENGTH, "83", null, null, false,
        0);
    PartitionDisk w = PartitionDisk.of(disk, p, "/images/a.vhd");
    assertEquals(LENGTH, w.size());
    assertTrue(w.toString().startsWith("/images/a.vhd#/p6"), w.toString());
    ByteBuffer one = ByteBuffer.allocate(1);
    w.read(one, 0);
    assertEquals(disk.bytes()[(int) START], one.get(0));
  }
}
