package io.vhdfs.vhdx;

/**
 * The bit order of VHDX sector bitmaps: one bit per logical sector, least significant bit first,
 * so sector s is bit {@code s & 7} of byte {@code s >>> 3}; 1 means the sector is in this file,
 * 0 that it comes from the parent.
 */
final class SectorBitmap {
  private SectorBitmap() {}

  /** Whether sector {@code sector} (counted from the start of {@code bits}) is in this file. */
  public static boolean isPresent(byte[] bits, long sector) {
    return (bits[(int) (sector >>> 3)] & (1 << (sector & 7))) != 0;
  }

  /** Marks sector {@code sector} as in this file. */
  public static void setPresent(byte[] bits, long sector) {
    bits[(int) (sector >>> 3)] |= (byte) (1 << (sector & 7));
  }

  /**
   * How many sectors from {@code from} on, at most {@code max}, share the bit of sector
   * {@code from}: the length of one run a read can serve from one place.
   */
  public static int runLength(byte[] bits, int from, int max) {
    boolean present = isPresent(bits, from);
    int uniform = present ? 0xFF : 0x00;
    int s = from;
    int end = from + max;
    while (s < end) {
      if ((s & 7) == 0 && end - s >= 8) {
        if ((bits[s >>> 3] & 0xFF) == uniform) {
          s += 8;
          continue;
        }
      }
      if (isPresent(bits, s) != present) {
        break;
      }
      s++;
    }
    return s - from;
  }
}
