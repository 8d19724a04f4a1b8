package io.vhdfs.cli;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;

/**
 * Prints {@code vhd map}'s entries as they come, joining neighbours as qemu-img map does, so a
 * map of any number of extents needs memory for one entry and an output buffer only.
 *
 * <p>{@link Format#JSON} is {@code qemu-img map --output=json}'s text to the byte: {@code [},
 * one object per line with its fields in qemu's order and spacing, lines ended by {@code ,},
 * then {@code ]}. {@link Format#HUMAN} is vhd's table: offset, length, kind ({@code data},
 * {@code parent} or {@code zero}), host offset and file.
 *
 * <p>Output goes through a buffer of its own: a line per write to a terminal or pipe that flushes
 * on every line is what makes a map of hundreds of thousands of extents slow.
 */
final class MapPrinter {
  /** What the output looks like. */
  enum Format {
    /** The table. */
    HUMAN,
    /** qemu-img map's JSON. */
    JSON
  }

  private static final int BUFFER_CHARS = 1 << 16;
  /** The columns of the table, as {@code %-18s %-18s %-7s %-18s %s}. */
  private static final String HEADER = String.format("%-18s %-18s %-7s %-18s %s",
      "Offset", "Length", "Kind", "Mapped to", "File");

  private final Format format;
  private final Writer out;
  private final StringBuilder line = new StringBuilder(160);
  private final String newline = System.lineSeparator();
  private MapEntry pending;
  private boolean printedAny;

  /** A printer writing to {@code out}, which it flushes at {@link #finish()} but never closes. */
  MapPrinter(Format format, Writer out) throws IOException {
    this.format = format;
    this.out = new BufferedWriter(out, BUFFER_CHARS);
    if (format == Format.HUMAN) {
      this.out.write(HEADER);
      this.out.write(newline);
    } else {
      this.out.write('[');
    }
  }

  /** Takes the next entry, which starts where the previous one ended. */
  void add(MapEntry next) throws IOException {
    if (next.length() <= 0) {
      return;
    }
    if (pending != null) {
      MapEntry joined = pending.joinedWith(next);
      if (joined != null) {
        pending = joined;
        return;
      }
      print(pending);
    }
    pending = next;
  }

  /** Prints the last entry and what closes the output, and flushes it all. */
  void finish() throws IOException {
    if (pending != null) {
      print(pending);
      pending = null;
    }
    if (format == Format.JSON) {
      out.write("]\n");
    }
    out.flush();
  }

  private void print(MapEntry e) throws IOException {
    line.setLength(0);
    if (format == Format.JSON) {
      json(e);
    } else {
      row(e);
    }
    out.append(line);
    printedAny = true;
  }

  private void json(MapEntry e) {
    if (printedAny) {
      line.append(",\n");
    }
    line.append("{ \"start\": ").append(e.start())
        .append(", \"length\": ").append(e.length())
        .append(", \"depth\": ").append(e.depth())
        .append(", \"present\": ").append(e.present())
        .append(", \"zero\": ").append(e.zero())
        .append(", \"data\": ").append(e.data());
    if (e.hasOffset()) {
      line.append(", \"offset\": ").append(e.offset());
    }
    line.append('}');
  }

  private void row(MapEntry e) {
    hex(e.start());
    line.append(' ');
    hex(e.length());
    line.append(' ');
    String kind = !e.data() ? "zero" : e.depth() == 0 ? "data" : "parent";
    line.append(kind).append(" ".repeat(8 - kind.length()));
    if (e.hasOffset()) {
      hex(e.offset());
      line.append(' ');
    } else {
      line.append('-').append(" ".repeat(18)); // "-" in the 18 columns of an offset
    }
    if (e.file() != null) {
      line.append(e.file());
    }
    line.append(newline);
  }

  /** {@code 0x} and 16 hex digits, as {@code %#018x} prints it, without a format parse per call. */
  private void hex(long v) {
    line.append("0x");
    String digits = Long.toHexString(v);
    for (int i = digits.length(); i < 16; i++) {
      line.append('0');
    }
    line.append(digits);
  }
}
