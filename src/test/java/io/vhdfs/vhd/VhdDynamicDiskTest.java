package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Formats;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How reads of a dynamic image map onto host reads. */
class VhdDynamicDiskTest {
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 2 * MIB;

  @TempDir Path dir;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The host file of the disk last opened, whose read counter the tests watch. */
  private HostFile host;

  private VirtualDisk open(VhdImageBuilder image) throws IOException {
    Path p = dir.resolve("d.vhd");
    image.writeTo(p);
    return open(p);
  }

  private VirtualDisk open(Path image) throws IOException {
    host = HostFile.openForReading(image);
    return Formats.openAlone(host, SizeRule.AUTO);
  }

  private static byte[] read(VirtualDisk disk, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    assertEquals(len, disk.read(b, pos));
    return b.array();
  }

  @Test
  void oneMebibyteReadInAnAllocatedBlockIsOneHostRead() throws Exception {
    VhdImageBuilder image = VhdImageBuilder.dynamic(8 * MIB).block(1, random(BLOCK, 1));
    try (VirtualDisk disk = open(image)) {
      read(disk, BLOCK, 512); // first touch reads the bitmap once
      long before = host.hostReads();
      byte[] got = read(disk, BLOCK + MIB / 2, MIB);
      assertEquals(1, host.hostReads() - before);
      assertArrayEquals(image.expectedContent(BLOCK + MIB / 2, MIB), got);
    }
  }

  @Test
  void fullBitmapIsReadOnlyOnce() throws Exception {
    VhdImageBuilder image = VhdImageBuilder.dynamic(4 * MIB).block(0, random(BLOCK, 2));
    try (VirtualDisk disk = open(image)) {
      long before = host.hostReads();
      for (int i = 0; i < 10; i++) {
        read(disk, i * 4096L, 4096);
      }
      assertEquals(1 + 10, host.hostReads() - before);
    }
  }

  @Test
  void unallocatedBlocksCostNoHostRead() throws Exception {
    try (VirtualDisk disk = open(VhdImageBuilder.dynamic(64 * MIB))) {
      long before = host.hostReads();
      assertArrayEquals(new byte[4 * MIB], read(disk, 10L * MIB, 4 * MIB));
      assertEquals(0, host.hostReads() - before);
    }
  }

  @Test
  void readAcrossABlockBoundaryCostsOneHostReadPerBlock() throws Exception {
    VhdImageBuilder image = VhdImageBuilder.dynamic(8 * MIB)
        .block(0, random(BLOCK, 3)).block(1, random(BLOCK, 4));
    try (VirtualDisk disk = open(image)) {
      read(disk, 0, 1);
      read(disk, BLOCK, 1);
      long before = host.hostReads();
      byte[] got = read(disk, BLOCK - 1000, 3000);
      assertEquals(2, host.hostReads() - before);
      assertArrayEquals(image.expectedContent(BLOCK - 1000, 3000), got);
    }
  }

  @Test
  void clearBitsReadAsZerosEvenOverNonZeroBytes() throws Exception {
    byte[] bitmap = new byte[512];
    bitmap[0] = (byte) 0x80; // only sector 0 present
    bitmap[1] = (byte) 0xFF; // sectors 8-15 present
    VhdImageBuilder image = VhdImageBuilder.dynamic(4 * MIB).block(0, random(BLOCK, 5))
        .bitmap(0, bitmap);
    Path p = dir.resolve("d.vhd");
    VhdImageBuilder.Layout layout = image.writeTo(p);
    // The spec says sectors with clear bits hold zeros; a careless writer leaves garbage there.
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(random(7 * 512, 6)), layout.blockDataOffset(0) + 512);
    }
    try (VirtualDisk disk = open(p)) {
      read(disk, 0, 1);
      long before = host.hostReads();
      byte[] got = read(disk, 0, 16 * 512);
      assertEquals(2, host.hostReads() - before, "two present runs, one host read each");
      byte[] expected = image.expectedContent(0, 16 * 512);
      assertArrayEquals(expected, got);
      assertArrayEquals(new byte[7 * 512], Arrays.copyOfRange(got, 512, 8 * 512));
    }
  }

  @Test
  void sectorGranularBitmapsReadExactly() throws Exception {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    byte[] bitmap = new byte[512];
    r.nextBytes(bitmap);
    VhdImageBuilder image = VhdImageBuilder.dynamic(4 * MIB).block(1, random(BLOCK, seed))
        .bitmap(1, bitmap);
    try (VirtualDisk disk = open(image)) {
      for (int i = 0; i < 200; i++) {
        long pos = BLOCK - 4096 + r.nextInt(BLOCK + 4096);
        int len = 1 + r.nextInt((int) Math.min(100_000, 4L * MIB - pos));
        assertArrayEquals(image.expectedContent(pos, len), read(disk, pos, len), "seed " + seed);
      }
    }
  }

  @Test
  void blocksInAnyFileOrderReadCorrectly() throws Exception {
    VhdImageBuilder image = VhdImageBuilder.dynamic(8 * MIB).block(0, random(BLOCK, 7))
        .block(2, random(BLOCK, 8)).block(3, random(BLOCK, 9)).blockOrder(3, 0, 2);
    try (VirtualDisk disk = open(image)) {
      assertArrayEquals(image.expectedContent(0, 8 * MIB), read(disk, 0, 8 * MIB));
    }
  }

  @Test
  void directBuffersFillTheSameBytes() throws Exception {
    byte[] bitmap = new byte[512];
    Arrays.fill(bitmap, 0, 100, (byte) 0x0F);
    VhdImageBuilder image = VhdImageBuilder.dynamic(4 * MIB).block(0, random(BLOCK, 10))
        .bitmap(0, bitmap);
    try (VirtualDisk disk = open(image)) {
      ByteBuffer direct = ByteBuffer.allocateDirect(3 * MIB);
      assertEquals(3 * MIB, disk.read(direct, 4096));
      direct.flip();
      byte[] got = new byte[3 * MIB];
      direct.get(got);
      assertArrayEquals(image.expectedContent(4096, 3 * MIB), got);
    }
  }

  @Test
  void readAtOrPastTheEndIsMinusOneAndEmptyBufferIsZero() throws Exception {
    try (VirtualDisk disk = open(VhdImageBuilder.dynamic(4 * MIB))) {
      assertEquals(-1, disk.read(ByteBuffer.allocate(1), 4 * MIB));
      assertEquals(-1, disk.read(ByteBuffer.allocate(1), Long.MAX_VALUE));
      assertEquals(0, disk.read(ByteBuffer.allocate(0), 4 * MIB));
      assertEquals(10, disk.read(ByteBuffer.allocate(100), 4 * MIB - 10));
    }
  }
}
