package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DynamicHeaderTest {
  /** The first 40 bytes of the dynamic header qemu-img 7.2 wrote for a 64 MiB image; the rest is zero. */
  static final String QEMU_HEADER_HEAD = "6378737061727365ffffffffffffffff00000000000006000001"
      + "00000000002100200000fffff456";

  static byte[] qemuHeader() {
    byte[] b = new byte[1024];
    byte[] head = HexFormat.of().parseHex(QEMU_HEADER_HEAD);
    System.arraycopy(head, 0, b, 0, head.length);
    return b;
  }

  @Test
  void checksumOfQemuWrittenHeaderMatchesStoredValue() {
    assertEquals(0xFFFFF456, Checksum.compute(qemuHeader(), 0, 1024, 36));
  }

  @Test
  void decodesQemuHeader() throws Exception {
    DynamicHeader h = DynamicHeader.decode(qemuHeader(), 0, "x.vhd", 512);
    assertEquals(-1L, h.dataOffset());
    assertEquals(1536, h.tableOffset());
    assertEquals(33, h.maxTableEntries());
    assertEquals(2 << 20, h.blockSize());
    assertEquals(512, h.bitmapSize());
    assertEquals(512, h.tableBytes());
    assertEquals("", h.parentName());
    assertArrayEquals(qemuHeader(), h.encode());
  }

  @Test
  void roundTripKeepsParentFieldsAndLocators() throws Exception {
    List<ParentLocator> locators = new ArrayList<>(Collections.nCopies(8, ParentLocator.EMPTY));
    locators.set(0, new ParentLocator(ParentLocator.W2RU, 512, 40, 4096));
    locators.set(1, new ParentLocator(ParentLocator.W2KU, 1, 60, 4608));
    DynamicHeader h = new DynamicHeader(-1, 1536, 0x00010000, 100, 512 * 1024,
        UUID.randomUUID(), 777, "p\u00e4rent \ud83d\udcbe.vhd", locators);
    DynamicHeader back = DynamicHeader.decode(h.encode(), 0, "x.vhd", 512);
    assertEquals(h, back);
    assertEquals(512, back.locators().get(1).reservedBytes());
    assertEquals(512, back.locators().get(0).reservedBytes());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 128, 511, 3, 0x12345678, 0x80000000, 0x20000000})
  void badBlockSizeIsRefused(int blockSize) {
    byte[] b = qemuHeader();
    Bytes.putInt32(b, 32, blockSize);
    Bytes.putInt32(b, 36, Checksum.compute(b, 0, 1024, 36));
    VhdFormatException e =
        assertThrows(VhdFormatException.class, () -> DynamicHeader.decode(b, 0, "h.vhd", 512));
    assertTrue(e.getMessage().contains("block size"), e.getMessage());
    assertEquals(512 + 32, e.offset());
  }

  @Test
  void badChecksumIsRefused() {
    byte[] b = qemuHeader();
    b[700] = 1;
    VhdFormatException e =
        assertThrows(VhdFormatException.class, () -> DynamicHeader.decode(b, 0, "h.vhd", 512));
    assertTrue(e.getMessage().contains("header checksum"), e.getMessage());
  }

  @Test
  void parentNameFillingTheWholeFieldIsRead() throws Exception {
    String name = "x".repeat(256);
    DynamicHeader h = new DynamicHeader(-1, 1536, 0x00010000, 1, 512 * 1024, new UUID(1, 2), 0,
        name, Collections.nCopies(8, ParentLocator.EMPTY));
    assertEquals(name, DynamicHeader.decode(h.encode(), 0, "x.vhd", 512).parentName());
  }
}
