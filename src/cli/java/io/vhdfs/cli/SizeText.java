package io.vhdfs.cli;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Byte counts as qemu-img writes them for people: three significant digits in the largest binary
 * unit that keeps the number under 1000 ({@code 64 MiB}, {@code 2.5 MiB}, {@code 0.977 MiB},
 * {@code 512 B}), so {@code vhd info} and {@code qemu-img info} show the same words.
 */
final class SizeText {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  private static final MathContext THREE_DIGITS = new MathContext(3, RoundingMode.HALF_EVEN);

  private SizeText() {}

  /** {@code bytes} (not negative) in the largest unit whose count stays under 1000. */
  static String of(long bytes) {
    int unit = 0;
    // Up a unit while the count would reach 1000: 1000 KiB shows as 0.977 MiB, as in qemu-img.
    while (unit + 1 < UNITS.length && bytes / (1000.0 / 1024) >= 1L << (10 * (unit + 1))) {
      unit++;
    }
    return threeDigits(bytes / (double) (1L << (10 * unit))) + " " + UNITS[unit];
  }

  /**
   * {@code v} to three significant digits without trailing zeros, as C's {@code %.3g} writes
   * it, including its exponent form when rounding reaches 1000 ({@code 1e+03}).
   */
  private static String threeDigits(double v) {
    if (v == 0) {
      return "0";
    }
    BigDecimal rounded = new BigDecimal(v).round(THREE_DIGITS);
    int exponent = rounded.precision() - rounded.scale() - 1;
    if (exponent >= 3) {
      BigDecimal mantissa = rounded.movePointLeft(exponent).stripTrailingZeros();
      return mantissa.toPlainString() + "e+" + String.format("%02d", exponent);
    }
    return rounded.stripTrailingZeros().toPlainString();
  }
}
