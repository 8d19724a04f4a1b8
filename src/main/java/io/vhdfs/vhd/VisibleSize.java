package io.vhdfs.vhd;

import io.vhdfs.disk.SizeRule;

/**
 * The visible size of a VHD: which footer field gives it under a {@link SizeRule}. Virtual PC
 * sized disks by their CHS geometry, everyone else by the current-size field; readers that
 * disagree show different bytes, so the default follows QEMU 10.
 */
final class VisibleSize {
  private VisibleSize() {}

  /**
   * The visible size in bytes, cut to whole sectors as QEMU does, for an image that can hold
   * {@code capacity} bytes (a fixed image's data area, a dynamic image's table times its block
   * size). A CHS size the image cannot hold means the geometry is wrong (old qemu-img wrote
   * rounded-up geometries over unrounded sizes), so the default rule then trusts the current-size
   * field where that fits; an explicit {@link SizeRule#CHS} keeps the CHS size and the caller
   * refuses it.
   */
  static long of(SizeRule rule, Footer footer, long capacity) {
    long size = preferredSize(rule, footer) & ~511L;
    if (rule == SizeRule.AUTO && size > capacity && footer.currentSize() <= capacity) {
      return footer.currentSize() & ~511L;
    }
    return size;
  }

  private static long preferredSize(SizeRule rule, Footer footer) {
    long chs = footer.geometry().totalSectors() * 512;
    boolean useChs = switch (rule) {
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
