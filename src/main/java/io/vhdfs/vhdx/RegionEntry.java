package io.vhdfs.vhdx;

import java.util.Objects;
import java.util.UUID;

/**
 * One entry of the region table: a region's GUID, where it lies and whether a reader that does not
 * know it must refuse the file.
 *
 * @param guid the region's identity ({@link RegionTable#BAT}, {@link RegionTable#METADATA}, or
 *     one this reader does not know)
 * @param fileOffset a multiple of 1 MiB, at least 1 MiB
 * @param length a multiple of 1 MiB (unsigned 32-bit)
 * @param required bit 0 of the Required field; QEMU writes 0 even for the two known regions
 * @param requiredField the whole Required field as stored, for byte-exact encoding
 */
record RegionEntry(
    UUID guid, long fileOffset, long length, boolean required, int requiredField) {
  /** Bytes of an entry. */
  public static final int SIZE = 32;

  /** Checks the field widths and that {@code required} is bit 0 of {@code requiredField}. */
  public RegionEntry {
    Objects.requireNonNull(guid, "guid");
    if ((length >>> 32) != 0) {
      throw new IllegalArgumentException("a region length is a 32-bit field");
    }
    if (required != ((requiredField & 1) != 0)) {
      throw new IllegalArgumentException("required must be bit 0 of the required field");
    }
  }

  // equals and hashCode written out: a record's generated ones are bound through method handles
  // on first use, tens of milliseconds of a short run of the tool (issue 14); the two region
  // table copies are compared on every open.
  @Override
  public boolean equals(Object o) {
    return o instanceof RegionEntry e && guid.equals(e.guid) && fileOffset == e.fileOffset
        && length == e.length && required == e.required && requiredField == e.requiredField;
  }

  @Override
  public int hashCode() {
    return Objects.hash(guid, fileOffset, length, requiredField);
  }

  /** An entry with the Required field 1 or 0. */
  public static RegionEntry of(UUID guid, long fileOffset, long length, boolean required) {
    return new RegionEntry(guid, fileOffset, length, required, required ? 1 : 0);
  }

  /** Whether this is one of the two regions the format defines. */
  public boolean known() {
    return guid.equals(RegionTable.BAT) || guid.equals(RegionTable.METADATA);
  }

  /** The file offset just past the region. */
  public long end() {
    return fileOffset + length;
  }
}
