package io.vhdfs.vhd;

import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.SectorPresence;
import java.io.IOException;

/**
 * A dynamic or differencing VHD's blocks as the shared read path sees them: the live BAT says
 * where a block is (its sector bitmap, then its data), the sector bitmaps which sectors it holds.
 * A VHD has no block that reads as zeros whatever its parent holds: a block is absent, or holds
 * sectors, which are partial until their bitmap, read once, shows every bit set.
 */
final class VhdBlockMap implements BlockMap {
  private final BlockTable table;
  private final BlockBitmaps bitmaps;
  private final int blockSize;
  private final int bitmapSize;

  VhdBlockMap(BlockTable table, BlockBitmaps bitmaps, int blockSize, int bitmapSize) {
    this.table = table;
    this.bitmaps = bitmaps;
    this.blockSize = blockSize;
    this.bitmapSize = bitmapSize;
  }

  /** The live BAT, which writers change. */
  BlockTable table() {
    return table;
  }

  /** The sector bitmaps, which writers update. */
  BlockBitmaps bitmaps() {
    return bitmaps;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public int sectorSize() {
    return 512;
  }

  @Override
  public long blockCount() {
    return table.size();
  }

  /** Absent, full if its bitmap is known to be, partial otherwise; never reads the file. */
  @Override
  public State state(long block) {
    int b = (int) block;
    if (table.bitmapOffset(b) < 0) {
      return State.ABSENT;
    }
    return bitmaps.isFull(b) ? State.FULL : State.PARTIAL;
  }

  @Override
  public long dataOffset(long block) {
    return table.bitmapOffset((int) block) + bitmapSize;
  }

  @Override
  public SectorPresence sectors(long block) throws IOException {
    int b = (int) block;
    return bitmaps.partial(b, table.bitmapOffset(b));
  }
}
