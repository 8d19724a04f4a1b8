package io.vhdfs.vhd;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The live block allocation table of an open image. Readers look entries up without locking;
 * entries change under the disk's write lock: from unallocated to allocated after the block's
 * bitmap and data are in the file, and back to unallocated only when the disk gives blocks back
 * as it closes.
 */
final class BlockTable {
  /** Entries per 512-byte sector of the on-disk table. */
  static final int ENTRIES_PER_SECTOR = 128;

  private final AtomicIntegerArray entries;
  private final AtomicInteger allocated;

  BlockTable(Bat bat) {
    int[] e = new int[bat.size()];
    for (int i = 0; i < e.length; i++) {
      e[i] = bat.entry(i);
    }
    this.entries = new AtomicIntegerArray(e);
    this.allocated = new AtomicInteger(bat.allocatedCount());
  }

  int size() {
    return entries.length();
  }

  /** The byte offset of block {@code block}'s bitmap, or -1 when the block is unallocated. */
  public long bitmapOffset(int block) {
    int e = entries.get(block);
    return e == Bat.UNALLOCATED ? -1 : (e & 0xFFFF_FFFFL) * 512;
  }

  /** Records that block {@code block} now lives at {@code bitmapOffset} (sector aligned). */
  void allocate(int block, long bitmapOffset) {
    entries.set(block, (int) (bitmapOffset >>> 9));
    allocated.incrementAndGet();
  }

  /** Records that block {@code block} is no longer allocated. */
  void free(int block) {
    if (entries.getAndSet(block, Bat.UNALLOCATED) != Bat.UNALLOCATED) {
      allocated.decrementAndGet();
    }
  }

  int allocatedCount() {
    return allocated.get();
  }

  /**
   * The on-disk bytes of table sectors {@code [from, to)}: big-endian entries, and 0xFF past the
   * last entry, as the padding of a table is filled.
   */
  byte[] encodeSectors(int from, int to) {
    byte[] b = new byte[(to - from) * 512];
    Arrays.fill(b, (byte) 0xFF);
    int first = from * ENTRIES_PER_SECTOR;
    int last = Math.min(size(), to * ENTRIES_PER_SECTOR);
    for (int i = first; i < last; i++) {
      int v = entries.get(i);
      int at = (i - first) * 4;
      b[at] = (byte) (v >>> 24);
      b[at + 1] = (byte) (v >>> 16);
      b[at + 2] = (byte) (v >>> 8);
      b[at + 3] = (byte) v;
    }
    return b;
  }
}
