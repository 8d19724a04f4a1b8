package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test-side writer must itself be right, or every test built on it proves nothing. */
final class VhdImageBuilderTest {

  @TempDir Path dir;

  /**
   * The footer of an Azure export quoted in the QEMU 10.0 patch "vpc: Read images exported from
   * Azure correctly" (the bytes after 0x5F are zero). Its stored checksum is 0xFFFFE747.
   */
  @Test
  void checksumOfAzureFooterMatchesTheOneItCarries() {
    byte[] footer = Arrays.copyOf(HexFormat.of().parseHex(
        "636f6e6563746978000000020001000" + "0"
            + "ffffffffffffffff2ec79b9677610000"
            + "00070000576932" + "6b000000014000000" + "0"
            + "00000001400000002" + "8a2103f00000002"
            + "ffffe7478c54df94bd35714c945fe544"
            + "4453921a"), 512);
    assertEquals(0xFFFFE747, ByteBuffer.wrap(footer).getInt(VhdImageBuilder.F_CHECKSUM));
    assertEquals(0xFFFFE747, VhdImageBuilder.checksum(footer, VhdImageBuilder.F_CHECKSUM));

    footer[VhdImageBuilder.F_CHECKSUM] = 0;
    VhdImageBuilder.recomputeFooterChecksum(footer);
    assertEquals(0xFFFFE747, ByteBuffer.wrap(footer).getInt(VhdImageBuilder.F_CHECKSUM));
  }

  @Test
  void chsFollowsTheSpecVectors() {
    assertGeometry(65278, 16, 255, 266_338_304L);
    assertGeometry(10402, 16, 63, (5L << 30) / 512);
    assertGeometry(8322, 16, 63, (4L << 30) / 512);
    assertGeometry(60, 4, 17, (2L << 20) / 512);
    assertGeometry(65535, 16, 255, 0xFF000000L);
  }

  /**
   * Geometries qemu-img 7.2 wrote for new images (ImageCreateTest's size table), read from its
   * footers: each is the first spec floor at or above a request, so the floor of its own product
   * must be itself. Vectors from another program, not from any coding of the algorithm.
   */
  @ParameterizedTest(name = "{0}/{1}/{2}")
  @CsvSource({
      "1, 4, 17", "2, 4, 17", "31, 4, 17", "61, 4, 17", "91, 4, 17", "964, 8, 17",
      "2081, 16, 63", "4162, 16, 63", "8323, 16, 63", "10403, 16, 63", "20806, 16, 63",
      "65279, 16, 255", "65535, 16, 255",
  })
  void chsOfAGeometryQemuImgWroteIsThatGeometry(int c, int h, int s) {
    assertGeometry(c, h, s, (long) c * h * s);
  }

  /**
   * The spec's boundaries, worked by hand from its prose: where 17 sectors per track give way to
   * 31, 31 to 63, and 63 to 255; and its quirk that a track count that is an exact multiple of
   * 1024 is not "below heads x 1024", so it leaves 17 sectors per track early.
   */
  @Test
  void chsChangesTranslationWhereTheSpecSays() {
    assertGeometry(1023, 16, 17, 17L * 16 * 1024 - 1);
    assertGeometry(561, 16, 31, 17L * 16 * 1024); // 16384 tracks of 17 need 1024 cylinders
    assertGeometry(1023, 4, 17, 17L * 4 * 1024 - 1);
    assertGeometry(140, 16, 31, 17L * 4 * 1024); // 4096 tracks: 4 heads, not below 4 x 1024
    assertGeometry(175, 16, 31, 17L * 5 * 1024 + 16); // 5120 tracks: 5 heads, not below
    assertGeometry(1023, 16, 31, 31L * 16 * 1024 - 1);
    assertGeometry(503, 16, 63, 31L * 16 * 1024);
    assertGeometry(65534, 16, 63, 65535L * 16 * 63 - 1);
    assertGeometry(16191, 16, 255, 65535L * 16 * 63);
  }

  @Test
  void bitmapIsOneBitPerSectorRoundedUpToASector() {
    assertEquals(512, VhdImageBuilder.bitmapSize(2 << 20));
    assertEquals(512, VhdImageBuilder.bitmapSize(512 << 10));
    assertEquals(512, VhdImageBuilder.bitmapSize(512));
    assertEquals(1024, VhdImageBuilder.bitmapSize(4 << 20));
  }

  @Test
  void dynamicImageHasQemuLayoutAndValidChecksums() throws IOException {
    byte[] data = random(3000, 1);
    VhdImageBuilder b = VhdImageBuilder.dynamic(10L << 20).write((5L << 20) + 100, data)
        .block(0, random(4096, 2)).blockOrder(2, 0);
    Path image = dir.resolve("dyn.vhd");
    Layout layout = b.writeTo(image);

    assertEquals(layout.fileSize(), Files.size(image));
    assertEquals(1536 + 512 + 2 * (512 + (2 << 20)) + 512, Files.size(image));
    byte[] copy = HostBytes.read(image, 0, 512);
    byte[] end = HostBytes.read(image, layout.footerOffset(), 512);
    assertArrayEquals(copy, end, "footer copy at 0 equals the end footer");
    assertArrayEquals(b.footerBytes(), end);
    assertEquals("conectix", ascii(end, 0, 8));
    assertEquals(VhdImageBuilder.checksum(end, 64), ByteBuffer.wrap(end).getInt(64));
    assertEquals(512L, ByteBuffer.wrap(end).getLong(VhdImageBuilder.F_DATA_OFFSET));
    assertEquals(3, ByteBuffer.wrap(end).getInt(VhdImageBuilder.F_DISK_TYPE));
    assertEquals("vhdt", ascii(end, 28, 4));

    byte[] header = HostBytes.read(image, 512, 1024);
    ByteBuffer h = ByteBuffer.wrap(header);
    assertEquals("cxsparse", ascii(header, 0, 8));
    assertEquals(-1L, h.getLong(VhdImageBuilder.H_DATA_OFFSET));
    assertEquals(1536L, h.getLong(VhdImageBuilder.H_TABLE_OFFSET));
    assertEquals(5, h.getInt(VhdImageBuilder.H_MAX_TABLE_ENTRIES));
    assertEquals(2 << 20, h.getInt(VhdImageBuilder.H_BLOCK_SIZE));
    assertEquals(VhdImageBuilder.checksum(header, 36), h.getInt(VhdImageBuilder.H_CHECKSUM));

    ByteBuffer bat = ByteBuffer.wrap(HostBytes.read(image, 1536, 512));
    // Block 2 was asked to come first in the file, right after the BAT.
    assertEquals(4, bat.getInt(8));
    assertEquals(4 + 4097, bat.getInt(0));
    for (int i : new int[] {1, 3, 4}) {
      assertEquals(-1, bat.getInt(4 * i));
    }
    for (int i = 5; i < 128; i++) {
      assertEquals(-1, bat.getInt(4 * i), "BAT padding is 0xFF");
    }
    assertEquals(List.of(2, 0), layout.allocatedBlocks());
    byte[] bitmap = HostBytes.read(image, layout.bitmapOffset(2), 512);
    byte[] allOnes = new byte[512];
    Arrays.fill(allOnes, (byte) 0xFF);
    assertArrayEquals(allOnes, bitmap);
    assertArrayEquals(data, HostBytes.read(image, layout.blockDataOffset(2) + ((5L << 20) + 100
        - (4L << 20)), data.length));

    byte[] expected = b.expectedDisk();
    assertEquals(10L << 20, expected.length);
    assertArrayEquals(data, Arrays.copyOfRange(expected, (5 << 20) + 100, (5 << 20) + 3100));
  }

  @Test
  void partialBitmapZeroesDataUnderClearBits() throws IOException {
    byte[] block = random(2 << 20, 3);
    byte[] bitmap = new byte[512];
    bitmap[0] = (byte) 0x80;
    VhdImageBuilder b = VhdImageBuilder.dynamic(2 << 20).block(0, block).bitmap(0, bitmap);
    Path image = dir.resolve("partial.vhd");
    Layout layout = b.writeTo(image);

    byte[] stored = HostBytes.read(image, layout.blockDataOffset(0), 2 << 20);
    assertArrayEquals(Arrays.copyOf(block, 512), Arrays.copyOf(stored, 512));
    assertArrayEquals(new byte[(2 << 20) - 512], Arrays.copyOfRange(stored, 512, 2 << 20));
    assertArrayEquals(stored, b.expectedDisk());
    assertEquals((byte) 0x80, HostBytes.read(image, layout.bitmapOffset(0), 1)[0]);
  }

  @Test
  void fixedImageIsDataThenFooterWithAllOnesDataOffset() throws IOException {
    byte[] data = random(1000, 4);
    VhdImageBuilder b = VhdImageBuilder.fixed(3L << 20).write(12345, data);
    Path image = dir.resolve("fixed.vhd");
    Layout layout = b.writeTo(image);

    assertEquals((3L << 20) + 512, Files.size(image));
    assertEquals(3L << 20, layout.footerOffset());
    byte[] footer = HostBytes.read(image, 3L << 20, 512);
    assertEquals(-1L, ByteBuffer.wrap(footer).getLong(VhdImageBuilder.F_DATA_OFFSET));
    assertEquals(2, ByteBuffer.wrap(footer).getInt(VhdImageBuilder.F_DISK_TYPE));
    assertArrayEquals(data, HostBytes.read(image, 12345, 1000));
    assertArrayEquals(new byte[512], HostBytes.read(image, 0, 512), "no footer copy at 0");
    int[] g = VhdImageBuilder.chs((3L << 20) / 512);
    ByteBuffer f = ByteBuffer.wrap(footer);
    assertEquals(g[0], f.getShort(56) & 0xFFFF);
    assertEquals(g[1], f.get(58));
    assertEquals(g[2], f.get(59));
  }

  @Test
  void shortFooterLeavesTheLastReservedByteOut() throws IOException {
    Path image = dir.resolve("short.vhd");
    VhdImageBuilder b = VhdImageBuilder.fixed(1 << 20).shortFooter(true);
    b.writeTo(image);
    assertEquals((1 << 20) + 511, Files.size(image));
    assertArrayEquals(Arrays.copyOf(b.footerBytes(), 511), HostBytes.read(image, 1 << 20, 511));
  }

  @Test
  void writesTheSameBytesOnJimfsAsOnTheDefaultFileSystem() throws IOException {
    VhdImageBuilder parent = VhdImageBuilder.dynamic(6L << 20).uniqueId(UUID.randomUUID())
        .block(1, random(70000, 5));
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "parent.vhd")
        .write(100, random(5000, 6));
    Path onDisk = dir.resolve("child.vhd");
    child.writeTo(onDisk);
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path inMemory = jimfs.getPath("/child.vhd");
      child.writeTo(inMemory);
      assertArrayEquals(Files.readAllBytes(onDisk), Files.readAllBytes(inMemory));
    }
  }

  @Test
  void differencingHeaderNamesTheParentAndItsLocator() throws IOException {
    UUID parentId = UUID.fromString("01234567-89ab-cdef-0123-456789abcdef");
    VhdImageBuilder parent = VhdImageBuilder.dynamic(4L << 20).uniqueId(parentId)
        .block(0, random(512, 7));
    byte[] own = random(512, 8);
    // Only sector 1 lives in the child; the rest of block 0 falls through to the parent.
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "base.vhd")
        .write(512, own).bitmap(0, new byte[] {0x40});
    Path image = dir.resolve("child.vhd");
    Layout layout = child.writeTo(image);

    byte[] header = HostBytes.read(image, 512, 1024);
    ByteBuffer h = ByteBuffer.wrap(header);
    assertArrayEquals(VhdImageBuilder.uuidBytes(parentId), Arrays.copyOfRange(header, 40, 56));
    assertEquals("base.vhd", new String(header, 64, 16, StandardCharsets.UTF_16BE));
    long entry = layout.parentLocatorEntryOffset(0) - 512;
    assertEquals(VhdImageBuilder.PLATFORM_W2RU, h.getInt((int) entry));
    assertEquals(512, h.getInt((int) entry + 4));
    assertEquals(20, h.getInt((int) entry + 8));
    assertEquals(1536 + 512, h.getLong((int) entry + 16));
    assertEquals(".\\base.vhd", new String(HostBytes.read(image, 2048, 20),
        StandardCharsets.UTF_16LE));
    assertEquals(2048 / 512 + 1, layout.blockSector(0), "blocks follow the locator data");

    byte[] expected = child.expectedDisk();
    byte[] fromParent = parent.expectedDisk();
    assertArrayEquals(Arrays.copyOf(fromParent, 512), Arrays.copyOf(expected, 512));
    assertArrayEquals(own, Arrays.copyOfRange(expected, 512, 1024));
    assertArrayEquals(Arrays.copyOfRange(fromParent, 1024, 4 << 20),
        Arrays.copyOfRange(expected, 1024, 4 << 20));
  }

  @Test
  void checksumHelpersRepairAnEditedField() throws IOException {
    Path image = dir.resolve("edit.vhd");
    Layout layout = VhdImageBuilder.dynamic(4L << 20).writeTo(image);
    HostBytes.writeInt(image, layout.headerOffset() + VhdImageBuilder.H_BLOCK_SIZE, 1 << 20);
    byte[] header = HostBytes.read(image, 512, 1024);
    assertTrue(VhdImageBuilder.checksum(header, 36) != ByteBuffer.wrap(header).getInt(36));
    VhdImageBuilder.fixHeaderChecksum(image, 512);
    header = HostBytes.read(image, 512, 1024);
    assertEquals(VhdImageBuilder.checksum(header, 36), ByteBuffer.wrap(header).getInt(36));

    for (long at : layout.footerOffsets()) {
      HostBytes.writeInt(image, at + VhdImageBuilder.F_DISK_TYPE, 7);
      VhdImageBuilder.fixFooterChecksum(image, at);
      byte[] footer = HostBytes.read(image, at, 512);
      assertEquals(VhdImageBuilder.checksum(footer, 64), ByteBuffer.wrap(footer).getInt(64));
    }
  }

  /** qemu-img, an independent reader, must see exactly the bytes the builder says it wrote. */
  @Test
  void qemuImgReadsTheDynamicImageAsTheBuilderDescribesIt() throws Exception {
    PeerRequirement.assumePresent(qemuImgAvailable(),
        "qemu-img not installed (Debian package qemu-utils)");
    // 'qem2' makes every qemu version take the current size (older ones use CHS for others).
    VhdImageBuilder b = VhdImageBuilder.dynamic(12L << 20).creator("qem2")
        .block(5, random(2 << 20, 9)).block(1, random(2 << 20, 10))
        .write((3L << 20) - 7, random(20, 11)).blockOrder(5, 1)
        .bitmap(3, new byte[] {(byte) 0x80});
    // Only sector 0 of block 3 is marked present; the builder stores zeros under the clear bits.
    b.write(6L << 20, random(1024, 12));
    Path image = dir.resolve("for qemu.vhd");
    b.writeTo(image);

    String info = run("qemu-img", "info", "-f", "vpc", "--output=json", image.toString());
    assertTrue(info.contains("\"virtual-size\": " + (12L << 20)), info);
    Path raw = dir.resolve("out.raw");
    run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
    assertArrayEquals(b.expectedDisk(), Files.readAllBytes(raw));
  }

  /** The layouts MalformedImageTest expects readers to accept, checked against qemu-img first. */
  @Test
  void qemuImgReadsUnusualButValidLayoutsAsTheBuilderDescribesThem() throws Exception {
    PeerRequirement.assumePresent(qemuImgAvailable(),
        "qemu-img not installed (Debian package qemu-utils)");
    int block = 512 * 1024;
    VhdImageBuilder b = VhdImageBuilder.dynamic(5L << 20).creator("qem2").blockSize(block)
        .headerOffset(8192).tableOffset(4096)
        .block(9, random(block, 15)).block(0, random(block, 16)).block(4, random(1000, 17))
        .blockOrder(9, 4, 0);
    long afterTwo = 8192 / 512 + 2 + 2 * (block / 512 + 1);
    b.blockAt(0, afterTwo + 100);
    Path image = dir.resolve("unusual.vhd");
    Layout layout = b.writeTo(image);
    assertEquals(List.of(9, 4, 0), layout.allocatedBlocks());
    assertEquals(afterTwo + 100, layout.blockSector(0));

    Path raw = dir.resolve("unusual.raw");
    run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
    assertArrayEquals(b.expectedDisk(), Files.readAllBytes(raw));
  }

  @Test
  void qemuImgReadsTheFixedImageAsTheBuilderDescribesIt() throws Exception {
    PeerRequirement.assumePresent(qemuImgAvailable(),
        "qemu-img not installed (Debian package qemu-utils)");
    VhdImageBuilder b = VhdImageBuilder.fixed(5L << 20).creator("qem2")
        .write(1, random(100_000, 13)).write((5L << 20) - 10, random(10, 14));
    Path image = dir.resolve("fixed-for-qemu.vhd");
    b.writeTo(image);
    Path raw = dir.resolve("out.raw");
    run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
    assertArrayEquals(b.expectedDisk(), Files.readAllBytes(raw));
  }

  @Test
  void qemuImgCreatesTheLayoutTheBuilderWrites() throws Exception {
    PeerRequirement.assumePresent(qemuImgAvailable(),
        "qemu-img not installed (Debian package qemu-utils)");
    Path image = dir.resolve("by-qemu.vhd");
    run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=dynamic,force_size=on",
        image.toString(), String.valueOf(10L << 20));
    byte[] header = HostBytes.read(image, 512, 1024);
    byte[] mine = VhdImageBuilder.dynamic(10L << 20).headerBytes();
    for (int field : new int[] {VhdImageBuilder.H_TABLE_OFFSET, VhdImageBuilder.H_DATA_OFFSET}) {
      assertEquals(ByteBuffer.wrap(mine).getLong(field), ByteBuffer.wrap(header).getLong(field));
    }
    for (int field : new int[] {VhdImageBuilder.H_MAX_TABLE_ENTRIES,
        VhdImageBuilder.H_BLOCK_SIZE, VhdImageBuilder.H_HEADER_VERSION}) {
      assertEquals(ByteBuffer.wrap(mine).getInt(field), ByteBuffer.wrap(header).getInt(field));
    }
    assertEquals(VhdImageBuilder.checksum(header, 36), ByteBuffer.wrap(header).getInt(36));
    byte[] footer = HostBytes.read(image, 0, 512);
    assertEquals(VhdImageBuilder.checksum(footer, 64), ByteBuffer.wrap(footer).getInt(64));
    assertEquals(1536 + 512 + 512, Files.size(image));
  }

  @Test
  void fixChecksumsRepairsEveryStructureIncludingAShortFooter() throws IOException {
    Path dynamic = dir.resolve("all.vhd");
    Layout layout = VhdImageBuilder.dynamic(4L << 20).writeTo(dynamic);
    HostBytes.writeInt(dynamic, layout.footerOffset() + VhdImageBuilder.F_TIMESTAMP, 1);
    HostBytes.writeInt(dynamic, VhdImageBuilder.F_TIMESTAMP, 1);
    HostBytes.writeInt(dynamic, 512 + VhdImageBuilder.H_MAX_TABLE_ENTRIES, 9);
    VhdImageBuilder.fixChecksums(dynamic, layout);
    for (long at : layout.footerOffsets()) {
      byte[] f = HostBytes.read(dynamic, at, 512);
      assertEquals(VhdImageBuilder.checksum(f, 64), ByteBuffer.wrap(f).getInt(64));
    }
    byte[] h = HostBytes.read(dynamic, 512, 1024);
    assertEquals(VhdImageBuilder.checksum(h, 36), ByteBuffer.wrap(h).getInt(36));

    Path old = dir.resolve("short.vhd");
    Layout shortLayout = VhdImageBuilder.fixed(1 << 20).shortFooter(true).writeTo(old);
    HostBytes.writeLong(old, (1 << 20) + VhdImageBuilder.F_ORIGINAL_SIZE, 12345);
    VhdImageBuilder.fixChecksums(old, shortLayout);
    assertEquals((1 << 20) + 511, Files.size(old), "the fix must not grow the file");
    byte[] f = Arrays.copyOf(HostBytes.read(old, 1 << 20, 511), 512);
    assertEquals(VhdImageBuilder.checksum(f, 64), ByteBuffer.wrap(f).getInt(64));
  }

  static boolean qemuImgAvailable() {
    try {
      Process p = new ProcessBuilder("qemu-img", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
    return out;
  }

  private static void assertGeometry(int c, int h, int s, long sectors) {
    assertArrayEquals(new int[] {c, h, s}, VhdImageBuilder.chs(sectors), "CHS of " + sectors);
  }

  private static String ascii(byte[] b, int from, int length) {
    return new String(b, from, length, StandardCharsets.ISO_8859_1);
  }

  static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }
}
