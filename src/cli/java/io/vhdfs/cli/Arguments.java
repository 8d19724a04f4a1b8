package io.vhdfs.cli;

/** Conversions of argument text, each refusing what it cannot take in the words messages use. */
final class Arguments {
  private Arguments() {}

  /** A whole number, as picocli said it: {@code 'x' is not an int}. */
  static int integer(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not an int");
    }
  }
}
