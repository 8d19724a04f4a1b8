package io.vhdfs.disk;

/**
 * One structural defect a format's checker found in an image. The codes below are those every
 * format's checker may report; a format adds its own (VHD: {@code VhdFindings}).
 *
 * @param code what kind of defect, one of the constants below (stable, for scripts)
 * @param offset the byte offset in the image file of the structure or field at fault, or -1
 *     where none applies
 * @param meaning what is wrong and what it means, phrased for a person
 * @param repairable whether a repair can fix it safely (VHD: rewriting a footer, marking a BAT
 *     entry unallocated), never touching data
 * @param repaired whether a repair did fix it
 */
public record Finding(String code, long offset, String meaning, boolean repairable,
    boolean repaired) {

  /** The block table (VHD's BAT) lies outside the file or on other metadata. */
  public static final String TABLE_LOCATION = "table-location";
  /** The block table has too few entries for the size, or far too many. */
  public static final String TABLE_ENTRIES = "table-entries";
  /** The virtual size is too large, or a fixed image's data area too small for it. */
  public static final String SIZE = "size";
  /** A block table entry points at or past the end of the file's data area. */
  public static final String ENTRY_OUTSIDE_FILE = "entry-outside-file";
  /** A block starts inside the file but runs past its end: the file was cut short. */
  public static final String ENTRY_TRUNCATED = "entry-truncated";
  /**
   * A block overlaps the image's metadata (VHD: the footer copy, the dynamic header, the BAT or
   * parent locator data).
   */
  public static final String ENTRY_OVER_METADATA = "entry-over-metadata";
  /** Two block table entries' blocks overlap. */
  public static final String ENTRIES_OVERLAP = "entries-overlap";
  /** A stretch of the file room for whole blocks that nothing refers to. */
  public static final String ORPHAN_SPACE = "orphan-space";
  /** No place the differencing image names holds its parent. */
  public static final String PARENT_MISSING = "parent-missing";
  /** The parent found has another id than the child records. */
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
