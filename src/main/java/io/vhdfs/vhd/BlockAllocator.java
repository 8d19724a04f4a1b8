package io.vhdfs.vhd;

import io.vhdfs.disk.HostFile;
import java.io.IOException;

/**
 * Places new blocks at the end of the image. The footer moves first, to just past the new block,
 * so the file ends in a valid footer at every moment; the block then takes the old footer's place.
 * Block data starts on a 4 KiB boundary of the file (as blktap places it), so guest-aligned I/O
 * stays page-aligned on the host; the bytes before the bitmap are a gap no one reads.
 */
final class BlockAllocator {
  private static final int DATA_ALIGNMENT = 4096;
  /** 32-bit BAT entries count sectors, so no block may start at or past 2 TiB. */
  private static final long MAX_SECTOR = 0xFFFF_FFFEL;

  private final HostFile host;
  private final byte[] footer;
  private final int bitmapSize;
  private final int blockSize;
  private volatile long footerAt;

  /**
   * @param footer the footer's bytes, written at every new end of file
   * @param footerAt where the end footer is (or belongs); nothing in use lies at or after it
   */
  BlockAllocator(HostFile host, byte[] footer, long footerAt, int bitmapSize, int blockSize) {
    this.host = host;
    this.footer = footer.clone();
    this.footerAt = footerAt;
    this.bitmapSize = bitmapSize;
    this.blockSize = blockSize;
  }

  /** Where a new block goes: the region from {@code gapFrom} to the data is zeros and bitmap. */
  record Placement(long gapFrom, long bitmapAt, long dataAt) {}

  /**
   * Reserves room for one more block and moves the footer past it. The caller then writes data,
   * then gap and bitmap; the old footer lies in the gap or under the bitmap.
   */
  Placement reserve() throws IOException {
    long from = footerAt;
    long dataAt = roundUp(from + bitmapSize, DATA_ALIGNMENT);
    long bitmapAt = dataAt - bitmapSize;
    long end = dataAt + blockSize;
    if (bitmapAt >>> 9 > MAX_SECTOR) {
      throw new IOException(host.name() + ": no room for another block: the image file would pass"
          + " the 2 TiB that 32-bit BAT sector numbers can address");
    }
    host.write(footer, end);
    footerAt = end;
    return new Placement(from, bitmapAt, dataAt);
  }

  /** Where the end footer is. */
  long footerAt() {
    return footerAt;
  }

  /**
   * Moves the end of the file back to {@code newFooterAt}, below the footer: the footer is written
   * there and forced, and only then is the file cut after it, so the file ends in a valid footer
   * at every moment. Nothing in use may lie at or past {@code newFooterAt}, and no BAT entry on
   * disk may point there (the caller has made that durable).
   */
  void shrinkTo(long newFooterAt) throws IOException {
    host.write(footer, newFooterAt);
    host.force(false);
    host.truncate(newFooterAt + footer.length);
    footerAt = newFooterAt;
  }

  /** Writes the footer where it belongs (a repair of an image that lost it). */
  void writeFooter() throws IOException {
    host.write(footer, footerAt);
  }

  private static long roundUp(long value, long multiple) {
    return (value + multiple - 1) / multiple * multiple;
  }
}
