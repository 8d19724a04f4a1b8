package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays a dirty VHDX log in memory: finds the active sequence and turns its updates into a
 * {@link LogOverlay}, without writing to the file.
 *
 * <p>Follows spec 2.3.3 as {@code docs/vhdx-format.md} section 4 restates it, where QEMU 7.2
 * departs from it: the replay starts at the entry the head's Tail names (QEMU also replays an
 * older entry before it), sequences are ranked by their head (QEMU cuts one that wraps the ring's
 * end), and the file reads as grown to the head's LastFileOffset even when that is a whole MiB
 * (QEMU then does not grow it). A file shorter than the head's FlushedFileOffset was truncated
 * and is refused, as is a LogGuid with no valid, complete sequence behind it.
 *
 * <p>Bounds, so that a crafted log cannot exhaust memory or time: the log at most
 * {@link #MAX_LOG_LENGTH}, at most {@link #MAX_REPLAY_DESCRIPTORS} descriptors replayed, no update
 * past {@link #MAX_FILE_OFFSET}. Updates may not touch the file identifier and headers (the first
 * 192 KiB, never written through the log) or the log itself.
 */
final class LogReplay {
  /** Longest log replayed: 32 MiB, 32 times the 1 MiB Hyper-V and QEMU write. */
  public static final long MAX_LOG_LENGTH = 32L << 20;
  /** Most descriptors one replay applies; a full 1 MiB log holds about 32,000. */
  public static final int MAX_REPLAY_DESCRIPTORS = 1 << 17;
  /** Largest file offset an update may reach: 128 TiB, twice the largest VHDX. */
  public static final long MAX_FILE_OFFSET = 1L << 47;
  /** Most rejected entries an {@link ActiveSequence} reports. */
  public static final int MAX_REPORTED_REJECTIONS = 16;
  /** The identifier and both headers, which the log never writes. */
  static final long PROTECTED_PREFIX = 0x30000;

  private LogReplay() {}

  /**
   * Replays the log {@code header} (the current one) names, in memory. A clean log (LogGuid zero)
   * gives {@link ReplayedLog#CLEAN} without a read.
   *
   * @param file the image as it is on the host
   * @throws VhdFormatException naming the entry and its offset when the log cannot be replayed
   */
  public static ReplayedLog replay(ByteSource file, VhdxHeader header) throws IOException {
    ActiveSequence sequence = findActiveSequence(file, header);
    if (sequence.isEmpty()) {
      return ReplayedLog.CLEAN;
    }
    LogEntryReader reader = reader(file, header);
    LogOverlay.Builder overlay = new LogOverlay.Builder();
    long descriptors = 0;
    for (LoggedEntry e : sequence.entries()) {
      descriptors += e.zeroDescriptors() + e.dataDescriptors();
    }
    LoggedEntry head = sequence.head();
    if (descriptors > MAX_REPLAY_DESCRIPTORS) {
      throw new VhdFormatException(file.name(), reader.fileOffset(head.position(), 0),
          "the log's active sequence holds " + descriptors + " updates, more than the "
              + MAX_REPLAY_DESCRIPTORS + " this reader replays in memory");
    }
    for (LoggedEntry e : sequence.entries()) {
      long at = reader.fileOffset(e.position(), 0);
      LogEntryReader.Scan scan = reader.read(e.position(), true);
      if (scan.problem() != null) {
        throw new VhdFormatException(file.name(), at, "log entry " + seq(e)
            + " changed while it was replayed: " + scan.problem());
      }
      apply(scan.entry(), e, at, header, overlay, file.name());
    }
    long last = head.header().lastFileOffset();
    if (last < 0 || last > MAX_FILE_OFFSET) {
      throw new VhdFormatException(file.name(), reader.fileOffset(head.position(), 0) + 56,
          "log entry " + seq(head) + " gives LastFileOffset " + Long.toUnsignedString(last)
              + ", beyond any VHDX file");
    }
    overlay.extendTo(last);
    return new ReplayedLog(sequence, overlay.build());
  }

  /**
   * Finds the entries a replay of {@code header}'s log applies, tail first; empty for a clean
   * log.
   *
   * @throws VhdFormatException when the log is dirty but cannot be replayed: no valid complete
   *     sequence, a file shorter than the head's FlushedFileOffset, or a log out of bounds
   */
  public static ActiveSequence findActiveSequence(ByteSource file, VhdxHeader header)
      throws IOException {
    if (!header.hasLog()) {
      return ActiveSequence.EMPTY;
    }
    String name = file.name();
    long logOffset = header.logOffset();
    long logLength = header.logLength();
    if (logLength == 0) {
      throw new VhdFormatException(name, VhdxHeader.HEADER1_OFFSET, "the header's LogGuid "
          + header.logGuid() + " asks for a log replay but the log is empty");
    }
    if (logLength > MAX_LOG_LENGTH) {
      throw new VhdFormatException(name, logOffset, "the log of " + logLength + " bytes needs "
          + "replaying but is longer than the " + MAX_LOG_LENGTH + " bytes this reader replays");
    }
    long size = file.size();
    if (logOffset > size || size - logOffset < logLength) {
      throw new VhdFormatException(name, logOffset, "the log (" + logLength + " bytes) reaches "
          + "past the end of the file (" + size + " bytes)");
    }
    LogEntryReader reader = reader(file, header);
    List<String> rejected = new ArrayList<>();
    ActiveSequenceSearch search = new ActiveSequenceSearch(position -> {
      LogEntryReader.Scan scan = reader.read(position, false);
      if (scan.problem() != null && scan.signed() && rejected.size() < MAX_REPORTED_REJECTIONS) {
        rejected.add("log offset " + LittleEndian.hex(position) + ": " + scan.problem());
      }
      return scan.found();
    }, logLength);
    List<LoggedEntry> found = search.run();
    if (found.isEmpty()) {
      throw new VhdFormatException(name, logOffset, "the log needs replaying (LogGuid "
          + header.logGuid() + ") but holds no valid, complete sequence of entries"
          + (rejected.isEmpty() ? "" : "; first rejected entry at " + rejected.get(0)));
    }
    List<LoggedEntry> active = found.subList(ActiveSequenceSearch.tailIndex(found),
        found.size());
    LoggedEntry head = active.get(active.size() - 1);
    long flushed = head.header().flushedFileOffset();
    if (Long.compareUnsigned(flushed, size) > 0) {
      throw new VhdFormatException(name, reader.fileOffset(head.position(), 0) + 48,
          "the file (" + size + " bytes) is shorter than log entry " + seq(head)
              + "'s FlushedFileOffset " + Long.toUnsignedString(flushed) + ": it was truncated");
    }
    return new ActiveSequence(active, rejected);
  }

  private static LogEntryReader reader(ByteSource file, VhdxHeader header) {
    return new LogEntryReader(file, header.logOffset(), header.logLength(), header.logGuid());
  }

  private static void apply(LogEntry entry, LoggedEntry e, long at, VhdxHeader header,
      LogOverlay.Builder overlay, String file) throws VhdFormatException {
    int data = 0;
    List<LogDescriptor> descriptors = entry.descriptors();
    for (int i = 0; i < descriptors.size(); i++) {
      LogDescriptor d = descriptors.get(i);
      long length = d instanceof LogDescriptor.Zero z ? z.zeroLength() : LogEntry.SECTOR;
      String problem = targetProblem(d.fileOffset(), length, header);
      if (problem != null) {
        throw new VhdFormatException(file, at, "log entry " + seq(e) + ", descriptor " + i
            + ": " + problem);
      }
      if (d instanceof LogDescriptor.Data dd) {
        overlay.data(dd.fileOffset(), entry.target(data++, dd));
      } else {
        overlay.zeros(d.fileOffset(), length);
      }
    }
  }

  private static String targetProblem(long offset, long length, VhdxHeader header) {
    String range = "update of " + Long.toUnsignedString(length) + " bytes at file offset "
        + Long.toUnsignedString(offset);
    if (offset < 0 || length < 0 || offset > MAX_FILE_OFFSET - length) {
      return range + " reaches beyond any VHDX file";
    }
    if (length == 0) {
      return null;
    }
    if (offset < PROTECTED_PREFIX) {
      return range + " would overwrite the file identifier or a header, which the log never "
          + "writes";
    }
    if (offset < header.logEnd() && header.logOffset() < offset + length) {
      return range + " would overwrite the log itself";
    }
    return null;
  }

  private static String seq(LoggedEntry e) {
    return Long.toUnsignedString(e.sequenceNumber()) + " (log offset "
        + LittleEndian.hex(e.position()) + ")";
  }
}
