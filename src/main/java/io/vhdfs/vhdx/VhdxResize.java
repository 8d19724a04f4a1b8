package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ResizeTail;
import io.vhdfs.disk.Resized;
import io.vhdfs.disk.Run;
import io.vhdfs.disk.SectorMapper;
import io.vhdfs.disk.TableBudget;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Changes the virtual size of a VHDX in place (spec 2.6.2.3, the Virtual Disk Size item). A
 * differencing image is resized on its own, as Resize-VHD does; past its parent's end it reads
 * zeros.
 *
 * <p>Every metadata change goes through the log in one write session ({@link LoggedMetadata}):
 * the size item, and where the BAT region is too small for the new entry count, both region
 * table copies naming a new BAT region. That region is written first, at the end of the file on
 * a MiB boundary, with the old entries and zeros, and forced: nothing points at it until the
 * log entry that changes the region tables and the size is durable, so a cut before that leaves
 * the old image (with unused bytes at its end), and a cut after it leaves an entry every open
 * replays. Entries past the old count that are not zero, and for a fixed image the new blocks'
 * entries, are changed through the log before the size, in entries of their own where there are
 * many: past the old count no reader looks at them.
 *
 * <p>A dirty log is replayed onto the file first, as a writer does.
 */
final class VhdxResize {
  private static final long MIB = 1 << 20;
  private static final int CHUNK = 1 << 20;

  private final HostFile host;
  private final VhdxLayer layer;
  private final VhdxMetadata metadata;
  private final RegionTable regions;

  private VhdxResize(HostFile host, VhdxLayer layer, VhdxMetadata metadata,
      RegionTable regions) {
    this.host = host;
    this.layer = layer;
    this.metadata = metadata;
    this.regions = regions;
  }

  /** Resizes the VHDX in {@code host}, open for writing under the writer's locks. */
  static Resized resize(HostFile host, long requested, boolean shrink, TableBudget budget)
      throws IOException {
    if (requested <= 0 || requested > VhdxMetadata.MAX_VIRTUAL_DISK_SIZE) {
      throw new IllegalArgumentException("size " + requested + " out of range 1 byte .. 64 TiB");
    }
    VhdxLayer layer = VhdxLayer.open(host, budget);
    if (layer.replayed()) {
      HeaderChoice headers = HeaderChoice.read(new HostSource(host));
      VhdxRepair.replayOnto(host, headers, UUID.randomUUID());
      layer = VhdxLayer.open(host, budget);
    }
    ByteSource file = new HostSource(host);
    RegionTable regions = RegionTableChoice.read(file).table();
    VhdxMetadata metadata = VhdxMetadata.read(file, regions.metadata());
    return new VhdxResize(host, layer, metadata, regions).resize(requested, shrink);
  }

  private Resized resize(long requested, boolean shrink) throws IOException {
    int sector = metadata.logicalSectorSize();
    long newSize = (requested + sector - 1) / sector * sector;
    long oldSize = metadata.virtualDiskSize();
    if (newSize > VhdxMetadata.MAX_VIRTUAL_DISK_SIZE) {
      throw new IllegalArgumentException("size " + requested + " rounds up past 64 TiB");
    }
    if (newSize == oldSize) {
      return new Resized(oldSize, newSize, null);
    }
    if (newSize < oldSize && !shrink) {
      throw new FileSystemException(host.name(), null, "the new size " + newSize
          + " bytes is smaller than the image's " + oldSize + " bytes: shrinking must be asked"
          + " for (--shrink)");
    }
    BatGeometry old = metadata.batGeometry();
    BatGeometry geometry = new BatGeometry(newSize, old.blockSize(), sector, old.differencing());
    if (newSize < oldSize) {
      requireNoData(newSize);
    } else {
      ResizeTail.zeroStored(host, layer.blockMap(), oldSize,
          Math.min(newSize, old.payloadBlocks() * old.blockSize()));
    }
    PendingSectors pending = new PendingSectors(new HostSource(host));
    HeaderChoice headers = HeaderChoice.read(new HostSource(host));
    LoggedMetadata log = new LoggedMetadata(host, pending, HeaderPairWriter.of(host, headers),
        headers.current(), UUID.randomUUID(), false);
    log.start();
    RegionEntry bat = regions.bat();
    String moved = null;
    long oldBytes = old.totalEntries() * BatGeometry.ENTRY_SIZE;
    long newBytes = geometry.totalEntries() * BatGeometry.ENTRY_SIZE;
    if (newBytes > bat.length()) {
      long at = ceilMib(host.size());
      long length = ceilMib(newBytes);
      if (length >>> 32 != 0) {
        throw new IllegalArgumentException("a BAT of " + newBytes + " bytes does not fit a region");
      }
      copyTable(bat.fileOffset(), oldBytes, at, length);
      moved = "BAT region from byte " + bat.fileOffset() + " to byte " + at;
      bat = RegionEntry.of(RegionTable.BAT, at, length, bat.required());
    } else if (newBytes > oldBytes) {
      clearEntries(pending, log, bat.fileOffset() + oldBytes, bat.fileOffset() + newBytes);
    }
    if (layer.info().type() == io.vhdfs.disk.DiskType.FIXED && newSize > oldSize) {
      allocateBlocks(pending, log, bat, old, geometry);
    }
    if (moved != null) {
      List<RegionEntry> entries = new ArrayList<>();
      for (RegionEntry e : regions.entries()) {
        entries.add(e.guid().equals(RegionTable.BAT) ? bat : e);
      }
      byte[] table = new RegionTable(entries).encode();
      pending.put(RegionTable.COPY1_OFFSET, table, 0, table.length);
      pending.put(RegionTable.COPY2_OFFSET, table, 0, table.length);
    }
    long sizeAt = regions.metadata().fileOffset() + metadata.table()
        .system(VhdxMetadata.VIRTUAL_DISK_SIZE).orElseThrow().offset();
    pending.putLong(sizeAt, newSize);
    log.flush();
    log.close();
    return new Resized(oldSize, newSize, moved);
  }

  /** Writes the old table and zeros up to {@code length} at {@code at}, forced. */
  private void copyTable(long from, long bytes, long at, long length) throws IOException {
    for (long done = 0; done < length; done += CHUNK) {
      int n = (int) Math.min(CHUNK, length - done);
      byte[] b = new byte[n];
      if (done < bytes) {
        byte[] old = host.readBytes(from + done, (int) Math.min(n, bytes - done));
        System.arraycopy(old, 0, b, 0, old.length);
      }
      host.write(b, at + done);
    }
    host.force(true);
  }

  /** Makes the entries from byte {@code from} to {@code to} of the file zero (NOT_PRESENT). */
  private void clearEntries(PendingSectors pending, LoggedMetadata log, long from, long to)
      throws IOException {
    for (long at = from; at < to; at += CHUNK) {
      int n = (int) Math.min(CHUNK, to - at);
      byte[] b = host.readBytes(at, n);
      for (int i = 0; i < n; i += BatGeometry.ENTRY_SIZE) {
        if (LittleEndian.int64(b, i) != 0) {
          pending.putLong(at + i, 0);
          flushIfDue(log);
        }
      }
    }
  }

  /**
   * Gives a fixed image's new blocks their space, zeros at the end of the file, and their
   * entries, as a fixed image has every block.
   */
  private void allocateBlocks(PendingSectors pending, LoggedMetadata log, RegionEntry bat,
      BatGeometry old, BatGeometry geometry) throws IOException {
    long blockSize = geometry.blockSize();
    long at = ceilMib(host.size());
    long first = old.payloadBlocks();
    long count = geometry.payloadBlocks() - first;
    if (count <= 0) {
      return;
    }
    long end = at + count * ceilMib(blockSize);
    host.write(new byte[1], end - 1);
    host.force(true);
    for (long b = 0; b < count; b++) {
      long entryAt = bat.fileOffset() + geometry.payloadIndex(first + b) * BatGeometry.ENTRY_SIZE;
      pending.putLong(entryAt, BatEntry.of(PayloadState.FULLY_PRESENT.code,
          at + b * ceilMib(blockSize)).raw());
      flushIfDue(log);
    }
  }

  private static void flushIfDue(LoggedMetadata log) throws IOException {
    if (log.due()) {
      log.flush();
    }
  }

  /**
   * Refuses a shrink to {@code newSize} when the range cut off holds data: a non-zero byte in
   * the block the new end cuts, or any stored block past it (in a fixed image, a non-zero byte
   * in one). Blocks past the new end keep their entries, past the count no reader looks at.
   */
  private void requireNoData(long newSize) throws IOException {
    BatGeometry geometry = metadata.batGeometry();
    long blockSize = geometry.blockSize();
    long oldSize = metadata.virtualDiskSize();
    SectorMapper mapper = new SectorMapper(layer.blockMap());
    // A fixed image stores every block: there, only what its blocks hold counts.
    boolean fixed = layer.info().type() == io.vhdfs.disk.DiskType.FIXED;
    for (long start = newSize; start < oldSize; ) {
      long blockEnd = Math.min(oldSize, (start / blockSize + 1) * blockSize);
      boolean cut = start % blockSize != 0;
      long at = start;
      for (Run run : mapper.map(start, (int) (blockEnd - start))) {
        if (run.kind() == Run.Kind.DATA) {
          if (!cut && !fixed) {
            throw ResizeTail.refusal(host, newSize, at, "is allocated (stored at byte "
                + run.hostOffset() + " of the file)");
          }
          ResizeTail.requireZeros(host, newSize, at, run.hostOffset(), run.length());
        }
        at += run.length();
      }
      start = blockEnd;
    }
  }

  private static long ceilMib(long n) {
    return (n + MIB - 1) / MIB * MIB;
  }
}
