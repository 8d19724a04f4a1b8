package io.vhdfs.vhd;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.util.BitSet;

/**
 * Writes new BAT entries lazily. Allocating a block changes its entry in memory only; the entry
 * reaches the file later, in sorted batches of whole table sectors, so a sequential fill of a new
 * image costs one table write per 128 blocks rather than one per block. The caller holds the disk's
 * write lock and has made the blocks' bitmaps and data durable first: an entry on disk never points
 * at a block whose bitmap is not.
 */
final class BatWriter {
  /**
   * New entries held back at most before they are written regardless: bounds what a crash can
   * leave unreferenced (1024 blocks is 2 GiB of data with the default block size).
   */
  static final int MAX_PENDING = 1024;

  private final HostFile host;
  private final BlockTable table;
  private final long tableOffset;
  private final BitSet dirtySectors = new BitSet();
  private int pending;

  BatWriter(HostFile host, BlockTable table, long tableOffset) {
    this.host = host;
    this.table = table;
    this.tableOffset = tableOffset;
  }

  void markDirty(int block) {
    dirtySectors.set(block / BlockTable.ENTRIES_PER_SECTOR);
    pending++;
  }

  boolean hasPending() {
    return pending > 0;
  }

  boolean tooMany() {
    return pending >= MAX_PENDING;
  }

  /** Writes every dirty table sector, neighbours merged into one write, in file order. */
  void writeDirty() throws IOException {
    for (int from = dirtySectors.nextSetBit(0); from >= 0;
        from = dirtySectors.nextSetBit(from)) {
      int to = dirtySectors.nextClearBit(from);
      host.write(table.encodeSectors(from, to), tableOffset + from * 512L);
      // Cleared per batch: if a later batch fails, the ones written are not written again.
      dirtySectors.clear(from, to);
      from = to;
    }
    pending = 0;
  }
}
