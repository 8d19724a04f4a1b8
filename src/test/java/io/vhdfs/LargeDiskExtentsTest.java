package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.nio.DiskExtents;
import io.vhdfs.nio.VhdImages.Extent;
import io.vhdfs.nio.VhdImages.Extent.Kind;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 2.6 million extents (about 150 MB as a list of records) on the largest dynamic disk the format allows, listed under the small heap of
 * the {@code malformed-images-small-heap} run (128 MiB, see the POM): the whole list would not
 * fit there, so the stream must work the extents out as it goes (issue 11, item 1).
 */
final class LargeDiskExtentsTest {
  private static final int SECTOR = 512;
  private static final int BLOCK = 2 << 20;
  /** Allocated blocks, spread over the disk; each holds every other sector. */
  private static final int BLOCKS = 640;
  private static final int SPREAD = 1600;

  @TempDir Path dir;

  @Test
  void twoAndAHalfMillionExtentsOfA2040GibDiskStreamInASmallHeap() throws IOException {
    Path image = dir.resolve("huge.vhd");
    VhdImageBuilder builder = VhdImageBuilder.dynamic(VhdImageBuilder.MAX_DYNAMIC_SIZE);
    byte[] everyOther = new byte[BLOCK / SECTOR / 8];
    Arrays.fill(everyOther, (byte) 0x55); // sector 0 clear, sector 1 set, ...
    for (int i = 0; i < BLOCKS; i++) {
      builder.block(i * SPREAD, () -> new byte[0]).bitmap(i * SPREAD, everyOther);
    }
    builder.writeTo(image);
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try (DiskExtents extents = DiskExtents.open(disk)) {
      long size = extents.size();
      AtomicLong count = new AtomicLong();
      AtomicLong data = new AtomicLong();
      AtomicLong end = new AtomicLong();
      try (Stream<Extent> s = extents.extents(0, size)) {
        s.forEach(e -> {
          assertEquals(end.get(), e.offset());
          end.set(e.end());
          count.incrementAndGet();
          if (e.kind() == Kind.DATA) {
            assertEquals(SECTOR, e.length());
            data.addAndGet(e.length());
          }
        });
      }
      int sectorsPerBlock = BLOCK / SECTOR;
      // Per block: its sectors alternate, the first (clear) one joining the zeros before it;
      // then the zeros after the last block.
      assertEquals((long) BLOCKS * sectorsPerBlock + 1, count.get());
      assertEquals((long) BLOCKS * sectorsPerBlock / 2 * SECTOR, data.get());
      assertEquals(size, end.get());

      long lastBlock = (long) (BLOCKS - 1) * SPREAD * BLOCK;
      assertEquals(lastBlock + SECTOR, extents.nextData(lastBlock));
      assertEquals(lastBlock + 2 * SECTOR, extents.nextHole(lastBlock + SECTOR));
      assertEquals(-1, extents.nextData(lastBlock + BLOCK), "nothing after the last block");
      try (Stream<Extent> changed = extents.changed(0, size)) {
        assertEquals((long) BLOCKS * sectorsPerBlock / 2, changed.count());
      }
    } finally {
      disk.getFileSystem().close();
    }
  }
}
