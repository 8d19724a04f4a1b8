package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.util.UUID;

/**
 * Writes what a VHDX check found safe to repair: a dirty log replayed onto the file, a bad region
 * table copy rewritten from the good one, a bad header copy rewritten from the current one.
 *
 * <p>The order keeps the file readable after a cut at any host write. Headers change only by the
 * two-step protocol (the non-current slot first, then the other, each forced), and the first
 * pair carries this session's FileWriteGuid before anything else is modified (spec 2.2.2). The
 * replay writes what the in-memory replay computed ({@link LogOverlay}), grows the file to its
 * logical size and is forced; only then does the last header pair clear the LogGuid, so a cut
 * before that leaves the log to be replayed again over a half-done replay, which gives the same
 * bytes. The DataWriteGuid is kept: a replay changes nothing a reader of the virtual disk sees
 * (readers replay in memory), so children stay linked.
 */
final class VhdxRepair {

  private final HostFile host;
  private final HeaderPairWriter headers;
  private final UUID fileWriteGuid;

  /**
   * @param currentRaw the current header's 4096 bytes, whose reserved bytes are kept
   * @param currentSlot 1 or 2
   */
  VhdxRepair(HostFile host, byte[] currentRaw, int currentSlot) {
    this(host, currentRaw, currentSlot, UUID.randomUUID());
  }

  /** A repair that is the start of a write session with this FileWriteGuid. */
  VhdxRepair(HostFile host, byte[] currentRaw, int currentSlot, UUID fileWriteGuid) {
    this.host = host;
    this.headers = new HeaderPairWriter(host, currentRaw, currentSlot);
    this.fileWriteGuid = fileWriteGuid;
  }

  /**
   * Replays the log the current header names onto the file, as a writable open must before it
   * changes anything ({@code docs/vhdx-format.md} section 4.4): the header pair with
   * {@code fileWriteGuid} and the LogGuid kept, the replay, then the pair clearing the LogGuid.
   * The DataWriteGuid is kept, so children stay linked.
   */
  static void replayOnto(HostFile host, HeaderChoice headers, UUID fileWriteGuid)
      throws IOException {
    VhdxRepair repair = new VhdxRepair(host,
        host.readBytes(headers.currentOffset(), VhdxHeader.SIZE), headers.slot(), fileWriteGuid);
    repair.writeHeaderPair(headers.current().logGuid());
    repair.replay(LogReplay.replay(new HostSource(host), headers.current()).overlay());
    repair.writeHeaderPair(MsGuid.ZERO);
  }

  /**
   * Writes the current header, with this session's FileWriteGuid, its own DataWriteGuid, the next
   * sequence number and {@code logGuid}, over the non-current slot, forces it, then does the
   * same over the other.
   */
  void writeHeaderPair(UUID logGuid) throws IOException {
    headers.write(fileWriteGuid, headers.dataWriteGuid(), logGuid);
  }

  /**
   * Writes the replay onto the file: every logged sector and zero range, then the file grown to
   * the size the replay reads as; forced. Zeros past the end of the file are not written: growing
   * the file gives them.
   */
  void replay(LogOverlay overlay) throws IOException {
    long hostSize = host.size();
    long target = overlay.logicalSize(hostSize);
    for (LogOverlay.Range r : overlay.ranges()) {
      if (r.zeros()) {
        long end = Math.min(r.offset() + r.length(), hostSize);
        host.writeZeros(r.offset(), Math.max(0, end - r.offset()));
      } else {
        byte[] sector = new byte[(int) r.length()];
        overlay.apply(r.offset(), sector, 0, sector.length);
        host.write(sector, r.offset());
      }
    }
    if (host.size() < target) {
      host.write(new byte[1], target - 1);
    }
    host.force(true);
  }

  /** Writes {@code table} (a whole valid copy) at {@code offset}, forced. */
  void writeRegionTable(byte[] table, long offset) throws IOException {
    host.write(table, offset);
    host.force(false);
  }
}
