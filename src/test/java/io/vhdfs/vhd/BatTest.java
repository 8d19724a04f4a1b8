package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatTest {
  @Test
  void entriesAreBigEndianSectorNumbersAndAllOnesIsUnallocated() {
    byte[] raw = new byte[512];
    java.util.Arrays.fill(raw, (byte) 0xFF);
    raw[0] = 0;
    raw[1] = 0;
    raw[2] = 0;
    raw[3] = 4; // sector 4 -> byte 2048
    raw[4] = (byte) 0xFF;
    raw[5] = (byte) 0x00;
    raw[6] = 0;
    raw[7] = 0; // sector 0xFF000000: beyond 2^31, must not turn negative
    Bat bat = Bat.decode(raw, 3);
    assertEquals(2048, bat.bitmapOffset(0));
    assertEquals(0xFF000000L * 512, bat.bitmapOffset(1));
    assertFalse(bat.isAllocated(2));
    assertEquals(-1, bat.bitmapOffset(2));
    assertEquals(2, bat.allocatedCount());
    assertArrayEquals(raw, bat.encode());
  }

  @Test
  void emptyTableEncodesAsAllOnesPaddedToASector() {
    byte[] b = Bat.empty(129).encode();
    assertEquals(1024, b.length);
    for (byte x : b) {
      assertEquals((byte) 0xFF, x);
    }
    assertTrue(Bat.empty(0).encode().length == 0);
  }
}
