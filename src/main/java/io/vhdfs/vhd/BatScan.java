package io.vhdfs.vhd;

import io.vhdfs.disk.CheckFindings;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks every BAT entry of an image against its file, reading the table in chunks so that a
 * table of any size costs bounded memory: entries pointing outside the file's data area, blocks
 * cut short by the end of the file or running over the end footer, blocks on metadata, blocks
 * overlapping each other, and stretches of the file that could hold whole blocks but that nothing
 * refers to (orphan space).
 *
 * <p>The "data area" is everything in front of the end footer, or the whole file when the end
 * footer is lost: a block that starts at or past its end holds nothing of its own.
 */
final class BatScan {
  /** A stretch of the file that holds metadata, named for messages. */
  record Range(String what, long start, long end) {}

  private static final int CHUNK_ENTRIES = 1 << 16;
  /**
   * Blocks tracked for the overlap and orphan checks: as many as the largest table the library
   * opens, 32 MiB of memory. A table with more allocated blocks is checked entry by entry only.
   */
  private static final int MAX_TRACKED = (int) VhdLayer.MAX_TABLE_ENTRIES;
  /**
   * The smallest gap reported as orphan space besides being a whole block: writers that align
   * block data to 4 KiB, as this library and blktap do, leave gaps up to 4 KiB on purpose.
   */
  private static final long MIN_ORPHAN = 4096;

  private final HostFile host;
  private final long tableAt;
  private final long entries;
  private final long span;
  private final long dataLimit;
  private final long length;
  private final List<Range> metadata;
  private final List<Range> reserved;
  private final CheckFindings findings;
  private final VhdRepair outsideFix;

  private long usedEnd;
  private boolean runsPastEnd;
  private boolean touchesFooterCopy;
  private long outside;
  private boolean complete = true;

  /**
   * @param span bytes of one block on the host: bitmap and data
   * @param dataLimit where the data area ends: the end footer's offset, or the file's length
   * @param metadata ranges no block may touch
   * @param reserved further ranges in use (space reserved for locator data), for orphan space
   * @param outsideFix how an entry pointing outside the data area would be repaired, if at all
   */
  BatScan(HostFile host, long tableAt, long entries, long span, long dataLimit, long length,
      List<Range> metadata, List<Range> reserved, CheckFindings findings,
      VhdRepair outsideFix) {
    this.host = host;
    this.tableAt = tableAt;
    this.entries = entries;
    this.span = span;
    this.dataLimit = dataLimit;
    this.length = length;
    this.metadata = List.copyOf(metadata);
    this.reserved = List.copyOf(reserved);
    this.findings = findings;
    this.outsideFix = outsideFix;
  }

  /** Checks every entry, then the blocks against each other and the gaps between them. */
  void scan(ProgressListener progress) throws IOException {
    // Sector number in the high half, entry index in the low (entries are 32-bit): sorting finds
    // overlaps and gaps in one pass. The sign bit is flipped so signed order is unsigned order.
    long[] blocks = new long[(int) Math.min(entries, 1024)];
    int count = 0;
    for (long first = 0; first < entries; first += CHUNK_ENTRIES) {
      int n = (int) Math.min(CHUNK_ENTRIES, entries - first);
      ByteBuffer chunk = ByteBuffer.wrap(host.readBytes(tableAt + 4 * first, 4 * n));
      for (int k = 0; k < n; k++) {
        int entry = chunk.getInt(4 * k);
        if (entry == Bat.UNALLOCATED) {
          continue;
        }
        long index = first + k;
        long at = (entry & 0xFFFF_FFFFL) * 512;
        if (!checkEntry(index, at)) {
          continue;
        }
        if (count == MAX_TRACKED) {
          complete = false;
          continue;
        }
        if (count == blocks.length) {
          blocks = Arrays.copyOf(blocks, (int) Math.min((long) count * 2, MAX_TRACKED));
        }
        blocks[count++] = ((at / 512) << 32 | index) ^ Long.MIN_VALUE;
      }
      progress.advanced(4 * (first + n), 4 * entries);
    }
    if (!complete) {
      findings.add(Finding.TABLE_ENTRIES, tableAt, "more than " + MAX_TRACKED + " allocated "
          + "blocks inside the file: each entry was checked on its own, but not whether blocks "
          + "overlap each other or leave orphan space");
      return;
    }
    long[] sorted = Arrays.copyOf(blocks, count);
    Arrays.sort(sorted);
    checkOverlaps(sorted);
    checkOrphanSpace(sorted);
  }

  /** Checks one allocated entry; returns whether its block starts inside the data area. */
  private boolean checkEntry(long index, long at) {
    long entryAt = tableAt + 4 * index;
    if (at >= dataLimit) {
      outside++;
      findings.add(Finding.ENTRY_OUTSIDE_FILE, entryAt, "BAT entry " + index + " points at byte "
          + at + ", at or past the end of the file's " + dataLimit + " bytes of metadata and "
          + "data: the block is not in the file", outsideFix);
      return false;
    }
    long end = at + span;
    usedEnd = Math.max(usedEnd, Math.min(end, dataLimit));
    if (end > length) {
      runsPastEnd = true;
      findings.add(Finding.ENTRY_TRUNCATED, entryAt, "BAT entry " + index + "'s block at byte "
          + at + " runs to byte " + end + ", past the end of the file (" + length + " bytes): "
          + "the file was cut short and the block's last " + (end - length) + " bytes are lost");
    } else if (end > dataLimit) {
      findings.add(VhdFindings.ENTRY_OVER_FOOTER, entryAt, "BAT entry " + index + "'s block at "
          + "byte " + at + " runs to byte " + end + ", over the end footer at " + dataLimit);
    }
    List<String> hit = new ArrayList<>();
    for (Range m : metadata) {
      if (at < m.end() && m.start() < end) {
        hit.add("the " + m.what() + " at " + m.start());
      }
    }
    touchesFooterCopy |= at < Footer.SIZE;
    if (!hit.isEmpty()) {
      findings.add(Finding.ENTRY_OVER_METADATA, entryAt, "BAT entry " + index + "'s block at "
          + "byte " + at + " (" + span + " bytes) overlaps " + String.join(", ", hit));
    }
    return true;
  }

  private void checkOverlaps(long[] sorted) {
    long reachEnd = -1;
    long reachStart = -1;
    long reachIndex = -1;
    for (long key : sorted) {
      long at = start(key);
      long index = index(key);
      if (at < reachEnd) {
        findings.add(Finding.ENTRIES_OVERLAP, tableAt + 4 * index, at == reachStart
            ? "BAT entries " + reachIndex + " and " + index + " both point at the block at byte "
                + at
            : "BAT entry " + index + "'s block at byte " + at + " overlaps BAT entry "
                + reachIndex + "'s block at byte " + reachStart + " (blocks are " + span
                + " bytes)");
      }
      if (at + span > reachEnd) {
        reachEnd = at + span;
        reachStart = at;
        reachIndex = index;
      }
    }
  }

  /**
   * Reports every gap in front of the end of the data area that no metadata and no block covers
   * and that could hold a whole block. Such space is what a crash between allocating a block and
   * writing its BAT entry leaves, or the old place of a block whose entry was damaged. Gaps too
   * small for a block (alignment, vendor extensions such as blktap's batmap) are not reported.
   */
  private void checkOrphanSpace(long[] sorted) {
    List<Range> used = new ArrayList<>(metadata);
    used.addAll(reserved);
    used.sort((x, y) -> Long.compare(x.start(), y.start()));
    long threshold = Math.max(span, MIN_ORPHAN);
    long cursor = 0;
    int m = 0;
    int b = 0;
    while (m < used.size() || b < sorted.length) {
      long start;
      long end;
      if (b == sorted.length
          || (m < used.size() && used.get(m).start() <= start(sorted[b]))) {
        start = used.get(m).start();
        end = used.get(m).end();
        m++;
      } else {
        start = start(sorted[b]);
        end = start + span;
        b++;
      }
      reportGap(cursor, Math.min(start, dataLimit), threshold);
      cursor = Math.max(cursor, end);
    }
    reportGap(cursor, dataLimit, threshold);
  }

  private void reportGap(long from, long to, long threshold) {
    if (to - from >= threshold) {
      findings.add(Finding.ORPHAN_SPACE, from, (to - from) + " bytes from byte " + from + " to "
          + to + " hold no block that a BAT entry points at, room for " + (to - from) / span
          + " whole block(s): orphan space, as a crash between allocating a block and "
          + "recording it leaves, or the old place of a block whose BAT entry was damaged");
    }
  }

  /**
   * Marks every entry that points at or past the end of the data area unallocated, rewriting only
   * the BAT sectors that hold one. Never touches a block.
   */
  void markOutsideUnallocated() throws IOException {
    for (long first = 0; first < entries; first += CHUNK_ENTRIES) {
      int n = (int) Math.min(CHUNK_ENTRIES, entries - first);
      byte[] raw = host.readBytes(tableAt + 4 * first, 4 * n);
      ByteBuffer chunk = ByteBuffer.wrap(raw);
      int dirtyFrom = -1;
      int dirtyTo = -1;
      for (int k = 0; k < n; k++) {
        int entry = chunk.getInt(4 * k);
        if (entry != Bat.UNALLOCATED && (entry & 0xFFFF_FFFFL) * 512 >= dataLimit) {
          chunk.putInt(4 * k, Bat.UNALLOCATED);
          dirtyFrom = dirtyFrom < 0 ? 4 * k : dirtyFrom;
          dirtyTo = 4 * k + 4;
        }
      }
      if (dirtyFrom >= 0) {
        host.write(ByteBuffer.wrap(raw, dirtyFrom, dirtyTo - dirtyFrom),
            tableAt + 4 * first + dirtyFrom);
      }
    }
  }

  private static long start(long key) {
    return ((key ^ Long.MIN_VALUE) >>> 32) * 512;
  }

  private static long index(long key) {
    return (key ^ Long.MIN_VALUE) & 0xFFFF_FFFFL;
  }

  /** The end of the last block inside the data area (0 if none). */
  long usedEnd() {
    return usedEnd;
  }

  /** Whether a block runs past the end of the file. */
  boolean runsPastEnd() {
    return runsPastEnd;
  }

  /** Whether a block lies on the footer copy at offset 0. */
  boolean touchesFooterCopy() {
    return touchesFooterCopy;
  }

  /** Entries pointing at or past the end of the data area. */
  long outside() {
    return outside;
  }

  /** Whether blocks were also checked against each other (not too many to track). */
  boolean complete() {
    return complete;
  }
}
