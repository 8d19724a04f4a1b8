package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * New fixed and dynamic VHDX images: the recommended layout read back with the codecs, and what
 * qemu-img and libvhdi make of them.
 */
class VhdxCreatorTest {
  private static final long MIB = 1 << 20;

  @TempDir
  Path dir;

  private Path create(String name, boolean fixed, long size, int blockMib, int logical,
      int physical) throws IOException {
    Path image = dir.resolve(name);
    VhdxCreator.create(image, fixed, size, (int) (blockMib * MIB), logical, physical);
    return image;
  }

  @ParameterizedTest
  @CsvSource({
      "false, 67108864, 1, 512, 4096",
      "false, 67108864, 32, 512, 512",
      "false, 67108864, 256, 4096, 4096",
      "true, 67108864, 1, 512, 512",
      "true, 100663296, 32, 512, 4096",
      "true, 8796093022208, 256, 4096, 512",
      "false, 70368744177664, 1, 512, 4096"})
  void layoutIsTheRecommendedOne(boolean fixed, long size, int blockMib, int logical,
      int physical) throws IOException {
    Path image = create("l.vhdx", fixed, size, blockMib, logical, physical);
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      assertEquals("vhdfs", img.identifier.creator());
      VhdxHeader h = img.headers.current();
      VhdxHeader other = img.headers.other().orElseThrow();
      assertEquals(2, h.sequenceNumber());
      assertEquals(1, other.sequenceNumber());
      assertEquals(h.fileWriteGuid(), other.fileWriteGuid());
      assertEquals(h.dataWriteGuid(), other.dataWriteGuid());
      assertNotEquals(MsGuid.ZERO, h.dataWriteGuid());
      assertEquals(MsGuid.ZERO, h.logGuid());
      assertEquals(MIB, h.logOffset());
      assertEquals(MIB, h.logLength());
      byte[] copy1 = src.readStructure(RegionTable.COPY1_OFFSET, RegionTable.SIZE, "r1");
      byte[] copy2 = src.readStructure(RegionTable.COPY2_OFFSET, RegionTable.SIZE, "r2");
      assertArrayEquals(copy1, copy2);
      RegionEntry metadata = img.regions.table().metadata();
      RegionEntry bat = img.regions.table().bat();
      assertEquals(2 * MIB, metadata.fileOffset());
      assertEquals(MIB, metadata.length());
      assertTrue(metadata.required() && bat.required());
      assertEquals(3 * MIB, bat.fileOffset());
      BatGeometry g = img.metadata.batGeometry();
      long batLength = (g.totalEntries() * 8 + MIB - 1) / MIB * MIB;
      assertEquals(batLength, bat.length());
      List<Long> itemOffsets = img.metadata.table().entries().stream()
          .map(MetadataEntry::offset).toList();
      assertEquals(List.of(0x10000L, 0x10008L, 0x10010L, 0x10020L, 0x10024L), itemOffsets);
      assertEquals(size, img.size());
      assertEquals(blockMib * MIB, img.metadata.fileParameters().blockSize());
      assertEquals(fixed, img.metadata.fileParameters().leaveBlocksAllocated());
      assertFalse(img.metadata.fileParameters().hasParent());
      assertEquals(logical, img.metadata.logicalSectorSize());
      assertEquals(physical, img.metadata.physicalSectorSize());

      long firstBlock = 3 * MIB + batLength;
      long blocks = g.payloadBlocks();
      long[] probes = {0, blocks / 2, blocks - 1};
      for (long b : probes) {
        BatEntry e = img.bat.payloadEntry(b);
        if (fixed) {
          assertEquals(PayloadState.FULLY_PRESENT.code, e.stateCode(), "block " + b);
          assertEquals(firstBlock + b * g.blockSize(), e.fileOffset(), "block " + b);
        } else {
          assertEquals(0, e.raw(), "block " + b);
        }
      }
      img.bat.checkAll();
      assertEquals(fixed ? firstBlock + blocks * g.blockSize() : firstBlock, Files.size(image));
    }
  }

  @Test
  void fixedBatIsEveryBlockAscendingWithBitmapSlotsZero() throws IOException {
    // 5 GiB of 32 MiB blocks: 160 blocks, a bitmap slot after block 127.
    Path image = create("f.vhdx", true, 5L << 30, 32, 512, 4096);
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      BatGeometry g = img.metadata.batGeometry();
      assertEquals(161, g.totalEntries());
      long expect = 4 * MIB;
      for (long i = 0; i < g.totalEntries(); i++) {
        BatEntry e = img.bat.entry(i);
        if (g.isBitmapIndex(i)) {
          assertEquals(0, e.raw(), "bitmap slot " + i);
        } else {
          assertEquals(BatEntry.of(6, expect).raw(), e.raw(), "entry " + i);
          expect += 32 * MIB;
        }
      }
    }
  }

  @Test
  void childRecordsItsParentAndHasABitmapBlockPerChunk() throws IOException {
    Path base = create("base.vhdx", false, 5L << 30, 32, 512, 512);
    Path child = dir.resolve("child.vhdx");
    io.vhdfs.nio.VhdImages.create(child, java.util.Map.of("type", "differencing",
        "parent", "base.vhdx", "blockSize", "2M"));
    VhdxHeader parentHeader;
    java.util.UUID parentDiskId;
    try (CodecImage.HostSource src = new CodecImage.HostSource(base)) {
      CodecImage parent = CodecImage.open(src);
      parentHeader = parent.headers.current();
      parentDiskId = parent.metadata.virtualDiskId();
    }
    try (CodecImage.HostSource src = new CodecImage.HostSource(child)) {
      CodecImage img = CodecImage.open(src);
      VhdxMetadata m = img.metadata;
      assertTrue(m.fileParameters().hasParent());
      assertEquals(2 * MIB, m.fileParameters().blockSize());
      assertEquals(5L << 30, m.virtualDiskSize());
      assertEquals(512, m.physicalSectorSize());
      assertEquals(parentDiskId, m.virtualDiskId());
      ParentLocator locator = m.parentLocator().orElseThrow();
      assertEquals(MsGuid.format(parentHeader.dataWriteGuid()),
          locator.get(ParentLocator.PARENT_LINKAGE).orElseThrow());
      assertEquals(".\\base.vhdx", locator.get(ParentLocator.RELATIVE_PATH).orElseThrow());
      assertEquals(base.toRealPath().toString().replace('/', '\\'),
          locator.get(ParentLocator.ABSOLUTE_WIN32_PATH).orElseThrow());
      BatGeometry g = m.batGeometry();
      assertEquals(2, g.bitmapBlocks());
      long firstBlock = 3 * MIB + img.regions.table().bat().length();
      for (long c = 0; c < g.bitmapBlocks(); c++) {
        assertEquals(BatEntry.of(BatEntry.SB_BLOCK_PRESENT, firstBlock + c * MIB).raw(),
            img.bat.bitmapEntry(c).raw());
      }
      assertEquals(0, img.bat.payloadEntry(0).raw());
      assertEquals(0, img.bat.payloadEntry(g.payloadBlocks() - 1).raw());
      img.bat.checkAll();
      assertEquals(firstBlock + 2 * MIB, Files.size(child));
    }
  }

  @Test
  void largeImagesAreSparseOnTheHost() throws IOException {
    Path dynamic = create("d64t.vhdx", false, 64L << 40, 1, 512, 4096);
    assertEquals(3 * MIB + 513 * MIB, Files.size(dynamic));
    assertTrue(QemuTools.allocatedBytes(dynamic) < 8 * MIB,
        "a dynamic 64 TiB image takes " + QemuTools.allocatedBytes(dynamic) + " bytes");
    // 8 TiB: ext4 holds no file past 16 TiB, which a fixed 64 TiB image is.
    Path fixed = create("f8t.vhdx", true, 8L << 40, 1, 512, 4096);
    assertEquals(3 * MIB + 65 * MIB + (8L << 40), Files.size(fixed));
    assertTrue(QemuTools.allocatedBytes(fixed) < 80 * MIB,
        "a fixed 8 TiB image takes " + QemuTools.allocatedBytes(fixed) + " bytes");
  }

  @Test
  void outOfRangeValuesAreRefusedAndLeaveNothing() {
    Path image = dir.resolve("bad.vhdx");
    assertThrows(IllegalArgumentException.class,
        () -> VhdxCreator.create(image, false, (64L << 40) + 512, 32 << 20, 512, 4096));
    assertThrows(IllegalArgumentException.class,
        () -> VhdxCreator.create(image, false, 64 << 20, 3 << 20, 512, 4096));
    assertThrows(IllegalArgumentException.class,
        () -> VhdxCreator.create(image, false, 64 << 20, 512 << 20, 512, 4096));
    assertThrows(IllegalArgumentException.class,
        () -> VhdxCreator.create(image, false, (64 << 20) + 512, 1 << 20, 4096, 4096));
    assertThrows(IllegalArgumentException.class,
        () -> VhdxCreator.create(image, false, 64 << 20, 1 << 20, 512, 1024));
    assertFalse(Files.exists(image));
  }

  @Test
  void anExistingFileIsNotOverwritten() throws IOException {
    Path image = Files.writeString(dir.resolve("there.vhdx"), "keep");
    assertThrows(FileAlreadyExistsException.class,
        () -> VhdxCreator.create(image, false, 64 << 20, 1 << 20, 512, 4096));
    assertEquals("keep", Files.readString(image));
  }

  @ParameterizedTest
  @CsvSource({
      "false, 67108864, 1, 4096",
      "false, 67108864, 32, 512",
      "false, 100663808, 256, 4096",
      "true, 67108864, 1, 512",
      "true, 100663296, 32, 4096",
      "true, 67108864, 256, 512",
      "false, 68719476736, 32, 4096",
      "true, 68719476736, 256, 4096"})
  void qemuChecksAndReadsZeros(boolean fixed, long size, int blockMib, int physical)
      throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = create("q.vhdx", fixed, size, blockMib, 512, physical);
    QemuTools.Exit check = qemu.check(image, false);
    assertEquals(0, check.code(), check.describe());
    assertEquals(size, qemu.virtualSize(image));
    assertEquals(blockMib * MIB, qemu.clusterSize(image));
    if (size <= 256 * MIB) {
      Path raw = dir.resolve("q.raw");
      qemu.convertToRaw(image, raw);
      assertEquals(size, Files.size(raw));
      assertAllZero(raw);
    }
  }

  @Test
  void sixtyFourTebibyteDynamicPassesQemuCheck() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = create("big.vhdx", false, 64L << 40, 32, 512, 4096);
    QemuTools.Exit check = qemu.check(image, false);
    assertEquals(0, check.code(), check.describe());
    assertEquals(64L << 40, qemu.virtualSize(image));
  }

  @ParameterizedTest
  @CsvSource({
      "false, 67108864, 1, 512, 4096",
      "true, 67108864, 32, 512, 512",
      "false, 100663296, 256, 4096, 4096",
      "true, 67108864, 1, 4096, 512",
      "false, 68719476736, 32, 512, 4096"})
  void libvhdiOpensThemAndReadsZeros(boolean fixed, long size, int blockMib, int logical,
      int physical) throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    Path image = create("v.vhdx", fixed, size, blockMib, logical, physical);
    String out = QemuTools.run(java.time.Duration.ofMinutes(2), List.of(
        libvhdi.python().toString(), "-c",
        "import pyvhdi, sys\nf = pyvhdi.file()\nf.open(sys.argv[1])\n"
            + "print(f.get_media_size(), f.get_bytes_per_sector())\n"
            + "b = f.read_buffer_at_offset(1 << 20, 0) + f.read_buffer_at_offset(4096, "
            + (size - 4096) + ")\nprint(b.count(0) == len(b), len(b))\nf.close()",
        image.toString())).stdout();
    List<String> lines = out.strip().lines().toList();
    assertEquals(size + " " + logical, lines.get(0));
    assertEquals("True " + ((1 << 20) + 4096), lines.get(1));
  }

  @Test
  void qemuRefusesFourKibLogicalSectorsWhichLibvhdiReads() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = create("lss4k.vhdx", false, 64 * MIB, 32, 4096, 4096);
    QemuTools.Exit open = qemu.readOnlyOpen(image);
    // The known divergence (vhdx-format.md §7.8): qemu-img 7.2 has no 4096-byte logical sectors.
    assertNotEquals(0, open.code(), open.describe());
    assertTrue(open.stderr().contains("not supported") || open.stdout().contains("not supported"),
        open.describe());
  }

  private static void assertAllZero(Path raw) throws IOException {
    try (FileChannel ch = FileChannel.open(raw)) {
      ByteBuffer buf = ByteBuffer.allocate((int) MIB);
      long at = 0;
      while (true) {
        buf.clear();
        int n = ch.read(buf, at);
        if (n < 0) {
          return;
        }
        for (int i = 0; i < n; i++) {
          if (buf.get(i) != 0) {
            throw new AssertionError("guest byte " + (at + i) + " is " + buf.get(i));
          }
        }
        at += n;
      }
    }
  }
}
