package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.image.Formats;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How reads of a differencing chain map onto host reads: the sectors no child holds form one run
 * however many children, blocks and bitmaps lie above them, and that run is one read of the image
 * that holds them.
 */
class ParentReadRunsTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 2 * MIB;

  @TempDir Path dir;

  /** The host file of every image opened, by real path, whose read counters the tests watch. */
  private final Map<Path, HostFile> hosts = new LinkedHashMap<>();

  /** Opens parents unshared, keeping their host files so their reads can be counted. */
  private ParentChain.Lease openCounted(Path realPath, ParentChain chain) throws IOException {
    HostFile host = HostFile.openForReading(realPath);
    try {
      VirtualDisk disk = DiskOpener.open(host, SizeRule.AUTO, chain);
      hosts.put(realPath, host);
      return new ParentChain.Lease(disk, disk::close);
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
  }

  private VirtualDisk open(Path image) throws IOException {
    Path real = image.toRealPath();
    HostFile host = HostFile.openForReading(real);
    hosts.put(real, host);
    try {
      return DiskOpener.open(host, SizeRule.AUTO,
          ParentChain.of(real, ChainOptions.DEFAULT, Formats.ALL, this::openCounted));
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
  }

  private static byte[] read(VirtualDisk disk, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    assertEquals(len, disk.read(b, pos));
    return b.array();
  }

  private Map<Path, Long> reads() {
    Map<Path, Long> counts = new LinkedHashMap<>();
    hosts.forEach((path, host) -> counts.put(path, host.hostReads()));
    return counts;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void mebibyteNoChildHoldsIsOneHostReadOfTheBaseThroughThreeChildren() throws IOException {
    long from = BLOCK + 512 * KIB;
    int length = MIB;
    VhdImageBuilder base = VhdImageBuilder.dynamic(8L * MIB).block(1, random(BLOCK, 1));
    // c1, 64 KiB blocks: the blocks just before and just after the range are allocated.
    VhdImageBuilder c1 = VhdImageBuilder.differencing(base, "base.vhd").blockSize(64 * KIB);
    c1.block((int) (from / (64 * KIB)) - 1, random(64 * KIB, 2));
    c1.block((int) ((from + length) / (64 * KIB)), random(64 * KIB, 3));
    // c2, 2 MiB blocks: the range's block is allocated, its bits set around the range only.
    byte[] bitmap = new byte[512];
    Arrays.fill(bitmap, 0, 128, (byte) 0xFF); // the first 512 KiB
    Arrays.fill(bitmap, 384, 512, (byte) 0xFF); // the last 512 KiB
    VhdImageBuilder c2 = VhdImageBuilder.differencing(c1, "c1.vhd").blockSize(BLOCK)
        .block(1, random(BLOCK, 4)).bitmap(1, bitmap);
    // c3, 512 KiB blocks: the blocks of the range unallocated, others not.
    VhdImageBuilder c3 = VhdImageBuilder.differencing(c2, "c2.vhd").blockSize(512 * KIB)
        .block(0, random(512 * KIB, 5)).block(7, random(512 * KIB, 6));
    base.writeTo(dir.resolve("base.vhd"));
    c1.writeTo(dir.resolve("c1.vhd"));
    c2.writeTo(dir.resolve("c2.vhd"));
    c3.writeTo(dir.resolve("c3.vhd"));

    try (VirtualDisk disk = open(dir.resolve("c3.vhd"))) {
      assertEquals(List.of(dir.resolve("c2.vhd").toRealPath(), dir.resolve("c1.vhd").toRealPath(),
          dir.resolve("base.vhd").toRealPath()), disk.parents());
      read(disk, from, length); // the first read loads the bitmaps
      Map<Path, Long> before = reads();
      byte[] got = read(disk, from, length);
      Map<Path, Long> after = reads();
      assertArrayEquals(c3.expectedContent(from, length), got);
      assertArrayEquals(Arrays.copyOfRange(base.expectedContent(0, 2 * BLOCK), (int) from,
          (int) from + length), got, "every byte of the range is the base's");
      Path basePath = dir.resolve("base.vhd").toRealPath();
      for (Path image : after.keySet()) {
        long n = after.get(image) - before.get(image);
        assertEquals(image.equals(basePath) ? 1 : 0, n, "host reads of " + image);
      }
    }
  }

  @Test
  void rangeCrossingChildSectorsIsOneParentReadPerRunOfClearBits() throws IOException {
    VhdImageBuilder base = VhdImageBuilder.dynamic(4L * MIB).block(0, random(BLOCK, 7));
    byte[] bitmap = new byte[512];
    bitmap[1] = (byte) 0xFF; // sectors 8-15 in the child
    bitmap[3] = (byte) 0x0F; // sectors 28-31 in the child
    VhdImageBuilder child = VhdImageBuilder.differencing(base, "base.vhd")
        .block(0, random(BLOCK, 8)).bitmap(0, bitmap);
    base.writeTo(dir.resolve("base.vhd"));
    child.writeTo(dir.resolve("c.vhd"));
    try (VirtualDisk disk = open(dir.resolve("c.vhd"))) {
      read(disk, 0, 40 * 512);
      Map<Path, Long> before = reads();
      byte[] got = read(disk, 0, 40 * 512);
      Map<Path, Long> after = reads();
      assertArrayEquals(child.expectedContent(0, 40 * 512), got);
      Path basePath = dir.resolve("base.vhd").toRealPath();
      Path childPath = dir.resolve("c.vhd").toRealPath();
      // Clear 0-7, 16-27, 32-39 from the base; set 8-15, 28-31 from the child.
      assertEquals(3, after.get(basePath) - before.get(basePath), "base reads");
      assertEquals(2, after.get(childPath) - before.get(childPath), "child reads");
    }
  }
}
