package io.vhdfs.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.ByteArrayDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
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
