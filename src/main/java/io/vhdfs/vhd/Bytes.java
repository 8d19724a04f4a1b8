package io.vhdfs.vhd;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** Big-endian field access on byte arrays, the byte order of every VHD structure. */
final class Bytes {
  private Bytes() {}

  static int int32(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }

  static long uint32(byte[] b, int off) {
    return int32(b, off) & 0xFFFF_FFFFL;
  }

  static long int64(byte[] b, int off) {
    return ((long) int32(b, off) << 32) | uint32(b, off + 4);
  }

  static void putInt32(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  static void putInt64(byte[] b, int off, long v) {
    putInt32(b, off, (int) (v >>> 32));
    putInt32(b, off + 4, (int) v);
  }

  static UUID uuid(byte[] b, int off) {
    return new UUID(int64(b, off), int64(b, off + 8));
  }

  static void putUuid(byte[] b, int off, UUID id) {
    putInt64(b, off, id.getMostSignificantBits());
    putInt64(b, off + 8, id.getLeastSignificantBits());
  }

  /** Four single-byte characters, as the creator fields hold them (may contain NULs). */
  static String ascii4(byte[] b, int off) {
    return new String(b, off, 4, StandardCharsets.ISO_8859_1);
  }

  static void putAscii4(byte[] b, int off, String s) {
    byte[] src = s.getBytes(StandardCharsets.ISO_8859_1);
    if (src.length != 4) {
      throw new IllegalArgumentException("a creator field holds exactly 4 characters: '" + s + "'");
    }
    System.arraycopy(src, 0, b, off, 4);
  }

  static boolean startsWith(byte[] b, int off, byte[] prefix) {
    if (b.length - off < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[off + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** A four-character code ({@code Wi2k}, {@code W2ru}) as its characters, or hex if not printable. */
  static String fourCc(int code) {
    byte[] b = new byte[4];
    putInt32(b, 0, code);
    for (byte c : b) {
      if (c < 0x20 || c > 0x7E) {
        return hex(code & 0xFFFF_FFFFL);
      }
    }
    return new String(b, StandardCharsets.US_ASCII);
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v).toUpperCase(java.util.Locale.ROOT);
  }
}
