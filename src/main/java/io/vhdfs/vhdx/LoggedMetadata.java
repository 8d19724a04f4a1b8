package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One write session's metadata changes and how they reach the file (spec 2.2.2 and 2.3,
 * {@code docs/vhdx-format.md} sections 1.4 and 4.5).
 *
 * <p>Nothing is written while the disk only reads. Before the first change the session begins:
 * a first, empty entry goes into the log under a new LogGuid and is forced, then the header pair
 * takes a new FileWriteGuid, a new DataWriteGuid (the disk is about to read differently, so
 * children of the old contents must no longer link) and that LogGuid. The empty entry means the
 * headers never name a LogGuid without a valid entry behind it, which readers refuse or, in
 * QEMU, treat as a log that blocks allocation.
 *
 * <p>Changed BAT and bitmap sectors wait in {@link PendingSectors} until {@link #flush}: then the
 * payload data and the grown file are forced, the sectors go into one log entry, which is
 * forced, then in place, forced again. A cut before the entry is durable leaves the old
 * metadata, which points at none of the new space; a cut after it leaves an entry that every
 * later open replays. An entry that does not fit before the ring's end starts a new log, under a
 * new LogGuid, at the ring's start ({@link #restartLog}). At {@link #close}, once everything is
 * in place, the header pair clears the LogGuid, so readers that do not replay (libvhdi) see
 * consistent metadata.
 */
final class LoggedMetadata {
  private static final long MIB = 1 << 20;
  /**
   * Most sectors an entry carries: as many as have their descriptors in the entry's first
   * sector (126, after the 64-byte header). The spec allows more descriptor sectors, but QEMU 7.2
   * reads each further one into the same 4 KiB of its buffer as the first, so it sees the wrong
   * descriptors and zeros past them, and refuses the whole file with EINVAL, in {@code qemu-img
   * check -r all} too: an image cut after such an entry could not be repaired or opened by QEMU.
   */
  private static final int MAX_ENTRY_SECTORS = 126;
  /** Room left for one block's changes before a flush is due: BAT, bitmap entry and slice. */
  private static final int STEP_SECTORS = 2 + BatGeometry.BITMAP_BLOCK_SIZE / 16 / LogEntry.SECTOR;

  private final HostFile host;
  private final PendingSectors pending;
  private final HeaderPairWriter headers;
  private final VhdxHeader header;
  private final UUID fileWriteGuid;
  private final boolean keepDataWriteGuid;
  /** Whether a kept DataWriteGuid changes at close: not when the disk reads as it did. */
  private final boolean renewAtClose;
  private final int bound;
  private volatile LogWriter log;
  /** The session's log while it starts; kept if a start fails, for the next attempt. */
  private LogWriter starting;
  private UUID sessionDataWriteGuid;

  /**
   * @param header the current header, whose log the session writes to
   * @param fileWriteGuid the session's, set at its first change (or already by the replay of a
   *     dirty log that began it)
   * @param keepDataWriteGuid keep the DataWriteGuid until the session ends: for a commit, which
   *     leaves the committed child's chain reading the same throughout, so an interrupted commit
   *     leaves the child linked and can run again
   */
  LoggedMetadata(HostFile host, PendingSectors pending, HeaderPairWriter headers,
      VhdxHeader header, UUID fileWriteGuid, boolean keepDataWriteGuid) {
    this(host, pending, headers, header, fileWriteGuid, keepDataWriteGuid, keepDataWriteGuid);
  }

  /**
   * A session that changes where blocks lie but not what the disk reads (a compaction): the
   * DataWriteGuid is kept throughout and after, so children of the image stay linked.
   */
  static LoggedMetadata keepingContents(HostFile host, PendingSectors pending,
      HeaderPairWriter headers, VhdxHeader header, UUID fileWriteGuid) {
    return new LoggedMetadata(host, pending, headers, header, fileWriteGuid, true, false);
  }

  /**
   * @param renewAtClose with {@code keepDataWriteGuid}, whether the DataWriteGuid changes when
   *     the session ends; a session that changes nothing the disk reads (a new parent locator)
   *     keeps it for good, so the image's own children stay linked
   */
  LoggedMetadata(HostFile host, PendingSectors pending, HeaderPairWriter headers,
      VhdxHeader header, UUID fileWriteGuid, boolean keepDataWriteGuid, boolean renewAtClose) {
    this.renewAtClose = keepDataWriteGuid && renewAtClose;
    this.host = host;
    this.fileWriteGuid = fileWriteGuid;
    this.pending = pending;
    this.headers = headers;
    this.header = header;
    this.keepDataWriteGuid = keepDataWriteGuid;
    this.bound = Math.min(MAX_ENTRY_SECTORS, LogWriter.maxSectors(header.logLength()))
        - STEP_SECTORS;
    if (bound < 1) {
      throw new IllegalArgumentException("log of " + header.logLength() + " bytes too small");
    }
  }

  /** Whether the session has begun: the headers carry its GUIDs. */
  boolean started() {
    return log != null;
  }

  /**
   * Begins the session, once, before the first change; the caller serialises calls. A start that
   * failed part-way is taken up where it stopped, with the same LogGuid, so the headers never
   * name a LogGuid whose entry a retry overwrote.
   */
  void start() throws IOException {
    if (log != null) {
      return;
    }
    if (starting == null) {
      starting = new LogWriter(host, header.logOffset(), header.logLength(), UUID.randomUUID());
      sessionDataWriteGuid = keepDataWriteGuid ? headers.dataWriteGuid() : UUID.randomUUID();
    }
    if (starting.entries() == 0) {
      starting.reserveRing();
      long size = host.size();
      starting.append(new TreeMap<>(), floorMib(size), ceilMib(size));
    }
    headers.write(fileWriteGuid, sessionDataWriteGuid, starting.logGuid());
    log = starting;
  }

  /** Whether enough has changed that the changes should go to the file before the next step. */
  boolean due() {
    return pending.count() >= bound;
  }

  /** Puts every pending change into the file through the log; nothing when none is pending. */
  void flush() throws IOException {
    if (pending.count() == 0) {
      return;
    }
    // Data and the file's new length durable before any entry points into them.
    host.force(false);
    long size = host.size();
    SortedMap<Long, byte[]> sectors = pending.snapshot();
    if (log.fits(sectors.size())) {
      log.append(sectors, floorMib(size), ceilMib(size));
    } else {
      restartLog(sectors, size);
    }
    pending.writeBack(host);
    host.force(false);
  }

  /**
   * Writes {@code sectors} as the first entry of a new log at the ring's start instead of after
   * the last entry, where it does not fit. Every earlier entry is applied, so the headers may
   * name no log for a moment; they name the new one only once its entry is durable. Reusing the
   * old LogGuid would be valid, but would leave the new entry followed by older entries of the
   * same LogGuid, which QEMU 7.2 (it does not follow the Tail) chains into one sequence with it:
   * images cut there were refused by {@code qemu-img check -r all} with EINVAL.
   */
  private void restartLog(SortedMap<Long, byte[]> sectors, long size) throws IOException {
    headers.write(fileWriteGuid, headers.dataWriteGuid(), MsGuid.ZERO);
    UUID logGuid = UUID.randomUUID();
    LogWriter w = new LogWriter(host, header.logOffset(), header.logLength(), logGuid);
    w.append(sectors, floorMib(size), ceilMib(size));
    headers.write(fileWriteGuid, headers.dataWriteGuid(), logGuid);
    log = w;
  }

  /**
   * Ends a session that began: every change in place and forced, then the LogGuid cleared. A
   * DataWriteGuid kept through a commit changes now, once the disk reads as it will.
   */
  void close() throws IOException {
    flush();
    if (log != null) {
      headers.write(fileWriteGuid,
          renewAtClose ? UUID.randomUUID() : headers.dataWriteGuid(), MsGuid.ZERO);
    }
  }

  private static long floorMib(long n) {
    return n / MIB * MIB;
  }

  private static long ceilMib(long n) {
    return (n + MIB - 1) / MIB * MIB;
  }
}
