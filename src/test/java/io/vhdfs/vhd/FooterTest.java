package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskType;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FooterTest {
  /** The first 84 bytes of a footer written by qemu-img 7.2 for a 64 MiB dynamic image; the rest is zero. */
  static final String QEMU_FOOTER_HEAD = "636f6e6563746978000000020001000000000000000002003299c5e8"
      + "71656d75000500035769326b0000000004004000000000000400400003c4081100000003ffffeca5"
      + "4bff39baf32c43d2a863d5df01cddd1d";

  static byte[] qemuFooter() {
    byte[] b = new byte[512];
    byte[] head = HexFormat.of().parseHex(QEMU_FOOTER_HEAD);
    System.arraycopy(head, 0, b, 0, head.length);
    return b;
  }

  @Test
  void checksumOfQemuWrittenFooterMatchesStoredValue() {
    assertEquals(0xFFFFECA5, Checksum.compute(qemuFooter(), 0, 512, 64));
  }

  @Test
  void checksumOfAllZeroStructureIsAllOnes() {
    assertEquals(0xFFFFFFFF, Checksum.compute(new byte[512], 0, 512, 64));
  }

  @Test
  void decodesEveryFieldOfQemuFooter() throws Exception {
    Footer f = Footer.decode(qemuFooter(), 0, "x.vhd", 0);
    assertEquals(Footer.FEATURE_RESERVED, f.features());
    assertEquals(Footer.VERSION_1_0, f.formatVersion());
    assertEquals(512, f.dataOffset());
    assertEquals(0x3299c5e8L, f.timestamp());
    assertEquals("qemu", f.creatorApplication());
    assertEquals("5.3", f.creatorVersionString());
    assertEquals("Wi2k", f.creatorHostOsString());
    assertEquals(0x04004000L, f.currentSize());
    assertEquals(f.currentSize(), f.originalSize());
    assertEquals(new Geometry(964, 8, 17), f.geometry());
    assertEquals(DiskType.DYNAMIC, f.diskType());
    assertEquals(UUID.fromString("4bff39ba-f32c-43d2-a863-d5df01cddd1d"), f.uniqueId());
  }

  @Test
  void encodeReproducesQemuFooterByteForByte() throws Exception {
    byte[] original = qemuFooter();
    assertArrayEquals(original, Footer.decode(original, 0, "x.vhd", 0).encode());
  }

  @Test
  void roundTripKeepsHiddenByteAndSavedState() throws Exception {
    Footer f = new Footer(3, Footer.VERSION_1_0, -1, 12345, "tap\0", 0x00010003, 0, 1 << 20,
        1 << 20, Geometry.ofSectors(2048), DiskType.FIXED, UUID.randomUUID(), 1, 1);
    assertEquals(f, Footer.decode(f.encode(), 0, "x.vhd", 0));
  }

  @Test
  void flippedByteFailsChecksumWithFileAndOffset() {
    byte[] b = qemuFooter();
    b[100] ^= 1;
    VhdFormatException e =
        assertThrows(VhdFormatException.class, () -> Footer.decode(b, 0, "img.vhd", 4096));
    assertTrue(e.getMessage().contains("img.vhd"), e.getMessage());
    assertTrue(e.getMessage().contains("footer checksum"), e.getMessage());
    assertEquals(4096, e.offset());
  }

  @Test
  void unknownDiskTypeIsRefused() {
    byte[] b = qemuFooter();
    b[63] = 7;
    Bytes.putInt32(b, 64, Checksum.compute(b, 0, 512, 64));
    VhdFormatException e =
        assertThrows(VhdFormatException.class, () -> Footer.decode(b, 0, "img.vhd", 0));
    assertTrue(e.getMessage().contains("disk type 7"), e.getMessage());
    assertEquals(60, e.offset());
  }

  @Test
  void missingCookieIsRefused() {
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> Footer.decode(new byte[512], 0, "img.vhd", 0));
    assertTrue(e.getMessage().contains("cookie"), e.getMessage());
  }
}
