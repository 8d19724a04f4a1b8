package io.vhdfs.vhdx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Locale;

/** Little-endian field access on byte arrays, the byte order of every VHDX structure. */
final class LittleEndian {
  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private LittleEndian() {}

  static int uint16(byte[] b, int off) {
    return (short) SHORT.get(b, off) & 0xFFFF;
  }

  static int int32(byte[] b, int off) {
    return (int) INT.get(b, off);
  }

  static long uint32(byte[] b, int off) {
    return int32(b, off) & 0xFFFF_FFFFL;
  }

  static long int64(byte[] b, int off) {
    return (long) LONG.get(b, off);
  }

  static void putInt16(byte[] b, int off, int v) {
    SHORT.set(b, off, (short) v);
  }

  static void putInt32(byte[] b, int off, int v) {
    INT.set(b, off, v);
  }

  static void putInt64(byte[] b, int off, long v) {
    LONG.set(b, off, v);
  }

  /** Whether {@code b[off..]} starts with the ASCII signature {@code sig}. */
  static boolean matches(byte[] b, int off, byte[] sig) {
    if (off < 0 || b.length - off < sig.length) {
      return false;
    }
    for (int i = 0; i < sig.length; i++) {
      if (b[off + i] != sig[i]) {
        return false;
      }
    }
    return true;
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v).toUpperCase(Locale.ROOT);
  }
}
