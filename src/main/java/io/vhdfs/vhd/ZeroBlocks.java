package io.vhdfs.vhd;

import io.vhdfs.disk.VirtualDisk;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Allocated blocks of a dynamic image that hold only zeros, because a range made to read as zeros
 * ({@link VirtualDisk#writeZeros}) covered each of them whole, and which of them can be given
 * back when the disk closes.
 *
 * <p>Why only some, and only then: VHD has no free-space map. A block given back in the middle of
 * the file leaves a hole that no writer of the format reuses (new blocks always go at the end),
 * that the file does not shrink by, and that {@code vhd check} rightly reports as orphan space.
 * So a block that ends up holding zeros keeps its place and its zeros (it reads as zeros in every
 * reader, and is written in place if written again), except at the end of the file, where giving
 * it back shrinks the file. That is done when the disk closes, when no channel can still be
 * reading or writing the block through an entry it looked up before. A conversion drops every
 * all-zero block.
 *
 * <p>A block is marked before its zeros go in and unmarked after every write into it, so a mark
 * that survives to the close means the block holds zeros.
 */
final class ZeroBlocks {
  /** Alignment gaps before a block's data are shorter; a longer gap holds something else. */
  private static final long MAX_GAP = 4096;

  private final Set<Integer> blocks = ConcurrentHashMap.newKeySet();

  /** Marks allocated block {@code block}, about to be filled with zeros. */
  void add(int block) {
    blocks.add(block);
  }

  /** Unmarks the blocks that {@code length} bytes at {@code position} touch. */
  void removeRange(long position, long length, int blockSize) {
    if (length <= 0 || blocks.isEmpty()) {
      return;
    }
    int first = (int) (position / blockSize);
    int last = (int) ((position + length - 1) / blockSize);
    for (int b = first; b <= last; b++) {
      blocks.remove(b);
    }
  }

  /**
   * Which blocks to give back and where the footer then goes.
   *
   * @param blocks the blocks whose BAT entries become unallocated
   * @param footerAt where the end footer goes; the file ends 512 bytes later
   */
  record Cut(int[] blocks, long footerAt) {}

  /**
   * The marked blocks that are the last things in the file: the highest-placed allocated block if
   * marked, the one below it if marked too, and so on, each reaching to within an alignment gap
   * of the one above (or of the footer). The footer then goes right after what stays: the highest
   * block kept or the image's metadata, whichever ends later.
   *
   * @param span bytes of one block in the file, bitmap and data
   * @param footerAt where the end footer is now
   * @param metadataEnd where the image's header, BAT and parent locator data end
   * @return null if no block can be given back
   */
  Cut tail(BlockTable table, long span, long footerAt, long metadataEnd) {
    if (blocks.isEmpty()) {
      return null;
    }
    long keptEnd = 0;
    List<long[]> marked = new ArrayList<>();
    for (int b = 0; b < table.size(); b++) {
      long at = table.bitmapOffset(b);
      if (at < 0) {
        continue;
      }
      if (blocks.contains(b)) {
        marked.add(new long[] {at, b});
      } else {
        keptEnd = Math.max(keptEnd, at + span);
      }
    }
    marked.sort(Comparator.comparingLong((long[] m) -> m[0]).reversed());
    long cursor = footerAt;
    List<Integer> cut = new ArrayList<>();
    for (long[] m : marked) {
      long end = m[0] + span;
      if (m[0] < keptEnd || end > cursor || cursor - end >= MAX_GAP) {
        break;
      }
      cut.add((int) m[1]);
      cursor = m[0];
    }
    long below = Math.max(keptEnd, metadataEnd);
    if (cut.isEmpty() || below > cursor) {
      return null; // metadata above a block: a layout this does not guess about
    }
    long newFooterAt = cursor - below < MAX_GAP ? (below + 511) / 512 * 512 : cursor;
    return new Cut(cut.stream().mapToInt(Integer::intValue).toArray(), newFooterAt);
  }
}
