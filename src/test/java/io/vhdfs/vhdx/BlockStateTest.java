package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class BlockStateTest {
  @Test
  void readsFollowTheNotesStateTable() {
    assertEquals(BlockContent.ZEROS, PayloadState.NOT_PRESENT.content(false));
    assertEquals(BlockContent.PARENT, PayloadState.NOT_PRESENT.content(true));
    for (PayloadState s : new PayloadState[] {PayloadState.UNDEFINED, PayloadState.ZERO,
        PayloadState.UNMAPPED}) {
      assertEquals(BlockContent.ZEROS, s.content(false), s.name());
      assertEquals(BlockContent.ZEROS, s.content(true), s + " reads zeros, not the parent");
    }
    assertEquals(BlockContent.FILE, PayloadState.FULLY_PRESENT.content(true));
    assertEquals(BlockContent.BY_SECTOR, PayloadState.PARTIALLY_PRESENT.content(true));
  }

  @Test
  void codeFiveIsTheDraftsUnmappedAndFourIsReserved() {
    assertEquals(Optional.of(PayloadState.UNMAPPED), PayloadState.of(5));
    assertEquals(Optional.empty(), PayloadState.of(4));
    for (PayloadState s : PayloadState.values()) {
      assertEquals(Optional.of(s), PayloadState.of(s.code));
    }
  }

  @Test
  void entryFieldsSplitAtBitsThreeAndTwenty() {
    BatEntry e = new BatEntry(0x800006L);
    assertEquals(6, e.stateCode());
    assertEquals(0x800000L, e.fileOffset());
    assertEquals(0, e.reservedBits());
    assertEquals(PayloadState.FULLY_PRESENT, e.payloadState());
    assertTrue(e.bitmapPresent());
    assertEquals(0x8L, new BatEntry(0x800008L).reservedBits());
    assertEquals(new BatEntry(0x300007L), BatEntry.of(7, 3 << 20));
    assertThrows(IllegalArgumentException.class, () -> BatEntry.of(8, 0));
    assertThrows(IllegalArgumentException.class, () -> BatEntry.of(6, 4096));
    assertThrows(IllegalStateException.class, () -> new BatEntry(4).payloadState());
    assertFalse(new BatEntry(0).bitmapPresent());
  }

  @Test
  void sectorBitmapIsLeastSignificantBitFirst() {
    byte[] bits = new byte[4];
    SectorBitmap.setPresent(bits, 0);
    SectorBitmap.setPresent(bits, 9);
    assertEquals(0x01, bits[0]);
    assertEquals(0x02, bits[1]);
    assertTrue(SectorBitmap.isPresent(new byte[] {(byte) 0x80}, 7));
    assertFalse(SectorBitmap.isPresent(new byte[] {(byte) 0x80}, 0));
  }

  @Test
  void runLengthCountsSectorsSharingTheFirstBit() {
    byte[] bits = new byte[64];
    for (int s = 8; s < 16; s++) {
      SectorBitmap.setPresent(bits, s);
    }
    for (int s = 100; s < 300; s++) {
      SectorBitmap.setPresent(bits, s);
    }
    assertEquals(8, SectorBitmap.runLength(bits, 0, 512));
    assertEquals(3, SectorBitmap.runLength(bits, 5, 512));
    assertEquals(8, SectorBitmap.runLength(bits, 8, 512));
    assertEquals(84, SectorBitmap.runLength(bits, 16, 512));
    assertEquals(200, SectorBitmap.runLength(bits, 100, 512));
    assertEquals(212, SectorBitmap.runLength(bits, 300, 212));
    assertEquals(10, SectorBitmap.runLength(bits, 300, 10));
    assertEquals(1, SectorBitmap.runLength(bits, 299, 512));
  }
}
