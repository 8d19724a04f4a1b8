package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Conversion;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Convert's host copy (issue 14 item 5): chunks whose stored bytes lie in a row in a file are
 * copied by the host when a few sampled pages (4 per 1 MiB chunk of a raw result, every 256 KiB) say it pays, and
 * scanned byte by byte otherwise. Whichever way, the result reads as the source; these pin where
 * the two ways differ on the host: which zeros stay holes, which blocks are allocated, and what
 * is counted as written.
 */
final class HostCopyConvertTest {
  private static final int MIB = 1 << 20;
  private static final int PAGE = 4096;

  @TempDir Path dir;

  /** 8 MiB of seeded random bytes with the given pages zeroed, every byte written. */
  private Path raw(int... zeroPages) throws IOException {
    byte[] b = new byte[8 * MIB];
    new Random(14).nextBytes(b);
    for (int page : zeroPages) {
      Arrays.fill(b, page * PAGE, (page + 1) * PAGE, (byte) 0);
    }
    Path raw = dir.resolve("source.raw");
    Files.write(raw, b);
    return raw;
  }

  private Conversion convert(Path src, Path dst, ConvertOptions options) throws IOException {
    return VhdImages.convert(src, dst, options, Map.of(), VhdImages.Progress.NONE);
  }

  @Test
  void aChunkWhoseSampledPagesAllHoldDataIsCopiedWholeItsZeroPagesWrittenAsData()
      throws IOException {
    // Page 1025 is 4 KiB into the fifth chunk, between its samples at 4 MiB and 4.25 MiB.
    Path raw = raw(1025);
    Path out = dir.resolve("out.raw");
    Conversion c = convert(raw, out, ConvertOptions.DEFAULT.to(Format.RAW));

    assertEquals(-1, Files.mismatch(raw, out));
    assertEquals(8L * MIB, c.bytesWritten(), "the chunk went whole, its zero page with it");
    assertEquals(8L * MIB, QemuTools.allocatedBytes(out));
  }

  @Test
  void aChunkWithAZeroSampledPageIsScannedAndItsZeroPagesStayHoles() throws IOException {
    // Page 1024 starts the fifth chunk, where its first sample is; page 1030 is not sampled.
    Path raw = raw(1024, 1030);
    Path out = dir.resolve("out.raw");
    Conversion c = convert(raw, out, ConvertOptions.DEFAULT.to(Format.RAW));

    assertEquals(-1, Files.mismatch(raw, out));
    assertEquals(8L * MIB - 2 * PAGE, c.bytesWritten(), "both zero pages of the scanned chunk");
    assertEquals(8L * MIB - 2 * PAGE, QemuTools.allocatedBytes(out));
  }

  @Test
  void aDynamicVhdxAllocatesABlockWhoseOnlyDataLiesBetweenSamplesAndNoBlockOfZeros()
      throws IOException {
    byte[] b = new byte[4 * MIB];
    byte[] data = new byte[PAGE];
    new Random(15).nextBytes(data);
    Random random = new Random(17);
    byte[] block0 = new byte[MIB];
    random.nextBytes(block0);
    System.arraycopy(block0, 0, b, 0, MIB); // block 0: all data
    System.arraycopy(data, 0, b, MIB + PAGE, PAGE); // block 1: one page, not sampled
    // block 2: zeros, stored in the file; block 3: one page where a sample looks
    System.arraycopy(data, 0, b, 3 * MIB + MIB / 2, PAGE);
    Path raw = dir.resolve("blocks.raw");
    Files.write(raw, b);
    Path vhdx = dir.resolve("out.vhdx");

    Conversion c = convert(raw, vhdx, new ConvertOptions(Format.VHDX, MIB, false, false));

    assertEquals(3L, ((Number) Files.getAttribute(disk(vhdx), "vhdx:allocatedBlocks"))
        .longValue(), "blocks 0, 1 and 3; not the zeros of block 2");
    assertEquals(MIB + 2L * PAGE, c.bytesWritten(), "block 0 copied whole by the host; blocks 1 "
        + "and 3, whose samples are not all data, allocated by writing their one page alone");
    assertArrayEquals(b, Chains.readAll(disk(vhdx)));
  }

  @Test
  void aDynamicVhdFilledByTheHostChecksCleanReadsAsTheSourceAndHasNoBlockOfZeros()
      throws IOException {
    QemuTools.require();
    byte[] b = new byte[16 * MIB];
    Random random = new Random(18);
    for (int block : new int[] {0, 1, 5, 7}) { // 2 MiB blocks; 2, 3, 4 and 6 stay zeros
      byte[] data = new byte[2 * MIB];
      random.nextBytes(data);
      System.arraycopy(data, 0, b, block * 2 * MIB, data.length);
    }
    Arrays.fill(b, 7 * 2 * MIB + 8192, 7 * 2 * MIB + 3 * 4096, (byte) 0); // a zero page inside
    Path raw = dir.resolve("blocks.raw");
    Files.write(raw, b);
    Path vhd = dir.resolve("out.vhd");

    Conversion c = convert(raw, vhd, ConvertOptions.DEFAULT.to(Format.DYNAMIC));

    assertEquals(4L, ((Number) Files.getAttribute(disk(vhd), "vhd:allocatedBlocks"))
        .longValue(), "blocks 0, 1, 5 and 7");
    assertEquals(8L * MIB, c.bytesWritten(), "four blocks, each written whole");
    assertArrayEquals(b, Chains.readAll(disk(vhd)));
    assertEquals(List.of(), VhdImages.check(vhd, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check");
    QemuTools.Exit compare = QemuTools.runForExit(java.time.Duration.ofMinutes(1),
        List.of("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(),
            raw.toString()));
    assertEquals(0, compare.code(), compare.describe());
  }

  @Test
  void dynamicVhdsOfBlocksSmallerThanAChunkAreFilledBlockByBlock() throws IOException {
    QemuTools.require();
    byte[] b = new byte[2 * MIB];
    Random random = new Random(19);
    for (int at : new int[] {0, 5000, 70_000, MIB - 100, 2 * MIB - 512}) {
      byte[] data = new byte[300];
      random.nextBytes(data);
      System.arraycopy(data, 0, b, at, Math.min(data.length, b.length - at));
    }
    Path raw = dir.resolve("small.raw");
    Files.write(raw, b);
    for (int blockSize : new int[] {512, 4096, 64 << 10}) {
      Path vhd = dir.resolve("small-" + blockSize + ".vhd");
      convert(raw, vhd, new ConvertOptions(Format.DYNAMIC, blockSize, false, false));

      assertArrayEquals(b, Chains.readAll(disk(vhd)), blockSize + "-byte blocks");
      assertEquals(List.of(), VhdImages.check(vhd, false, Map.of(), VhdImages.Progress.NONE)
          .findings(), blockSize + "-byte blocks: vhd check");
      if (blockSize < 4096) {
        continue; // qemu-img 7.2 misreads blocks of one sector (so it did before this copy)
      }
      QemuTools.Exit compare = QemuTools.runForExit(java.time.Duration.ofMinutes(1),
          List.of("qemu-img", "compare", "-f", "vpc", "-F", "raw", vhd.toString(),
              raw.toString()));
      assertEquals(0, compare.code(), blockSize + "-byte blocks: " + compare.describe());
    }
  }

  @Test
  void aVhdxWhoseLogWaitsForReplayIsReadAsTheReplayLeavesItNotAsItsFileHoldsIt()
      throws Exception {
    UUID logGuid = UUID.fromString("4c4f4721-0000-4000-8000-000000000014");
    Image img = VhdxImageBuilder.dynamic(8L * MIB).fill(0, 2 * MIB, 0x11).build();
    byte[] logged = new byte[PAGE];
    Arrays.fill(logged, (byte) 0x77);
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 1, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.blockOffset(0) + PAGE, logged))));
    Path image = img.writeTo(dir.resolve("pending-log.vhdx"));
    Path out = dir.resolve("out.raw");

    convert(image, out, ConvertOptions.DEFAULT.to(Format.RAW));

    byte[] expected = new byte[8 * MIB];
    Arrays.fill(expected, 0, 2 * MIB, (byte) 0x11);
    Arrays.fill(expected, PAGE, 2 * PAGE, (byte) 0x77);
    assertArrayEquals(expected, Files.readAllBytes(out));
  }

  @Test
  void aQemuVhdWhoseBlocksAreNotPageAlignedBecomesTheSameRawDisk() throws IOException {
    QemuTools.require();
    // qemu-img puts the data of block k of an 8 MiB image 2560 + 512 k bytes past a MiB
    // boundary of the file: blocks 0 to 2 lie off their pages, so their chunks are scanned.
    Path raw = raw(3, 600);
    Path vhd = dir.resolve("qemu.vhd");
    QemuTools.run(java.time.Duration.ofMinutes(1), List.of("qemu-img", "convert", "-f", "raw",
        "-O", "vpc", "-o", "subformat=dynamic,force_size=on", raw.toString(), vhd.toString()));
    Path out = dir.resolve("out.raw");

    Conversion c = convert(vhd, out, ConvertOptions.DEFAULT.to(Format.RAW));

    assertEquals(-1, Files.mismatch(raw, out));
    assertEquals(8L * MIB - 2 * PAGE, c.bytesWritten(), "scanned chunks: their data alone");
  }

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }
}
