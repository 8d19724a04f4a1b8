package io.vhdfs.disk;

import io.vhdfs.vhd.BlockBitmaps;
import io.vhdfs.vhd.BlockTable;
import io.vhdfs.vhd.SectorBitmap;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a virtual byte range of a sparse image into {@link Run}s, once per call and never per
 * sector: a data run stays inside one block (the next block's bitmap sits between them), and
 * neighbouring sectors of equal state merge, so a read of an allocated region costs one host read.
 */
public final class SectorMapper {
  private final BlockTable bat;
  private final int blockShift;
  private final int bitmapSize;
  private final BlockBitmaps bitmaps;

  public SectorMapper(BlockTable bat, int blockSize, int bitmapSize, BlockBitmaps bitmaps) {
    this.bat = bat;
    this.blockShift = Integer.numberOfTrailingZeros(blockSize);
    this.bitmapSize = bitmapSize;
    this.bitmaps = bitmaps;
  }

  /** {@link #directOffset}'s answer for a range inside one block the image does not hold. */
  public static final long NOT_HELD = -2;

  /**
   * Where {@code [position, position + length)} lies in the file when it is one stretch of a fully
   * written block (the common case, served without building runs); {@link #NOT_HELD} when it lies
   * in one unallocated block (common in a chain's children); otherwise -1.
   */
  public long directOffset(long position, int length) throws IOException {
    int block = (int) (position >>> blockShift);
    int inBlock = (int) (position & ((1L << blockShift) - 1));
    if (inBlock + (long) length > (1L << blockShift)) {
      return -1;
    }
    long bitmapAt = bat.bitmapOffset(block);
    if (bitmapAt < 0) {
      return NOT_HELD;
    }
    if (bitmaps.partial(block, bitmapAt) != null) {
      return -1;
    }
    return bitmapAt + bitmapSize + inBlock;
  }

  /** The runs covering {@code [position, position + length)}, in order. */
  public List<Run> map(long position, int length) throws IOException {
    List<Run> runs = new ArrayList<>(2);
    long blockMask = (1L << blockShift) - 1;
    long p = position;
    long end = position + length;
    while (p < end) {
      int block = (int) (p >>> blockShift);
      int inBlock = (int) (p & blockMask);
      int n = (int) Math.min(end - p, (1L << blockShift) - inBlock);
      long bitmapAt = bat.bitmapOffset(block);
      if (bitmapAt < 0) {
        add(runs, new Run(Run.Kind.ZERO, -1, n));
      } else {
        long dataAt = bitmapAt + bitmapSize;
        SectorBitmap bits = bitmaps.partial(block, bitmapAt);
        if (bits == null) {
          add(runs, new Run(Run.Kind.DATA, dataAt + inBlock, n));
        } else {
          mapPartialBlock(runs, bits, dataAt, inBlock, n);
        }
      }
      p += n;
    }
    return runs;
  }

  private void mapPartialBlock(List<Run> runs, SectorBitmap bits, long dataAt, int from, int n) {
    int stop = from + n;
    int lastSector = (stop - 1) >>> 9;
    int cur = from;
    while (cur < stop) {
      int sector = cur >>> 9;
      int runEnd = (int) Math.min(stop, (long) bits.runEnd(sector, lastSector + 1) << 9);
      Run run = bits.isSet(sector)
          ? new Run(Run.Kind.DATA, dataAt + cur, runEnd - cur)
          : new Run(Run.Kind.ZERO, -1, runEnd - cur);
      add(runs, run);
      cur = runEnd;
    }
  }

  private static void add(List<Run> runs, Run run) {
    if (!runs.isEmpty()) {
      Run merged = runs.get(runs.size() - 1).merge(run);
      if (merged != null) {
        runs.set(runs.size() - 1, merged);
        return;
      }
    }
    runs.add(run);
  }
}
