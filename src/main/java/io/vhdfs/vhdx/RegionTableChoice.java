package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.util.Optional;

/**
 * Which region table copy is used: copy 1 when it decodes, else copy 2.
 *
 * <p>QEMU reads copy 1 only and fails when it is bad; libvhdi reads both and fails when either is.
 * Region tables change only through the log, which rewrites both copies, so a copy that fails its
 * CRC is a torn or damaged write and the other one holds the same table: falling back to copy 2
 * opens files both peers refuse without trusting anything unchecked.
 *
 * @param table the table to use
 * @param copy 1 or 2
 * @param otherProblem why the other copy was not used or disagrees, when it was not or does
 */
record RegionTableChoice(RegionTable table, int copy, Optional<String> otherProblem) {

  /** Chooses between the two region table copies as {@code source} holds them now. */
  public static RegionTableChoice read(ByteSource source) throws java.io.IOException {
    return choose(
        source.readStructure(RegionTable.COPY1_OFFSET, RegionTable.SIZE, "region table 1"),
        source.readStructure(RegionTable.COPY2_OFFSET, RegionTable.SIZE, "region table 2"),
        source.name());
  }

  /**
   * Chooses between the 64 KiB at {@link RegionTable#COPY1_OFFSET} and at
   * {@link RegionTable#COPY2_OFFSET}.
   */
  public static RegionTableChoice choose(byte[] copy1, byte[] copy2, String file)
      throws VhdFormatException {
    RegionTable table1;
    try {
      table1 = RegionTable.decode(copy1, file, RegionTable.COPY1_OFFSET);
    } catch (VhdFormatException e1) {
      try {
        RegionTable table2 = RegionTable.decode(copy2, file, RegionTable.COPY2_OFFSET);
        return new RegionTableChoice(table2, 2, Optional.of(withoutFile(e1, file)));
      } catch (VhdFormatException e2) {
        throw new VhdFormatException(file, RegionTable.COPY1_OFFSET,
            "neither region table copy is usable: " + withoutFile(e1, file) + "; "
                + withoutFile(e2, file));
      }
    }
    Optional<String> other;
    try {
      RegionTable table2 = RegionTable.decode(copy2, file, RegionTable.COPY2_OFFSET);
      other = table2.entries().equals(table1.entries())
          ? Optional.empty()
          : Optional.of("region table copy 2 differs from copy 1");
    } catch (VhdFormatException e2) {
      other = Optional.of(withoutFile(e2, file));
    }
    return new RegionTableChoice(table1, 1, other);
  }

  /** The exception's message without the leading file name, to nest it in another message. */
  static String withoutFile(VhdFormatException e, String file) {
    String m = e.getMessage();
    return m.startsWith(file + ": ") ? m.substring(file.length() + 2) : m;
  }
}
