package io.vhdfs.vhd;

import io.vhdfs.disk.SectorPresence;

/**
 * The sector bitmap in front of each block's data: one bit per sector, most significant bit of
 * byte 0 first. A set bit means the sector holds data in this file; a clear one means zeros (dynamic)
 * or "ask the parent" (differencing).
 *
 * <p>Instances never change: the array handed to {@link #wrap} is not copied, and the disk layer
 * never changes it afterwards; {@link #withSet} returns a new bitmap.
 */
final class SectorBitmap implements SectorPresence {
  private final byte[] bits;

  private SectorBitmap(byte[] bits) {
    this.bits = bits;
  }

  /** Wraps bitmap bytes read from an image; the caller hands over the array. */
  public static SectorBitmap wrap(byte[] bits) {
    return new SectorBitmap(bits);
  }

  /** Bitmap bytes for a block size: one bit per sector, rounded up to whole sectors. */
  public static int sizeInBytes(int blockSize) {
    int bytes = Math.max(1, blockSize / 512 / 8);
    return (bytes + 511) & ~511;
  }

  /** A bitmap of {@code size} bytes with no bit set. */
  public static SectorBitmap empty(int size) {
    return new SectorBitmap(new byte[size]);
  }

  /**
   * A copy of this bitmap with sectors {@code [from, to)} set too, or this one when they already
   * are. Bitmaps only ever gain bits, and readers hold on to the instance they saw, so the bitmap a
   * write produces is a new one.
   */
  public SectorBitmap withSet(int from, int to) {
    if (isSetRange(from, to)) {
      return this;
    }
    byte[] b = bits.clone();
    for (int s = from; s < to; ) {
      if ((s & 7) == 0 && s + 8 <= to) {
        b[s >>> 3] = (byte) 0xFF;
        s += 8;
      } else {
        b[s >>> 3] |= (byte) (0x80 >>> (s & 7));
        s++;
      }
    }
    return new SectorBitmap(b);
  }

  private boolean isSetRange(int from, int to) {
    return from >= to || (isSet(from) && runEnd(from, to) == to);
  }

  /** Copies {@code length} bitmap bytes from byte {@code offset} into {@code dst} at {@code at}. */
  public void copyTo(int offset, byte[] dst, int at, int length) {
    System.arraycopy(bits, offset, dst, at, length);
  }

  /** Whether sector {@code sector} of the block is present. */
  @Override
  public boolean isSet(int sector) {
    return (bits[sector >>> 3] & (0x80 >>> (sector & 7))) != 0;
  }

  /** Whether the first {@code sectors} bits are all set. */
  public boolean allSet(int sectors) {
    int whole = sectors >>> 3;
    for (int i = 0; i < whole; i++) {
      if (bits[i] != (byte) 0xFF) {
        return false;
      }
    }
    for (int s = whole << 3; s < sectors; s++) {
      if (!isSet(s)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The end (exclusive) of the run of sectors that share the state of sector {@code from}, looking
   * no further than {@code limit}. Whole bytes of equal bits are skipped at once.
   */
  @Override
  public int runEnd(int from, int limit) {
    boolean state = isSet(from);
    byte same = state ? (byte) 0xFF : 0;
    int s = from + 1;
    while (s < limit) {
      if ((s & 7) == 0 && s + 8 <= limit && bits[s >>> 3] == same) {
        s += 8;
      } else if (isSet(s) == state) {
        s++;
      } else {
        break;
      }
    }
    return s;
  }
}
