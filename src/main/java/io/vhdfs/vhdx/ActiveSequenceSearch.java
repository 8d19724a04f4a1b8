package io.vhdfs.vhdx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The search for the log's active sequence, spec 2.3.3 step by step (as
 * {@code docs/vhdx-format.md} section 4.3 restates it), over any way of reading entries.
 *
 * <p>A sequence starts at the current tail and takes entries while they are valid and each has the
 * sequence number one more than the last; it is valid when its head's Tail is the start of one of
 * its entries; the valid one with the greatest head sequence number wins. After an empty or
 * invalid sequence the tail moves on 4 KiB, after a valid one to just past its head, wrapping at
 * the ring's end; the scan ends when the tail comes back to or before where it was.
 *
 * <p>Two shortcuts keep the scan linear in the ring's size without changing its outcome. Entries
 * are read once per position. And a sequence from a tail that lies on an already followed
 * sequence is that sequence's suffix: whether an entry extends a sequence depends only on the two
 * entries, and valid entries cannot overlap (every sector after an entry's first starts with a
 * descriptor or {@code data} signature, never {@code loge}), so an entry has at most one
 * predecessor.
 */
final class ActiveSequenceSearch {
  /** Reads the valid entry at a log offset, or {@code null} where there is none. */
  @FunctionalInterface
  interface EntryScanner {
    LoggedEntry at(long position) throws IOException;
  }

  private record Place(List<LoggedEntry> sequence, int index) {}

  private final EntryScanner scanner;
  private final long logLength;
  private final Map<Long, LoggedEntry> read = new HashMap<>();
  private final Map<Long, Place> followed = new HashMap<>();

  ActiveSequenceSearch(EntryScanner scanner, long logLength) {
    if (logLength <= 0 || logLength % LogEntry.SECTOR != 0) {
      throw new IllegalArgumentException("a log is whole 4 KiB sectors");
    }
    this.scanner = scanner;
    this.logLength = logLength;
  }

  /**
   * The active sequence, from the first entry the scan found it by to its head (entries before
   * the head's Tail included; the caller replays from the Tail on); empty when no sequence is
   * valid.
   */
  List<LoggedEntry> run() throws IOException {
    List<LoggedEntry> candidate = List.of();
    long tail = 0;
    long oldTail = 0;
    while (true) {
      List<LoggedEntry> current = sequenceFrom(tail);
      boolean valid = !current.isEmpty() && tailIndexOf(current) >= 0;
      if (valid && (candidate.isEmpty() || Long.compareUnsigned(head(current).sequenceNumber(),
          head(candidate).sequenceNumber()) > 0)) {
        candidate = current;
      }
      if (!valid) {
        tail = (tail + LogEntry.SECTOR) % logLength;
      } else {
        LoggedEntry head = head(current);
        tail = (head.position() + head.header().entryLength()) % logLength;
      }
      // The spec stops when the tail goes below the old one; equal means a sequence filled the
      // whole ring from the old tail, and going on would repeat it forever.
      if (tail <= oldTail) {
        return candidate;
      }
      oldTail = tail;
    }
  }

  /**
   * Where in {@code sequence} its head's Tail points: the index of the entry starting there, or
   * -1 when none does.
   */
  static int tailIndex(List<LoggedEntry> sequence) {
    long tail = head(sequence).header().tail();
    for (int i = 0; i < sequence.size(); i++) {
      if (sequence.get(i).position() == tail) {
        return i;
      }
    }
    return -1;
  }

  /**
   * {@link #tailIndex} in constant time: an entry of {@code sequence} starting at the Tail has
   * been read, and sequence numbers in a sequence are consecutive, so it has one possible place.
   */
  private int tailIndexOf(List<LoggedEntry> sequence) {
    long tail = head(sequence).header().tail();
    LoggedEntry t = read.get(tail);
    if (t == null) {
      return -1;
    }
    long i = t.sequenceNumber() - sequence.get(0).sequenceNumber();
    return i >= 0 && i < sequence.size() && sequence.get((int) i).position() == tail
        ? (int) i : -1;
  }

  static LoggedEntry head(List<LoggedEntry> sequence) {
    return sequence.get(sequence.size() - 1);
  }

  private LoggedEntry entryAt(long position) throws IOException {
    if (read.containsKey(position)) {
      return read.get(position);
    }
    LoggedEntry e = scanner.at(position);
    read.put(position, e);
    return e;
  }

  private List<LoggedEntry> sequenceFrom(long start) throws IOException {
    Place known = followed.get(start);
    if (known != null) {
      return known.sequence.subList(known.index, known.sequence.size());
    }
    List<LoggedEntry> taken = new ArrayList<>();
    List<LoggedEntry> rest = List.of();
    long at = start;
    long maxEntries = logLength / LogEntry.SECTOR;
    while (taken.size() < maxEntries) {
      LoggedEntry e;
      Place joined = taken.isEmpty() ? null : followed.get(at);
      e = joined != null ? joined.sequence.get(joined.index) : entryAt(at);
      if (e == null || (!taken.isEmpty() && e.sequenceNumber()
          != taken.get(taken.size() - 1).sequenceNumber() + 1)) {
        break;
      }
      if (joined != null) {
        rest = joined.sequence.subList(joined.index, joined.sequence.size());
        break;
      }
      taken.add(e);
      at = (at + e.header().entryLength()) % logLength;
    }
    List<LoggedEntry> sequence = new ArrayList<>(taken.size() + rest.size());
    sequence.addAll(taken);
    sequence.addAll(rest);
    List<LoggedEntry> fixed = List.copyOf(sequence);
    for (int i = 0; i < taken.size(); i++) {
      followed.put(taken.get(i).position(), new Place(fixed, i));
    }
    return fixed;
  }
}
