package io.vhdfs.partition;

import java.util.UUID;

/** Little-endian fields of partition tables, and GUIDs in their mixed-endian on-disk form. */
final class LittleEndian {
  private LittleEndian() {}

  static int u8(byte[] b, int at) {
    return b[at] & 0xFF;
  }

  /** An unsigned 32-bit field, as MBR sector numbers are. */
  static long u32(byte[] b, int at) {
    return s32(b, at) & 0xFFFFFFFFL;
  }

  static int s32(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16
        | (b[at + 3] & 0xFF) << 24;
  }

  /** A 64-bit field; GPT's unsigned ones above 2^63 come out negative, which callers refuse. */
  static long s64(byte[] b, int at) {
    return (s32(b, at) & 0xFFFFFFFFL) | (long) s32(b, at + 4) << 32;
  }

  /**
   * A GUID as GPT stores it: the first three fields little-endian, the last eight bytes in
   * order.
   */
  static UUID guid(byte[] b, int at) {
    long msb = (s32(b, at) & 0xFFFFFFFFL) << 32 | (long) ((b[at + 4] & 0xFF)
        | (b[at + 5] & 0xFF) << 8) << 16 | ((b[at + 6] & 0xFF) | (b[at + 7] & 0xFF) << 8);
    long lsb = 0;
    for (int i = 8; i < 16; i++) {
      lsb = lsb << 8 | (b[at + i] & 0xFF);
    }
    return new UUID(msb, lsb);
  }
}
