package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VHDX images read through the provider ({@code vhd:} URIs) as QEMU reads them, read-only:
 * qemu-img-made images written by qemu-io at odd offsets, across blocks and in the last sector
 * equal {@code qemu-img convert -O raw}; write opens are refused and leave the file as it was; a
 * dirty log is replayed in memory only.
 */
class VhdxReadTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  /** qemu-io writes at odd offsets, across a block boundary and in the last sector. */
  private static List<QemuTools.Write> writes(long size, long blockSize) {
    return List.of(new QemuTools.Write(0x5a, 512 * 3, 4096 + 512),
        new QemuTools.Write(0xa7, blockSize - 1536, 4096),
        new QemuTools.Write(0x3c, 2 * blockSize + 1024, 512),
        new QemuTools.Write(0xe1, size - 512, 512));
  }

  private Path qemuImage(String name, long size, String options) {
    VhdxTools vhdx = VhdxTools.require();
    Path image = dir.resolve(name + ".vhdx");
    vhdx.create(image, size, options);
    return image;
  }

  private void assertReadsAsQemu(Path image) throws Exception {
    VhdxTools vhdx = VhdxTools.require();
    Path raw = dir.resolve(image.getFileName() + ".raw");
    vhdx.convertToRaw(image, raw);
    String before = Chains.sha256(image);
    assertArrayEquals(Files.readAllBytes(raw), Chains.readAll(disk(image)));
    assertEquals(before, Chains.sha256(image), "reading leaves the image file unchanged");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 32})
  void dynamicImagesReadAsQemuConvertsThem(int blockMib) throws Exception {
    long size = 100L * MIB;
    Path image = qemuImage("dyn" + blockMib, size, "block_size=" + blockMib + "M");
    VhdxTools.require().write(image, writes(size, (long) blockMib * MIB));
    assertReadsAsQemu(image);
  }

  @ParameterizedTest
  @ValueSource(strings = {"subformat=fixed", "subformat=fixed,block_state_zero=off",
      "log_size=4M,block_size=1M", "block_state_zero=off"})
  void fixedAndLogSizeVariantsReadAsQemuConvertsThem(String options) throws Exception {
    long size = 40L * MIB;
    Path image = qemuImage("v" + Math.abs(options.hashCode()), size, options);
    long block = VhdxTools.require().clusterSize(image);
    VhdxTools.require().write(image, writes(size, block));
    assertReadsAsQemu(image);
  }

  @Test
  void writeOpenLeavesTheFileUnchangedUntilItsFirstWrite() throws Exception {
    long size = 16L * MIB;
    Path image = qemuImage("ro", size, "");
    VhdxTools.require().write(image, List.of(new QemuTools.Write(0x11, 0, 4096)));
    String before = Chains.sha256(image);
    FileChannel.open(disk(image), StandardOpenOption.WRITE).close();
    assertEquals(before, Chains.sha256(image));
    Files.write(disk(image), new byte[512], StandardOpenOption.WRITE);
    byte[] first = new byte[4096];
    Arrays.fill(first, 512, 4096, (byte) 0x11);
    assertArrayEquals(first, Arrays.copyOf(Chains.readAll(disk(image)), 4096));
    QemuTools.Exit compare = VhdxTools.require().check(image, false);
    assertEquals(0, compare.code(), compare.describe());
  }

  @Test
  void attributesShowTheVhdxView() throws Exception {
    Path image = qemuImage("attrs", 64L * MIB, "block_size=8M");
    Path disk = disk(image);
    Map<String, Object> vhdx = Files.readAttributes(disk, "vhdx:*");
    assertEquals("dynamic", vhdx.get("diskType"));
    assertEquals(512, vhdx.get("logicalSectorSize"));
    assertEquals(512, vhdx.get("physicalSectorSize"));
    assertEquals(8 * MIB, vhdx.get("blockSize"));
    assertEquals(512, vhdx.get("chunkRatio"));
    assertEquals(0L, vhdx.get("allocatedBlocks"));
    assertEquals(false, vhdx.get("logReplayed"));
    assertEquals(new UUID(0, 0), vhdx.get("logGuid"));
    assertTrue(((String) vhdx.get("creator")).startsWith("QEMU"), (String) vhdx.get("creator"));
    assertTrue(vhdx.get("dataWriteGuid") instanceof UUID);
    assertEquals(64L * MIB, Files.size(disk));
    Map<String, Object> vhd = Files.readAttributes(disk, "vhd:diskType,uniqueId");
    assertEquals("dynamic", vhd.get("diskType"));
    assertEquals(vhdx.get("dataWriteGuid"), vhd.get("uniqueId"));
    assertTrue(disk.getFileSystem().supportedFileAttributeViews().contains("vhdx"));
    assertEquals("vhdx", Files.getFileStore(disk).type());
    assertEquals("application/x-vhdx", Files.probeContentType(image));
  }

  @Test
  void aDirtyLogIsReplayedInMemoryAndOntoTheFileOnlyForWriting() throws Exception {
    UUID logGuid = UUID.fromString("4c4f4721-0000-4000-8000-000000000001");
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(4096, 8192, 0xab).build();
    byte[] batSector = img.read(img.batOffset(), 4096);
    img.put(img.batOffset(), new byte[4096]); // on disk, block 0 is still absent
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 1, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.batOffset(), batSector))));
    Path image = img.writeTo(dir.resolve("dirty.vhdx"));
    String before = Chains.sha256(image);
    byte[] all = Chains.readAll(disk(image));
    byte[] expected = new byte[64 * MIB];
    Arrays.fill(expected, 4096, 4096 + 8192, (byte) 0xab);
    assertArrayEquals(expected, all);
    assertEquals(true, Files.getAttribute(disk(image), "vhdx:logReplayed"));
    assertEquals(before, Chains.sha256(image), "an in-memory replay writes nothing");
    java.util.UUID link = io.vhdfs.testing.VhdxHeaders.read(image).dataWriteGuid();
    FileChannel.open(disk(image), StandardOpenOption.WRITE).close();
    io.vhdfs.testing.VhdxHeaders.read(image).assertClosedCleanly();
    assertEquals(link, io.vhdfs.testing.VhdxHeaders.read(image).dataWriteGuid(),
        "a replay changes nothing a reader sees: children stay linked");
    assertArrayEquals(batSector, Arrays.copyOfRange(Files.readAllBytes(image),
        (int) img.batOffset(), (int) img.batOffset() + 4096), "replayed onto the file");
    assertArrayEquals(expected, Chains.readAll(disk(image)));
  }

  @Test
  void aLoggedPayloadSectorIsReadFromTheReplay() throws Exception {
    UUID logGuid = UUID.fromString("4c4f4721-0000-4000-8000-000000000002");
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 8192, 0x11).build();
    byte[] logged = new byte[4096];
    Arrays.fill(logged, (byte) 0x77);
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 1, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.blockOffset(0) + 4096, logged))));
    Path image = img.writeTo(dir.resolve("payload.vhdx"));
    String before = Chains.sha256(image);
    byte[] expected = new byte[8192];
    Arrays.fill(expected, 0, 4096, (byte) 0x11);
    Arrays.fill(expected, 4096, 8192, (byte) 0x77);
    assertArrayEquals(expected, Arrays.copyOf(Chains.readAll(disk(image)), 8192));
    assertEquals(before, Chains.sha256(image));
  }

  @Test
  void aLargeSparseImageOpensWithoutReadingItsTable() throws Exception {
    Path image = qemuImage("big", 64L << 40, "");
    Path disk = disk(image);
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long opened = System.nanoTime() - t0;
      System.out.println("64 TiB VHDX open took " + opened / 1_000_000.0 + " ms");
      assertEquals(64L << 40, ch.size());
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      ch.read(b, (64L << 40) - b.capacity());
      assertFalse(b.hasRemaining());
      assertArrayEquals(new byte[1 << 16], b.array());
    }
  }
}
