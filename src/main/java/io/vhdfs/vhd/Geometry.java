package io.vhdfs.vhd;

/**
 * A CHS geometry as stored in the footer: cylinders (16 bits), heads and sectors per track (8 bits
 * each).
 *
 * <p>Two ways to derive one from a size: {@link #ofSectors} is the specification's algorithm, a
 * floor (C x H x S never exceeds the input); {@link #roundingUp} is what qemu-img does when it
 * creates an image, growing the size until it is a whole C x H x S product so that every reader,
 * CHS-trusting or not, sees the same number of bytes.
 */
public record Geometry(int cylinders, int heads, int sectorsPerTrack) {
  /** The largest geometry the fields can express, 65535/16/255; readers take it to mean "use the byte size". */
  public static final Geometry MAX = new Geometry(65535, 16, 255);

  private static final long MAX_CHS_SECTORS = 65535L * 16 * 255;
  private static final long MAX_ATA_SECTORS = 65535L * 16 * 63;

  /** Checks that each field fits its bytes on disk. */
  public Geometry {
    if (cylinders < 0 || cylinders > 0xFFFF || heads < 0 || heads > 0xFF
        || sectorsPerTrack < 0 || sectorsPerTrack > 0xFF) {
      throw new IllegalArgumentException(
          "geometry out of range: " + cylinders + "/" + heads + "/" + sectorsPerTrack);
    }
  }

  /** The number of sectors the geometry addresses. */
  public long totalSectors() {
    return (long) cylinders * heads * sectorsPerTrack;
  }

  /** Whether this is 65535/16/255, the marker for "size is in the current-size field". */
  public boolean isMax() {
    // Field by field: the record's equals is bound through method handles on first use, some
    // milliseconds of every open (issue 14).
    return cylinders == MAX.cylinders && heads == MAX.heads
        && sectorsPerTrack == MAX.sectorsPerTrack;
  }

  /** The four bytes stored at footer offset 56. */
  public int encoded() {
    return (cylinders << 16) | (heads << 8) | sectorsPerTrack;
  }

  /** Decodes the four bytes stored at footer offset 56. */
  public static Geometry decode(int value) {
    return new Geometry(value >>> 16, (value >>> 8) & 0xFF, value & 0xFF);
  }

  /** The specification's algorithm (a floor): the largest geometry not above {@code totalSectors}. */
  public static Geometry ofSectors(long totalSectors) {
    if (totalSectors < 0) {
      throw new IllegalArgumentException("negative sector count: " + totalSectors);
    }
    long t = Math.min(totalSectors, MAX_CHS_SECTORS);
    long spt;
    long heads;
    long cth;
    if (t >= MAX_ATA_SECTORS) {
      spt = 255;
      heads = 16;
      cth = t / spt;
    } else {
      spt = 17;
      cth = t / spt;
      heads = Math.max(4, (cth + 1023) / 1024);
      if (cth >= heads * 1024 || heads > 16) {
        spt = 31;
        heads = 16;
        cth = t / spt;
      }
      if (cth >= heads * 1024) {
        spt = 63;
        heads = 16;
        cth = t / spt;
      }
    }
    return new Geometry((int) (cth / heads), (int) heads, (int) spt);
  }

  /**
   * The geometry qemu-img writes for a new image of {@code totalSectors}: the first spec geometry,
   * trying successively larger sector counts, whose product is at least the request. Above what CHS
   * can express the result is {@link #MAX}, and the caller keeps the exact size.
   */
  public static Geometry roundingUp(long totalSectors) {
    if (totalSectors < 0) {
      throw new IllegalArgumentException("negative sector count: " + totalSectors);
    }
    if (totalSectors > MAX_CHS_SECTORS) {
      return MAX;
    }
    // Consecutive CHS products are at most one cylinder (<= 16 x 255 sectors) apart, so this loop
    // is short.
    for (long t = totalSectors; ; t++) {
      Geometry g = ofSectors(t);
      if (g.totalSectors() >= totalSectors) {
        return g;
      }
    }
  }

  @Override
  public String toString() {
    return cylinders + "/" + heads + "/" + sectorsPerTrack;
  }
}
