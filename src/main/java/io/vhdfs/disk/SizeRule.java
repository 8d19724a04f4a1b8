package io.vhdfs.disk;

import io.vhdfs.vhd.Footer;

/**
 * Which footer field gives the visible size of an existing image. Virtual PC sized disks by their
 * CHS geometry, everyone else by the current-size field; readers that disagree show different
 * bytes, so the default follows QEMU 10 (the rule libvhdi, Hyper-V and Azure also agree with).
 */
public enum SizeRule {
  /** CHS for creators {@code vpc } and {@code qemu} unless the geometry is 65535/16/255; current size otherwise. */
  AUTO,
  /** CHS, unless the geometry is 65535/16/255 (which means "too large for CHS"). */
  CHS,
  /** The footer's current-size field. */
  CURRENT_SIZE;

  /**
   * The visible size in bytes, cut to whole sectors as QEMU does, for an image that can hold
   * {@code capacity} bytes (a fixed image's data area, a dynamic image's table times its block
   * size). A CHS size the image cannot hold means the geometry is wrong (old qemu-img wrote
   * rounded-up geometries over unrounded sizes), so the default rule then trusts the current-size
   * field where that fits; an explicit {@link #CHS} keeps the CHS size and the caller refuses it.
   */
  public long sizeOf(Footer footer, long capacity) {
    long size = preferredSize(footer) & ~511L;
    if (this == AUTO && size > capacity && footer.currentSize() <= capacity) {
      return footer.currentSize() & ~511L;
    }
    return size;
  }

  private long preferredSize(Footer footer) {
    long chs = footer.geometry().totalSectors() * 512;
    boolean useChs = switch (this) {
      case AUTO -> isChsCreator(footer.creatorApplication()) && !footer.geometry().isMax();
      case CHS -> !footer.geometry().isMax();
      case CURRENT_SIZE -> false;
    };
    return useChs ? chs : footer.currentSize();
  }

  private static boolean isChsCreator(String creator) {
    return creator.equals("vpc ") || creator.equals("qemu");
  }
}
