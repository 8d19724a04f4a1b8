package io.vhdfs.disk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a virtual byte range of a sparse image into {@link Run}s, once per call and never per
 * sector, for every format alike: what a block holds comes from the format's {@link BlockMap}. A
 * data run stays inside one block (the next block lies elsewhere in the file), and neighbouring
 * sectors of equal state merge, so a read of an allocated region costs one host read.
 */
public final class SectorMapper {
  /** {@link #directOffset}'s answer for a range inside one block the image does not hold. */
  public static final long NOT_HELD = -2;

  private final BlockMap map;
  private final int blockShift;
  private final int sectorShift;

  /** A mapper over {@code map}. */
  public SectorMapper(BlockMap map) {
    this.map = map;
    this.blockShift = Integer.numberOfTrailingZeros(map.blockSize());
    this.sectorShift = Integer.numberOfTrailingZeros(map.sectorSize());
  }

  /**
   * Where {@code [position, position + length)} lies in the file when it is one stretch of a fully
   * written block (the common case, served without building runs); {@link #NOT_HELD} when it lies
   * in one block the image does not hold (common in a chain's children); otherwise -1.
   */
  public long directOffset(long position, int length) throws IOException {
    long block = position >>> blockShift;
    int inBlock = (int) (position & ((1L << blockShift) - 1));
    if (inBlock + (long) length > (1L << blockShift)) {
      return -1;
    }
    return switch (map.state(block)) {
      case ABSENT -> NOT_HELD;
      case ZERO -> -1;
      case FULL -> map.dataOffset(block) + inBlock;
      case PARTIAL -> map.sectors(block) == null ? map.dataOffset(block) + inBlock : -1;
    };
  }

  /** The runs covering {@code [position, position + length)}, in order. */
  public List<Run> map(long position, int length) throws IOException {
    List<Run> runs = new ArrayList<>(2);
    long blockMask = (1L << blockShift) - 1;
    long p = position;
    long end = position + length;
    while (p < end) {
      long block = p >>> blockShift;
      int inBlock = (int) (p & blockMask);
      int n = (int) Math.min(end - p, (1L << blockShift) - inBlock);
      switch (map.state(block)) {
        case ABSENT -> add(runs, new Run(Run.Kind.BACKING, -1, n));
        case ZERO -> add(runs, new Run(Run.Kind.ZERO, -1, n));
        case FULL -> add(runs, new Run(Run.Kind.DATA, map.dataOffset(block) + inBlock, n));
        case PARTIAL -> {
          long dataAt = map.dataOffset(block);
          SectorPresence sectors = map.sectors(block);
          if (sectors == null) {
            add(runs, new Run(Run.Kind.DATA, dataAt + inBlock, n));
          } else {
            mapPartialBlock(runs, sectors, dataAt, inBlock, n);
          }
        }
      }
      p += n;
    }
    return runs;
  }

  private void mapPartialBlock(List<Run> runs, SectorPresence sectors, long dataAt, int from,
      int n) {
    int stop = from + n;
    int lastSector = (stop - 1) >>> sectorShift;
    int cur = from;
    while (cur < stop) {
      int sector = cur >>> sectorShift;
      int runEnd = (int) Math.min(stop,
          (long) sectors.runEnd(sector, lastSector + 1) << sectorShift);
      Run run = sectors.isSet(sector)
          ? new Run(Run.Kind.DATA, dataAt + cur, runEnd - cur)
          : new Run(Run.Kind.BACKING, -1, runEnd - cur);
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
