package io.vhdfs.vhd;

/**
 * The {@link io.vhdfs.disk.Finding} codes of defects only a VHD can have (its footers, dynamic
 * header and parent locators); stable, for scripts. The codes every format shares are on
 * {@code Finding}.
 */
final class VhdFindings {
  /** No footer at the end of the file: only the copy at offset 0 survives. */
  static final String FOOTER_LOST = "footer-lost";
  /** A footer (at the end or the copy at 0) fails its checksum. */
  static final String FOOTER_CHECKSUM = "footer-checksum";
  /** A footer holds a field no reader accepts: version, disk type, size, data offset. */
  static final String FOOTER_INVALID = "footer-invalid";
  /** A dynamic or differencing image has no footer copy at offset 0. */
  static final String FOOTER_COPY_MISSING = "footer-copy-missing";
  /** Both footers are sound but not byte-identical. */
  static final String FOOTER_COPIES_DIFFER = "footer-copies-differ";
  /** The end footer is the 511-byte footer of pre-2004 Virtual PC. */
  static final String SHORT_FOOTER = "short-footer";
  /** The dynamic header lies outside the file or on the footer copy. */
  static final String HEADER_LOCATION = "header-location";
  /** The dynamic header lacks its {@code cxsparse} cookie. */
  static final String HEADER_COOKIE = "header-cookie";
  /** The dynamic header fails its checksum. */
  static final String HEADER_CHECKSUM = "header-checksum";
  /** The dynamic header holds a field no reader accepts: version, block size, table offset. */
  static final String HEADER_INVALID = "header-invalid";
  /** A parent locator's data lies outside the file, on other metadata, or is too long. */
  static final String LOCATOR = "locator";
  /** A block runs over the footer at the end of the file. */
  static final String ENTRY_OVER_FOOTER = "entry-over-footer";

  private VhdFindings() {}
}
