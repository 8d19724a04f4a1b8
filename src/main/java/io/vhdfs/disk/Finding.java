package io.vhdfs.disk;

import io.vhdfs.vhd.VhdChecker;

/**
 * One structural defect {@link VhdChecker} found in an image.
 *
 * @param code what kind of defect, one of the constants below (stable, for scripts)
 * @param offset the byte offset in the image file of the structure or field at fault, or -1
 *     where none applies
 * @param meaning what is wrong and what it means, phrased for a person
 * @param repairable whether a repair can fix it safely (rewriting a footer, marking a BAT entry
 *     unallocated), never touching data
 * @param repaired whether a repair did fix it
 */
public record Finding(String code, long offset, String meaning, boolean repairable,
    boolean repaired) {

  /** No footer at the end of the file: only the copy at offset 0 survives. */
  public static final String FOOTER_LOST = "footer-lost";
  /** A footer (at the end or the copy at 0) fails its checksum. */
  public static final String FOOTER_CHECKSUM = "footer-checksum";
  /** A footer holds a field no reader accepts: version, disk type, size, data offset. */
  public static final String FOOTER_INVALID = "footer-invalid";
  /** A dynamic or differencing image has no footer copy at offset 0. */
  public static final String FOOTER_COPY_MISSING = "footer-copy-missing";
  /** Both footers are sound but not byte-identical. */
  public static final String FOOTER_COPIES_DIFFER = "footer-copies-differ";
  /** The end footer is the 511-byte footer of pre-2004 Virtual PC. */
  public static final String SHORT_FOOTER = "short-footer";
  /** The dynamic header lies outside the file or on the footer copy. */
  public static final String HEADER_LOCATION = "header-location";
  /** The dynamic header lacks its {@code cxsparse} cookie. */
  public static final String HEADER_COOKIE = "header-cookie";
  /** The dynamic header fails its checksum. */
  public static final String HEADER_CHECKSUM = "header-checksum";
  /** The dynamic header holds a field no reader accepts: version, block size, table offset. */
  public static final String HEADER_INVALID = "header-invalid";
  /** The BAT lies outside the file or on other metadata. */
  public static final String TABLE_LOCATION = "table-location";
  /** The BAT has too few entries for the size, or far too many. */
  public static final String TABLE_ENTRIES = "table-entries";
  /** The virtual size is too large, or a fixed image's data area too small for it. */
  public static final String SIZE = "size";
  /** A parent locator's data lies outside the file, on other metadata, or is too long. */
  public static final String LOCATOR = "locator";
  /** A BAT entry points at or past the end of the file's data area. */
  public static final String ENTRY_OUTSIDE_FILE = "entry-outside-file";
  /** A block starts inside the file but runs past its end: the file was cut short. */
  public static final String ENTRY_TRUNCATED = "entry-truncated";
  /** A block runs over the footer at the end of the file. */
  public static final String ENTRY_OVER_FOOTER = "entry-over-footer";
  /** A block overlaps the footer copy, the dynamic header, the BAT or parent locator data. */
  public static final String ENTRY_OVER_METADATA = "entry-over-metadata";
  /** Two BAT entries' blocks overlap. */
  public static final String ENTRIES_OVERLAP = "entries-overlap";
  /** A stretch of the file room for whole blocks that nothing refers to. */
  public static final String ORPHAN_SPACE = "orphan-space";
  /** No place the differencing image names holds its parent. */
  public static final String PARENT_MISSING = "parent-missing";
  /** The parent found has another unique id than the child records. */
  public static final String PARENT_ID_MISMATCH = "parent-id-mismatch";
  /** The parent was found but it, or its own chain, cannot be opened. */
  public static final String PARENT_CHAIN = "parent-chain";
  /** More findings of one kind than are listed one by one. */
  public static final String MORE = "more";

  /** This finding, marked as one no repair fixes. */
  Finding asUnrepairable() {
    return new Finding(code, offset, meaning, false, false);
  }

  /** This finding, marked repaired. */
  Finding asRepaired() {
    return new Finding(code, offset, meaning, repairable, true);
  }
}
