package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SectorBitmapTest {
  @Test
  void bitmapSizeIsOneBitPerSectorPaddedToASector() {
    assertEquals(512, SectorBitmap.sizeInBytes(2 << 20));
    assertEquals(512, SectorBitmap.sizeInBytes(512 << 10));
    assertEquals(512, SectorBitmap.sizeInBytes(512));
    assertEquals(1024, SectorBitmap.sizeInBytes(4 << 20));
    assertEquals(64 << 10, SectorBitmap.sizeInBytes(256 << 20));
  }

  @Test
  void mostSignificantBitIsTheFirstSector() {
    byte[] b = new byte[512];
    b[0] = (byte) 0x80;
    SectorBitmap bits = SectorBitmap.wrap(b);
    assertTrue(bits.isSet(0));
    for (int s = 1; s < 8; s++) {
      assertFalse(bits.isSet(s));
    }
    assertEquals(1, bits.runEnd(0, 4096));
    assertEquals(4096, bits.runEnd(1, 4096));
  }

  @Test
  void allSetLooksOnlyAtTheBlocksSectors() {
    byte[] b = new byte[512];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xF0;
    assertTrue(SectorBitmap.wrap(b).allSet(12));
    assertFalse(SectorBitmap.wrap(b).allSet(13));
  }

  @Test
  void runEndAgreesWithABitByBitScan() {
    long seed = new Random().nextLong();
    Random r = new Random(seed);
    for (int round = 0; round < 200; round++) {
      byte[] b = new byte[512];
      for (int i = 0; i < b.length; i++) {
        int kind = r.nextInt(4);
        b[i] = kind == 0 ? 0 : kind == 1 ? (byte) 0xFF : (byte) r.nextInt();
      }
      SectorBitmap bits = SectorBitmap.wrap(b);
      int from = r.nextInt(4096);
      int limit = from + 1 + r.nextInt(4096 - from);
      int expected = from + 1;
      while (expected < limit && bits.isSet(expected) == bits.isSet(from)) {
        expected++;
      }
      assertEquals(expected, bits.runEnd(from, limit), "seed " + seed);
    }
  }
}
