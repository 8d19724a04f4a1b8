package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RegionTableTest {
  private static final long T1 = VhdxImageBuilder.REGION_TABLE1;
  private static final long T2 = VhdxImageBuilder.REGION_TABLE2;

  private static RegionTableChoice choose(VhdxImageBuilder.Image img) throws VhdFormatException {
    return RegionTableChoice.choose(img.read(T1, 65536), img.read(T2, 65536), "t.vhdx");
  }

  private static VhdxImageBuilder.Image image() {
    return VhdxImageBuilder.dynamic(64 << 20).build();
  }

  @Test
  void decodesTheBatAndMetadataRegions() throws Exception {
    RegionTableChoice c = choose(image());
    assertEquals(1, c.copy());
    assertTrue(c.otherProblem().isEmpty());
    RegionEntry bat = c.table().bat();
    assertEquals(3 << 20, bat.fileOffset());
    assertEquals(1 << 20, bat.length());
    assertTrue(bat.required());
    assertEquals(2 << 20, c.table().metadata().fileOffset());
    assertTrue(c.table().unknown().isEmpty());
  }

  @Test
  void encodeReproducesTheBuildersTableByteForByte() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(64 << 20)
        .extraRegion(UUID.randomUUID(), 9 << 20, 1 << 20, 0x10).build();
    byte[] raw = img.read(T1, 65536);
    assertArrayEquals(raw, RegionTable.decode(raw, "t", T1).encode());
  }

  @Test
  void requiredZeroOnKnownRegionsIsAcceptedAsQemuWritesIt() throws Exception {
    RegionTableChoice c = choose(VhdxImageBuilder.dynamic(64 << 20).regionRequired(0).build());
    assertFalse(c.table().bat().required());
  }

  @Test
  void badCopyOneFallsBackToCopyTwo() throws Exception {
    VhdxImageBuilder.Image img = image();
    img.put(T1 + 70, new byte[] {1});
    RegionTableChoice c = choose(img);
    assertEquals(2, c.copy());
    assertTrue(c.otherProblem().orElseThrow().contains("CRC-32C"));
  }

  @Test
  void badCopyTwoIsReportedButCopyOneUsed() throws Exception {
    VhdxImageBuilder.Image img = image();
    img.put(T2, new byte[4]);
    RegionTableChoice c = choose(img);
    assertEquals(1, c.copy());
    assertTrue(c.otherProblem().orElseThrow().contains("'regi'"));
  }

  @Test
  void bothCopiesBadIsRefused() {
    VhdxImageBuilder.Image img = image();
    img.put(T1 + 70, new byte[] {1});
    img.put(T2 + 70, new byte[] {1});
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> choose(img));
    assertTrue(e.getMessage().contains("neither region table copy"), e.getMessage());
  }

  @Test
  void unknownRequiredRegionIsRefusedAndUnknownOptionalKept() throws Exception {
    UUID unknown = UUID.randomUUID();
    VhdxImageBuilder.Image optional = VhdxImageBuilder.dynamic(64 << 20)
        .extraRegion(unknown, 9 << 20, 1 << 20, 0).build();
    assertEquals(unknown, choose(optional).table().unknown().get(0).guid());
    VhdxImageBuilder.Image required = VhdxImageBuilder.dynamic(64 << 20)
        .extraRegion(unknown, 9 << 20, 1 << 20, 1).build();
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> RegionTable.decode(required.read(T1, 65536), "t", T1));
    assertTrue(e.getMessage().contains("unknown required region " + unknown), e.getMessage());
    assertEquals(T1 + 16 + 64, e.offset());
  }

  /** Decoding copy 1 after {@code edit} changed it and its CRC was fixed. */
  private static VhdFormatException refused(java.util.function.Consumer<byte[]> edit) {
    byte[] t = image().read(T1, 65536);
    edit.accept(t);
    java.nio.ByteBuffer.wrap(t).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .putInt(4, VhdxImageBuilder.crc(t, 0, t.length, 4));
    return assertThrows(VhdFormatException.class, () -> RegionTable.decode(t, "t", T1));
  }

  private static void putLong(byte[] t, int at, long v) {
    java.nio.ByteBuffer.wrap(t).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(at, v);
  }

  private static void putInt(byte[] t, int at, int v) {
    java.nio.ByteBuffer.wrap(t).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, v);
  }

  @Test
  void entryRulesAreEnforced() {
    assertTrue(refused(t -> putInt(t, 8, 2048)).getMessage().contains("2047"));
    assertTrue(refused(t -> putLong(t, 16 + 16, 4096)).getMessage()
        .contains("not a multiple of 1 MiB"));
    assertTrue(refused(t -> putLong(t, 16 + 16, 0)).getMessage().contains("from 1 MiB"));
    assertTrue(refused(t -> putInt(t, 16 + 24, 4096)).getMessage().contains("length"));
    assertTrue(refused(t -> putInt(t, 16 + 24, 0)).getMessage().contains("is empty"));
    assertTrue(refused(t -> putLong(t, 16 + 16, -1L << 20)).getMessage().contains("offset"));
    assertTrue(refused(t -> System.arraycopy(t, 16, t, 48, 16)).getMessage()
        .contains("appears twice"));
    assertTrue(refused(t -> putInt(t, 8, 1)).getMessage().contains("no metadata region"));
    assertTrue(refused(t -> {
      System.arraycopy(t, 48, t, 16, 32);
      putInt(t, 8, 1);
    }).getMessage().contains("no BAT region"));
    // BAT moved onto the metadata region.
    assertTrue(refused(t -> putLong(t, 16 + 16, 2 << 20)).getMessage().contains("overlap"));
  }

  @Test
  void truncatedTableIsRefused() {
    assertThrows(VhdFormatException.class, () -> RegionTable.decode(new byte[100], "t", T1));
  }
}
