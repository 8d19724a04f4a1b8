package io.vhdfs.vhdx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What replaying a dirty log in memory changes: file ranges that read as logged 4 KiB sectors or
 * as zeros, and the size the file reads as, for a read-only open that must not write the replay
 * to the file (spec footnote 5: reads are never served without replay; Windows replays in
 * memory, QEMU refuses such opens, libvhdi returns stale data).
 *
 * <p>Pieces never overlap; a later update replaces what an earlier one wrote, as replaying the
 * entries in order onto the file would. Everything is whole 4 KiB sectors, so a data sector is
 * either replaced whole or kept whole, and only zero ranges are cut.
 */
final class LogOverlay {
  /** The overlay of a clean log: nothing changes. */
  public static final LogOverlay NONE = new LogOverlay(new TreeMap<>(), 0);

  /**
   * A file range the log rewrote.
   *
   * @param offset its first byte, a multiple of 4 KiB
   * @param length its bytes, a multiple of 4 KiB
   * @param data its 4096 bytes for a logged data sector, {@code null} for zeros
   */
  record Piece(long offset, long length, byte[] data) {
    long end() {
      return offset + length;
    }
  }

  private final NavigableMap<Long, Piece> pieces;
  private final long extent;

  private LogOverlay(NavigableMap<Long, Piece> pieces, long extent) {
    this.pieces = pieces;
    this.extent = extent;
  }

  /** Whether the overlay changes nothing at all. */
  public boolean isEmpty() {
    return pieces.isEmpty() && extent == 0;
  }

  /**
   * The size the file reads as after the replay: its host size, grown to the head entry's
   * LastFileOffset and to the end of every logged update, as the replay would extend the file.
   */
  public long logicalSize(long hostSize) {
    return Math.max(hostSize, extent);
  }

  /** The number of separate ranges the overlay holds. */
  public int pieceCount() {
    return pieces.size();
  }

  /**
   * A file range the overlay changes.
   *
   * @param offset its first byte
   * @param length its bytes
   * @param zeros whether it reads as zeros rather than as a logged sector
   */
  public record Range(long offset, long length, boolean zeros) {}

  /** The ranges the overlay changes, in file order. */
  public List<Range> ranges() {
    List<Range> out = new ArrayList<>();
    for (Piece p : pieces.values()) {
      out.add(new Range(p.offset, p.length, p.data == null));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * Overwrites the bytes of {@code buf[off, off+len)}, which hold the file's bytes from
   * {@code position}, where the overlay has other bytes.
   */
  public void apply(long position, byte[] buf, int off, int len) {
    long end = position + len;
    Map.Entry<Long, Piece> before = pieces.floorEntry(position);
    NavigableMap<Long, Piece> from = before == null ? pieces : pieces.tailMap(before.getKey(),
        true);
    for (Piece p : from.values()) {
      if (p.offset >= end) {
        break;
      }
      long s = Math.max(p.offset, position);
      long e = Math.min(p.end(), end);
      if (s >= e) {
        continue;
      }
      int to = off + (int) (s - position);
      int n = (int) (e - s);
      if (p.data == null) {
        Arrays.fill(buf, to, to + n, (byte) 0);
      } else {
        System.arraycopy(p.data, (int) (s - p.offset), buf, to, n);
      }
    }
  }

  /** {@code base} as it reads after the replay: patched by the overlay, grown to its size. */
  public ByteSource over(ByteSource base) {
    return isEmpty() ? base : new OverlaidSource(base, this);
  }

  /** Collects updates in replay order. */
  static final class Builder {
    private final NavigableMap<Long, Piece> pieces = new TreeMap<>();
    private long extent;

    /** The 4 KiB at {@code offset} become {@code sector}. */
    void data(long offset, byte[] sector) {
      put(new Piece(offset, sector.length, sector));
    }

    /** {@code length} bytes from {@code offset} become zeros. */
    void zeros(long offset, long length) {
      if (length > 0) {
        put(new Piece(offset, length, null));
      }
    }

    /** The file reads as at least {@code size} bytes long. */
    void extendTo(long size) {
      extent = Math.max(extent, size);
    }

    int size() {
      return pieces.size();
    }

    LogOverlay build() {
      return new LogOverlay(pieces, extent);
    }

    private void put(Piece p) {
      extent = Math.max(extent, p.end());
      Map.Entry<Long, Piece> before = pieces.lowerEntry(p.offset);
      if (before != null && before.getValue().end() > p.offset) {
        cut(before.getValue(), p);
      }
      List<Piece> inside = new ArrayList<>(pieces.subMap(p.offset, true, p.end(), false)
          .values());
      for (Piece q : inside) {
        cut(q, p);
      }
      pieces.put(p.offset, p);
    }

    /** Removes what {@code newer} covers of {@code old}, keeping the parts outside it. */
    private void cut(Piece old, Piece newer) {
      pieces.remove(old.offset);
      if (old.offset < newer.offset) {
        pieces.put(old.offset, part(old, old.offset, newer.offset));
      }
      if (old.end() > newer.end()) {
        pieces.put(newer.end(), part(old, newer.end(), old.end()));
      }
    }

    private static Piece part(Piece p, long from, long to) {
      if (p.data == null) {
        return new Piece(from, to - from, null);
      }
      // Data pieces are one aligned sector and updates are whole sectors, so a data piece is
      // never cut; this keeps the invariant visible if that ever changed.
      throw new IllegalStateException("a logged data sector was cut");
    }
  }
}
