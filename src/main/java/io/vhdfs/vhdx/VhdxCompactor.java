package io.vhdfs.vhdx;

import io.vhdfs.disk.Compaction;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ParentMatch;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Compacts a dynamic or differencing VHDX in place: payload blocks the disk reads the same
 * without become NOT_PRESENT, sector bitmap blocks no PARTIALLY_PRESENT block needs any more
 * go too, the blocks above the room they leave move down into it, and the file is cut after the
 * last block or structure.
 *
 * <p>A dynamic file's NOT_PRESENT block reads zeros, so a block whose data inside the disk is
 * all zeros goes. A differencing file's NOT_PRESENT block reads the parent, so a block goes only
 * when every sector it holds equals what the parent chain reads there and, unless compared
 * against the parent, is zeros; a block of zeros that hides parent data stays as it is (the ZERO
 * state would say the same in fewer bytes, but libvhdi reads ZERO blocks of a child from the
 * parent).
 *
 * <p>Every BAT change goes through the log ({@link LoggedMetadata}) in a session that keeps the
 * DataWriteGuid, since the disk reads the same, so children stay linked. The unmapping is one
 * logged step. Each move is: the block copied to free space below, the copy forced, then its new
 * entry logged, forced and written in place (one {@link LoggedMetadata#flush}); only then may a
 * later move reuse its old place. The session closes (LogGuid cleared) before the file is cut,
 * so no log that a reader would replay names the old length. Cut at any host write, the image
 * opens and reads the same disk.
 */
public final class VhdxCompactor {
  private static final long MIB = 1 << 20;
  private static final int CHUNK = 1 << 20;

  private final HostFile host;
  private final BatReader bat;
  private final BatGeometry geometry;
  private final PendingSectors pending;
  private final StructureAreas areas;
  private final long diskSize;
  private final int sectorSize;

  private VhdxCompactor(HostFile host, VhdxLayer layer) {
    this.host = host;
    this.bat = layer.bat();
    this.geometry = bat.geometry();
    this.pending = layer.pending();
    this.areas = bat.areas();
    this.diskSize = layer.info().size();
    this.sectorSize = geometry.logicalSectorSize();
  }

  /**
   * Compacts the VHDX in {@code host}, opened as {@code layer}, its caller holding the image's
   * writer locks; {@code host} is made writable here.
   *
   * @param parent the parent chain of a differencing image, read only; null for a dynamic one
   * @param againstParent whether blocks of a differencing image holding only what the parent
   *     reads there go too, not only those holding zeros the parent also reads as zeros
   * @param progress told how much of the disk has been looked at
   */
  public static Compaction compact(HostFile host, DiskLayer layer, VirtualDisk parent,
      boolean againstParent, ProgressListener progress) throws IOException {
    VhdxLayer vhdx = (VhdxLayer) layer;
    long oldSize = host.size();
    if (vhdx.info().type() == DiskType.FIXED) {
      return new Compaction(0, 0, oldSize, oldSize); // every block has its place for good
    }
    if ((parent == null) == vhdx.bat().geometry().differencing()) {
      throw new IllegalArgumentException("a parent goes with a differencing image only");
    }
    host.enableWrites();
    if (vhdx.replayed()) {
      vhdx = replayLog(host);
    }
    VhdxCompactor c = new VhdxCompactor(host, vhdx);
    c.bat.checkAll();
    ParentMatch match = parent == null ? null : new ParentMatch(parent, !againstParent);
    List<Long> redundant = c.findRedundant(match, progress);
    HeaderChoice headers = HeaderChoice.read(new HostSource(host));
    // Begun at the first change only, so an image with nothing to compact is left as it was.
    LoggedMetadata session = LoggedMetadata.keepingContents(host, c.pending,
        HeaderPairWriter.of(host, headers), headers.current(), UUID.randomUUID());
    c.unmap(redundant, session);
    int moved = c.moveDown(session);
    long end = c.end();
    if (end < host.size()) {
      change(session); // the cut is part of the session, which changes the FileWriteGuid
    }
    session.close();
    if (end < host.size()) {
      host.truncate(end);
      host.force(true);
    }
    return new Compaction(redundant.size(), moved, oldSize, host.size());
  }

  /**
   * Replays a dirty log onto the file as opening it writable would ({@link VhdxRepair}: headers,
   * sectors, headers), and reads the file afresh.
   */
  private static VhdxLayer replayLog(HostFile host) throws IOException {
    HeaderChoice headers = HeaderChoice.read(new HostSource(host));
    VhdxRepair.replayOnto(host, headers, UUID.randomUUID());
    // Its table was claimed against the budget when the layer was first opened.
    return VhdxLayer.open(host, (image, at, entries) -> { });
  }

  /** The payload blocks holding data that the disk reads the same without. */
  private List<Long> findRedundant(ParentMatch match, ProgressListener progress)
      throws IOException {
    List<Long> found = new ArrayList<>();
    byte[] data = new byte[(int) Math.min(CHUNK, geometry.blockSize())];
    for (long b = 0; b < geometry.payloadBlocks(); b++) {
      BatEntry e = bat.payloadEntry(b);
      if (e.payloadState().hasData() && redundant(b, e, match, data)) {
        found.add(b);
      }
      progress.advanced(Math.min(diskSize, (b + 1) * geometry.blockSize()), diskSize);
    }
    return found;
  }

  private boolean redundant(long block, BatEntry e, ParentMatch match, byte[] data)
      throws IOException {
    byte[] bits = null;
    if (e.payloadState() == PayloadState.PARTIALLY_PRESENT) {
      BatEntry sb = bat.bitmapEntry(geometry.chunkOf(block));
      bits = pending.read(sb.fileOffset() + geometry.bitmapSliceOffset(block),
          geometry.bitmapSliceBytes());
    }
    long start = block * geometry.blockSize();
    long bytes = geometry.blockBytes(block);
    for (long off = 0; off < bytes; off += data.length) {
      int n = (int) Math.min(data.length, bytes - off);
      host.readFully(ByteBuffer.wrap(data, 0, n), e.fileOffset() + off);
      if (match == null) {
        if (!ParentMatch.isZeros(data, 0, n)) {
          return false;
        }
        continue;
      }
      for (int s = 0; s < n; ) {
        long sector = (off + s) / sectorSize;
        int run = bits == null ? n - s
            : Math.min(n - s, Math.max(1, SectorBitmap.runLength(bits, (int) sector,
                (int) ((off + n) / sectorSize - sector))) * sectorSize);
        boolean held = bits == null || SectorBitmap.isPresent(bits, sector);
        if (held && !match.matches(data, s, run, start + off + s)) {
          return false;
        }
        s += run;
      }
    }
    return true;
  }

  /**
   * Marks the blocks NOT_PRESENT, drops sector bitmap blocks no PARTIALLY_PRESENT block uses
   * any more, and clears file offsets that entries without data keep, which the cut could leave
   * pointing past the end; one logged step, before anything moves into the room.
   */
  private void unmap(List<Long> blocks, LoggedMetadata session) throws IOException {
    for (long b : blocks) {
      change(session);
      bat.set(geometry.payloadIndex(b), BatEntry.NOT_PRESENT, pending);
      clearBits(b);
      flushIfDue(session);
    }
    for (long b = 0; b < geometry.payloadBlocks(); b++) {
      BatEntry e = bat.payloadEntry(b);
      if (!e.payloadState().hasData() && e.fileOffset() != 0) {
        change(session);
        bat.set(geometry.payloadIndex(b), BatEntry.of(e.stateCode(), 0), pending);
        flushIfDue(session);
      }
    }
    if (geometry.differencing()) {
      long chunks = (geometry.payloadBlocks() + geometry.chunkRatio() - 1) / geometry.chunkRatio();
      for (long chunk = 0; chunk < chunks; chunk++) {
        if (bat.bitmapEntry(chunk).bitmapPresent() && !hasPartialBlock(chunk)) {
          change(session);
          bat.set(geometry.bitmapIndex(chunk), BatEntry.NOT_PRESENT, pending);
          flushIfDue(session);
        }
      }
    }
    session.flush();
  }

  /**
   * Clears the sector bitmap bits of a block given back in a differencing file: libvhdi reads
   * sectors whose bits are set from the block's file offset whatever the block's state.
   */
  private void clearBits(long block) throws IOException {
    if (!geometry.differencing()) {
      return;
    }
    BatEntry sb = bat.bitmapEntry(geometry.chunkOf(block));
    if (!sb.bitmapPresent()) {
      return;
    }
    long at = sb.fileOffset() + geometry.bitmapSliceOffset(block);
    byte[] bits = pending.read(at, geometry.bitmapSliceBytes());
    if (!ParentMatch.isZeros(bits, 0, bits.length)) {
      pending.put(at, new byte[bits.length], 0, bits.length);
    }
  }

  private boolean hasPartialBlock(long chunk) throws IOException {
    long first = chunk * geometry.chunkRatio();
    long last = Math.min(geometry.payloadBlocks(), first + geometry.chunkRatio());
    for (long b = first; b < last; b++) {
      if (bat.payloadEntry(b).payloadState() == PayloadState.PARTIALLY_PRESENT) {
        return true;
      }
    }
    return false;
  }

  /** Begins the session before the first change (once). */
  private static void change(LoggedMetadata session) throws IOException {
    session.start();
  }

  private static void flushIfDue(LoggedMetadata session) throws IOException {
    if (session.due()) {
      session.flush();
    }
  }

  /** A block or sector bitmap block in the file: its BAT index, place and bytes there. */
  private record Held(long index, long offset, long bytes) {}

  /** Moves blocks down, lowest first; returns how many payload blocks moved. */
  private int moveDown(LoggedMetadata session) throws IOException {
    List<Held> held = held();
    held.sort(Comparator.comparingLong(Held::offset));
    byte[] buf = new byte[CHUNK];
    long cursor = 0;
    int moved = 0;
    for (Held h : held) {
      long to = place(cursor, h);
      if (to < h.offset()) {
        change(session);
        copy(h.offset(), to, h.bytes(), buf);
        BatEntry e = bat.entry(h.index());
        bat.set(h.index(), BatEntry.of(e.stateCode(), to), pending);
        // Forces the copy, then logs the entry and writes it in place, forced.
        session.flush();
        if (!geometry.isBitmapIndex(h.index())) {
          moved++;
        }
      }
      cursor = to + h.bytes();
    }
    return moved;
  }

  private List<Held> held() throws IOException {
    List<Held> held = new ArrayList<>();
    for (long b = 0; b < geometry.payloadBlocks(); b++) {
      BatEntry e = bat.payloadEntry(b);
      if (e.payloadState().hasData()) {
        held.add(new Held(geometry.payloadIndex(b), e.fileOffset(),
            ceilMib(geometry.blockBytes(b))));
      }
    }
    if (geometry.differencing()) {
      long chunks = (geometry.payloadBlocks() + geometry.chunkRatio() - 1) / geometry.chunkRatio();
      for (long chunk = 0; chunk < chunks; chunk++) {
        BatEntry e = bat.bitmapEntry(chunk);
        if (e.bitmapPresent()) {
          held.add(new Held(geometry.bitmapIndex(chunk), e.fileOffset(),
              BatGeometry.BITMAP_BLOCK_SIZE));
        }
      }
    }
    return held;
  }

  /**
   * The lowest 1 MiB-aligned place at or after {@code cursor} clear of the file's structures
   * where {@code h} fits below its own old place; its old place if there is none.
   */
  private long place(long cursor, Held h) {
    long c = ceilMib(cursor);
    while (c + h.bytes() <= h.offset()) {
      Optional<StructureAreas.Area> hit = areas.overlapping(c, h.bytes());
      if (hit.isEmpty()) {
        return c;
      }
      c = ceilMib(hit.get().end());
    }
    return h.offset();
  }

  /** Where the file ends once cut: after the last block or structure, whichever is later. */
  private long end() throws IOException {
    long end = 0;
    for (Held h : held()) {
      end = Math.max(end, h.offset() + h.bytes());
    }
    for (StructureAreas.Area a : areas.areas()) {
      end = Math.max(end, a.end());
    }
    return ceilMib(end);
  }

  /** Copies a block; a last block may end before its whole MiB does, with the file. */
  private void copy(long from, long to, long bytes, byte[] buf) throws IOException {
    long length = Math.min(bytes, host.size() - from);
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(buf.length, length - done);
      host.readFully(ByteBuffer.wrap(buf, 0, n), from + done);
      host.write(ByteBuffer.wrap(buf, 0, n), to + done);
      done += n;
    }
  }

  private static long ceilMib(long n) {
    return (n + MIB - 1) / MIB * MIB;
  }
}
