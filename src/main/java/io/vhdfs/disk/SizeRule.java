package io.vhdfs.disk;

/**
 * Which of the sizes an existing image records is its visible size (env key {@code sizeFrom}).
 * VHD records two, its CHS geometry and its current-size field, and readers that pick differently
 * show different bytes; a format that records one size has nothing to choose and ignores this.
 */
public enum SizeRule {
  /**
   * The format's default; for VHD what QEMU 10 picks (the rule libvhdi, Hyper-V and Azure also
   * agree with): CHS for creators {@code vpc } and {@code qemu} unless the geometry is
   * 65535/16/255, the current-size field otherwise.
   */
  AUTO,
  /** The CHS geometry, unless it is VHD's 65535/16/255 (which means "too large for CHS"). */
  CHS,
  /** The current-size field. */
  CURRENT_SIZE
}
