package io.vhdfs.partition;

/** A table structure that cannot be used; the message says why, for the problems list. */
final class TableDefect extends Exception {
  private static final long serialVersionUID = 1L;

  TableDefect(String reason) {
    super(reason, null, false, false);
  }
}
