package io.vhdfs.cli;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * A size argument as {@code vhd create} and qemu-img take it: bytes, or a number with a binary
 * suffix K, M, G or T, before which a decimal fraction may stand ({@code 1.5G}; whole bytes,
 * truncated).
 */
final class ByteSize {
  private ByteSize() {}

  /**
   * The bytes {@code text} names.
   *
   * @param what the argument, for the message
   * @throws IllegalArgumentException if it is not a non-negative size that fits 63 bits
   */
  static long parse(String what, String text) {
    String s = text.trim().toUpperCase(Locale.ROOT);
    int shift = s.isEmpty() ? 0 : switch (s.charAt(s.length() - 1)) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      default -> 0;
    };
    String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
    if (digits.matches("\\d+") || (shift > 0 && digits.matches("\\d+\\.\\d+"))) {
      BigDecimal bytes = new BigDecimal(digits).multiply(BigDecimal.valueOf(1L << shift));
      if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
        return bytes.longValue();
      }
    }
    throw new IllegalArgumentException(what + ": '" + text + "' is not a size in bytes (suffix "
        + "K, M, G or T allowed)");
  }
}
