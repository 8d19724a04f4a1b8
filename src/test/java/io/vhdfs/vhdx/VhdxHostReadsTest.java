package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Formats;
import io.vhdfs.testing.VhdxImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How reads of a VHDX map onto host reads: once its BAT page is in, nothing but the data. */
class VhdxHostReadsTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** The host file of the disk last opened, whose read counter the tests watch. */
  private HostFile host;

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private VirtualDisk open(VhdxImageBuilder.Image image) throws IOException {
    host = HostFile.openForReading(image.writeTo(dir.resolve("d.vhdx")));
    return Formats.openAlone(host, SizeRule.AUTO);
  }

  private static byte[] read(VirtualDisk disk, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(len);
    assertEquals(len, disk.read(b, pos));
    byte[] got = new byte[len];
    b.flip().get(got);
    return got;
  }

  @Test
  void everyReadInsidePresentBlocksIsOneHostReadOnceTheBatIsIn() throws Exception {
    byte[] data = random(4 * MIB, 1);
    try (VirtualDisk disk = open(VhdxImageBuilder.dynamic(64L * MIB).blockSize(MIB)
        .write(0, data).build())) {
      read(disk, 0, 1);
      long before = host.hostReads();
      Random r = new Random(2);
      for (int i = 0; i < 100; i++) {
        int at = r.nextInt(data.length / 4096) * 4096;
        assertArrayEquals(Arrays.copyOfRange(data, at, at + 4096), read(disk, at, 4096));
      }
      assertEquals(100, host.hostReads() - before);
    }
  }

  @Test
  void aReadAcrossBlocksThatFollowEachOtherInTheFileIsOneHostRead() throws Exception {
    byte[] data = random(2 * MIB, 3);
    VhdxImageBuilder.Image image = VhdxImageBuilder.dynamic(64L * MIB).blockSize(MIB)
        .write(0, data).build();
    assertEquals(image.blockOffset(0) + MIB, image.blockOffset(1), "precondition: adjacent");
    try (VirtualDisk disk = open(image)) {
      read(disk, 0, 1);
      long before = host.hostReads();
      assertArrayEquals(Arrays.copyOfRange(data, MIB - 1000, MIB + 2000),
          read(disk, MIB - 1000, 3000));
      assertEquals(1, host.hostReads() - before);
    }
  }

  @Test
  void aReadAcrossBlocksApartInTheFileIsOneHostReadPerBlock() throws Exception {
    byte[] first = random(MIB, 4);
    byte[] second = random(MIB, 5);
    // Block 1 written first, so block 0 lies after it in the file.
    VhdxImageBuilder.Image image = VhdxImageBuilder.dynamic(64L * MIB).blockSize(MIB)
        .write(MIB, second).write(0, first).build();
    assertNotEquals(image.blockOffset(0) + MIB, image.blockOffset(1), "precondition: apart");
    try (VirtualDisk disk = open(image)) {
      read(disk, 0, 1);
      long before = host.hostReads();
      byte[] got = read(disk, MIB - 1000, 3000);
      assertArrayEquals(Arrays.copyOfRange(first, MIB - 1000, MIB), Arrays.copyOf(got, 1000));
      assertArrayEquals(Arrays.copyOf(second, 2000), Arrays.copyOfRange(got, 1000, 3000));
      assertEquals(2, host.hostReads() - before);
    }
  }
}
