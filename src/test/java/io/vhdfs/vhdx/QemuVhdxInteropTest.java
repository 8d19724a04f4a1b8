package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images qemu-img 7.2 creates and qemu-io writes, parsed with the codecs: every field is what
 * {@code qemu-img info} and the notes say, and every guest byte the codecs read equals
 * {@code qemu-img convert -O raw}.
 */
class QemuVhdxInteropTest {
  private static final int MIB = 1 << 20;

  @TempDir
  Path dir;

  /** Every guest byte of {@code img} equals the raw file's. */
  static void assertGuestEquals(CodecImage img, Path raw) throws IOException {
    try (FileChannel ch = FileChannel.open(raw)) {
      assertEquals(img.size(), ch.size(), "virtual size");
      byte[] ours = new byte[MIB];
      ByteBuffer theirs = ByteBuffer.allocate(MIB);
      for (long at = 0; at < img.size(); at += MIB) {
        int n = (int) Math.min(MIB, img.size() - at);
        img.read(at, ours, 0, n, null);
        theirs.clear().limit(n);
        while (theirs.hasRemaining()) {
          ch.read(theirs, at + theirs.position());
        }
        int m = Arrays.mismatch(ours, 0, n, theirs.array(), 0, n);
        if (m >= 0) {
          fail("guest byte " + (at + m) + " differs: ours " + ours[m] + ", qemu "
              + theirs.array()[m]);
        }
      }
    }
  }

  private void checkAgainstConvert(VhdxTools qemu, Path image) throws IOException {
    Path raw = dir.resolve(image.getFileName() + ".raw");
    qemu.convertToRaw(image, raw);
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      assertGuestEquals(CodecImage.open(src), raw);
    }
    Files.delete(raw);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 32, 256})
  void dynamicImagesOfEveryBlockSizeReadLikeQemu(int blockMib) throws Exception {
    VhdxTools qemu = VhdxTools.require();
    long bs = (long) blockMib * MIB;
    long size = Math.max(40L * MIB, 3 * bs) + 7 * 512;
    Path image = dir.resolve("dyn" + blockMib + ".vhdx");
    qemu.create(image, size, "block_size=" + bs);
    // Separate qemu-io runs, block-straddling, odd offsets, the last sector (QEMU #727's shape).
    qemu.write(image, List.of(new Write(0xab, 9L * MIB + 3, 65541)));
    qemu.write(image, List.of(new Write(0xcd, bs - 1000, 3000)));
    qemu.write(image, List.of(new Write(0x5e, 0, 4096), new Write(0x17, size - 512, 512)));
    qemu.write(image, List.of(new Write(0x99, 2 * bs - 7, 14)));

    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(qemu.virtualSize(image), img.metadata.virtualDiskSize());
      assertEquals(qemu.clusterSize(image), img.metadata.fileParameters().blockSize());
      assertEquals(bs, img.metadata.fileParameters().blockSize());
      assertEquals(VhdxDiskType.DYNAMIC, img.metadata.diskType());
      assertEquals(512, img.metadata.logicalSectorSize());
      assertEquals(512, img.metadata.physicalSectorSize());
      assertTrue(img.identifier.creator().startsWith("QEMU v"), img.identifier.creator());
      assertFalse(img.regions.table().bat().required(), "QEMU writes Required = 0");
      assertTrue(img.regions.otherProblem().isEmpty());
      assertTrue(img.log.sequence().isEmpty(), "QEMU leaves a clean log");
      BatGeometry g = img.metadata.batGeometry();
      assertTrue(img.regions.table().bat().length() >= g.requiredBatBytes());
      img.bat.checkAll();
      // block_state_zero's default: untouched blocks are ZERO, written ones FULLY_PRESENT.
      assertEquals(PayloadState.FULLY_PRESENT, img.bat.payloadEntry(0).payloadState());
      long untouched = g.payloadBlocks() > 4 ? 3 : -1;
      if (untouched > 0 && 9L * MIB / bs != 3 && (size - 512) / bs != 3) {
        assertEquals(PayloadState.ZERO, img.bat.payloadEntry(untouched).payloadState());
      }
    }
    checkAgainstConvert(qemu, image);
  }

  private static VhdxHeader header(CodecImage.HostSource src, int slot) throws IOException {
    long at = slot == 1 ? VhdxHeader.HEADER1_OFFSET : VhdxHeader.HEADER2_OFFSET;
    return VhdxHeader.decode(src.read(at, VhdxHeader.SIZE), 0, src.name(), at);
  }

  @Test
  void aNewQemuFileHasTheLayoutTheNotesDescribe() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("dyn64.vhdx");
    qemu.create(image, 64L * MIB, "");
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(8L * MIB, src.size());
      assertEquals(2, img.headers.slot());
      VhdxHeader h1 = header(src, 1);
      VhdxHeader h2 = header(src, 2);
      assertEquals(h1.sequenceNumber() + 1, h2.sequenceNumber());
      assertEquals(h1.dataWriteGuid(), h2.dataWriteGuid());
      assertEquals(MsGuid.ZERO, h2.logGuid());
      assertEquals(MIB, h2.logOffset());
      assertEquals(MIB, h2.logLength());
      RegionTable regions = img.regions.table();
      assertEquals(2L * MIB, regions.bat().fileOffset());
      assertEquals(MIB, regions.bat().length());
      assertEquals(3L * MIB, regions.metadata().fileOffset());
      assertEquals(List.of(0x10000L, 0x10008L, 0x10010L, 0x10020L, 0x10024L),
          img.metadata.table().entries().stream().map(MetadataEntry::offset).toList());
      assertEquals(List.of(4, 6, 6, 6, 6), img.metadata.table().entries().stream()
          .map(MetadataEntry::flags).toList());
      assertEquals(8, img.metadata.batGeometry().totalEntries());
      for (long b = 0; b < 8; b++) {
        assertEquals(new BatEntry(2), img.bat.payloadEntry(b), "ZERO, offset 0");
      }
      assertEquals(List.of(new StructureAreas.Area("header section", 0, MIB),
          new StructureAreas.Area("log", MIB, MIB),
          new StructureAreas.Area("BAT region", 2L * MIB, MIB),
          new StructureAreas.Area("metadata region", 3L * MIB, MIB)), img.areas.areas());
    }
    qemu.write(image, List.of(new Write(0xab, MIB, 64 * 1024)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(BatEntry.of(6, 8L * MIB), img.bat.payloadEntry(0));
      VhdxHeader h1 = header(src, 1);
      VhdxHeader h2 = header(src, 2);
      assertFalse(h1.dataWriteGuid().equals(h2.dataWriteGuid()),
          "QEMU draws a DataWriteGuid per header write");
      assertEquals(img.headers.current(), img.headers.slot() == 1 ? h1 : h2);
    }
    checkAgainstConvert(qemu, image);
  }

  @Test
  void blockStateZeroOffLeavesEveryEntryNotPresent() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("off.vhdx");
    qemu.create(image, 64L * MIB, "block_state_zero=off");
    qemu.write(image, List.of(new Write(0x42, 20L * MIB + 1, 100)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(PayloadState.NOT_PRESENT, img.bat.payloadEntry(0).payloadState());
      assertEquals(PayloadState.FULLY_PRESENT, img.bat.payloadEntry(2).payloadState());
    }
    checkAgainstConvert(qemu, image);
  }

  @Test
  void fixedImagesWithAndWithoutBlockStateZeroReadLikeQemu() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path real = dir.resolve("fixed-off.vhdx");
    qemu.create(real, 64L * MIB, "subformat=fixed,block_state_zero=off");
    qemu.write(real, List.of(new Write(0xab, MIB + 5, 70000), new Write(0x3c, 64L * MIB - 512,
        512)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(real)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(VhdxDiskType.FIXED, img.metadata.diskType());
      assertTrue(img.metadata.fileParameters().leaveBlocksAllocated());
      for (long b = 0; b < 8; b++) {
        assertEquals(BatEntry.of(6, 8L * MIB + b * 8 * MIB), img.bat.payloadEntry(b));
      }
    }
    checkAgainstConvert(qemu, real);

    Path zero = dir.resolve("fixed-zero.vhdx");
    qemu.create(zero, 64L * MIB, "subformat=fixed");
    try (CodecImage.HostSource src = new CodecImage.HostSource(zero)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(VhdxDiskType.FIXED, img.metadata.diskType());
      assertEquals(new BatEntry(2), img.bat.payloadEntry(0));
      assertEquals(72L * MIB, src.size());
    }
    qemu.write(zero, List.of(new Write(0xab, MIB, 65536)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(zero)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(BatEntry.of(6, 0x4800000), img.bat.payloadEntry(0), "appended at EOF");
      assertEquals(80L * MIB, src.size());
    }
    checkAgainstConvert(qemu, zero);
  }

  @Test
  void logSizeOptionsMoveTheBatAndMetadata() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("log4.vhdx");
    qemu.create(image, 10L << 30, "log_size=4M,block_size=32M");
    qemu.write(image, List.of(new Write(0x61, (4L << 30) + 12345, 9000)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals(4L * MIB, img.headers.current().logLength());
      assertEquals(0x500000, img.regions.table().bat().fileOffset());
      assertEquals(0x600000, img.regions.table().metadata().fileOffset());
      BatGeometry g = img.metadata.batGeometry();
      assertEquals(128, g.chunkRatio());
      assertEquals(322, g.totalEntries());
      // 4 GiB is block 128, just past chunk 0's bitmap slot (index 128): entry 129.
      assertEquals(129, g.payloadIndex(128));
      assertEquals(PayloadState.FULLY_PRESENT, img.bat.payloadEntry(128).payloadState());
      assertEquals(new BatEntry(0), img.bat.entry(128));
      byte[] window = new byte[9000];
      img.read((4L << 30) + 12345, window, 0, window.length, null);
      byte[] expected = new byte[9000];
      Arrays.fill(expected, (byte) 0x61);
      assertArrayEquals(expected, window);
    }
    Path odd = dir.resolve("log1500.vhdx");
    qemu.create(odd, 64L * MIB, "log_size=1500K");
    try (CodecImage.HostSource src = new CodecImage.HostSource(odd)) {
      assertEquals(2L * MIB, CodecImage.open(src).headers.current().logLength());
    }
  }

  @Test
  void sparseSixtyFourGibibyteAndTebibyteDisksReadTheirWrites() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    long[] sizes = {64L << 30, 64L << 40};
    long[] blockSizes = {16L * MIB, 64L * MIB};
    for (int i = 0; i < sizes.length; i++) {
      long size = sizes[i];
      Path image = dir.resolve("big" + i + ".vhdx");
      qemu.create(image, size, "");
      long mid = size / 3 * 2 + 77;
      qemu.write(image, List.of(new Write(0x5a, mid, 5000), new Write(0xa5, size - 512, 512)));
      try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
        CodecImage img = CodecImage.open(src);
        assertEquals(size, img.metadata.virtualDiskSize());
        assertEquals(blockSizes[i], img.metadata.fileParameters().blockSize());
        assertEquals(qemu.clusterSize(image), blockSizes[i]);
        if (i == 1) {
          assertEquals(9L * MIB, img.regions.table().bat().length());
        }
        byte[] window = new byte[7000];
        img.read(mid - 1000, window, 0, window.length, null);
        for (int k = 0; k < window.length; k++) {
          assertEquals(k >= 1000 && k < 6000 ? (byte) 0x5a : 0, window[k], "byte " + k);
        }
        byte[] last = new byte[1024];
        img.read(size - 1024, last, 0, 1024, null);
        for (int k = 0; k < 1024; k++) {
          assertEquals(k >= 512 ? (byte) 0xa5 : 0, last[k], "tail byte " + k);
        }
        assertTrue(src.bytesRead < 8L * MIB, "read " + src.bytesRead + " bytes");
      }
    }
  }
}
