package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ParentLocatorTest {
  private static final UUID LINK = UUID.fromString("83ed0ec3-24c8-49a6-a959-5e4bf1288bfb");

  private static Map<String, String> pairs() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("parent_linkage", "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}");
    m.put("absolute_win32_path", "\\\\?\\d:\\path2\\sub3\\parent.vhdx");
    m.put("volume_path", "\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\\p.vhdx");
    m.put("relative_path", "..\\..\\path2\\sub3\\parent.vhdx");
    return m;
  }

  private static ParentLocator decode(byte[] b) throws VhdFormatException {
    return ParentLocator.decode(b, "t.vhdx", 1000);
  }

  @Test
  void decodesTheKeysAndGivesPathsInSpecOrder() throws Exception {
    ParentLocator p = decode(VhdxImageBuilder.locatorBytes(pairs()));
    assertEquals(ParentLocator.VHDX_PARENT_LOCATOR, p.locatorType());
    assertEquals(LINK, p.parentLinkage());
    assertEquals(Optional.empty(), p.parentLinkage2());
    assertEquals(List.of("..\\..\\path2\\sub3\\parent.vhdx",
        "\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\\p.vhdx",
        "\\\\?\\d:\\path2\\sub3\\parent.vhdx"), p.parentPaths());
    assertEquals(List.copyOf(pairs().keySet()), List.copyOf(p.entries().keySet()));
    assertTrue(p.accepts(LINK));
    assertFalse(p.accepts(UUID.randomUUID()));
  }

  @Test
  void encodeMatchesTheBuilderAndRoundTrips() throws Exception {
    byte[] b = VhdxImageBuilder.locatorBytes(pairs());
    ParentLocator p = decode(b);
    assertArrayEquals(b, p.encode());
    assertEquals(p, decode(p.encode()));
  }

  @Test
  void linkageIsReadLenientlyAndLinkage2IsAccepted() throws Exception {
    Map<String, String> m = pairs();
    m.put("parent_linkage", "83ED0EC3-24C8-49A6-A959-5E4BF1288BFB");
    UUID second = UUID.randomUUID();
    m.put("parent_linkage2", MsGuid.format(second));
    ParentLocator p = decode(VhdxImageBuilder.locatorBytes(m));
    assertEquals(LINK, p.parentLinkage());
    assertTrue(p.accepts(second));
  }

  @Test
  void missingLinkageOrPathsAreRefused() {
    Map<String, String> noLink = pairs();
    noLink.remove("parent_linkage");
    assertTrue(assertThrows(VhdFormatException.class,
        () -> decode(VhdxImageBuilder.locatorBytes(noLink))).getMessage()
        .contains("no parent_linkage"));
    Map<String, String> noPath = new LinkedHashMap<>();
    noPath.put("parent_linkage", MsGuid.format(LINK));
    noPath.put("other", "x");
    assertTrue(assertThrows(VhdFormatException.class,
        () -> decode(VhdxImageBuilder.locatorBytes(noPath))).getMessage().contains("no relative"));
    Map<String, String> badLink = pairs();
    badLink.put("parent_linkage", "{not-a-guid}");
    assertTrue(assertThrows(VhdFormatException.class,
        () -> decode(VhdxImageBuilder.locatorBytes(badLink))).getMessage()
        .contains("is not a GUID"));
  }

  private static VhdFormatException refused(java.util.function.Consumer<ByteBuffer> edit) {
    byte[] b = VhdxImageBuilder.locatorBytes(pairs());
    edit.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
    return assertThrows(VhdFormatException.class, () -> decode(b));
  }

  @Test
  void keysAndValuesMustLieInsideTheItemAsWholeUtf16WithoutNuls() {
    assertTrue(refused(b -> b.put(0, (byte) 0)).getMessage().contains("unknown parent locator"));
    assertTrue(refused(b -> b.putShort(18, (short) 5000)).getMessage().contains("entries"));
    assertTrue(refused(b -> b.putInt(20, 0)).getMessage().contains("non-zero"));
    assertTrue(refused(b -> b.putShort(20 + 10, (short) 0)).getMessage().contains("non-zero"));
    assertTrue(refused(b -> b.putInt(20 + 4, 100000)).getMessage().contains("past the"));
    assertTrue(refused(b -> b.putShort(20 + 8, (short) 27)).getMessage().contains("odd"));
    assertTrue(refused(b -> {
      int keyAt = b.getInt(20);
      b.putShort(keyAt, (short) 0);
    }).getMessage().contains("NUL"));
    assertTrue(refused(b -> {
      int keyAt = b.getInt(20);
      b.putShort(keyAt, (short) 0xD800); // a lone high surrogate
    }).getMessage().contains("UTF-16"));
    // Second entry's key made to point at the first entry's key: a duplicate.
    assertTrue(refused(b -> {
      b.putInt(32, b.getInt(20));
      b.putShort(32 + 8, b.getShort(20 + 8));
    }).getMessage().contains("appears twice"));
    assertThrows(VhdFormatException.class, () -> decode(new byte[10]));
  }
}
