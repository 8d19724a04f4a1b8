package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SparseReader;
import io.vhdfs.disk.WriteSpan;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes the virtual disk of an open VHDX ({@code docs/vhdx-format.md} sections 3 and 4.5).
 *
 * <p>A write into a FULLY_PRESENT block goes straight to its place in the file, concurrently with
 * other such writes: it changes no metadata. Every other write takes the lock, since it changes
 * the BAT or a sector bitmap:
 * <ul>
 *   <li>a block that holds no data (NOT_PRESENT, ZERO, UNMAPPED, UNDEFINED) gets a new block
 *       appended at the end of the file, 1 MiB aligned, whose unwritten bytes are zeros as the
 *       grown file gives them. It becomes FULLY_PRESENT, except in a differencing file where the
 *       block read from the parent (NOT_PRESENT) and the write does not cover it whole: then it
 *       becomes PARTIALLY_PRESENT with exactly the written sectors' bits set, in its chunk's sector
 *       bitmap block (appended too if the chunk has none);
 *   <li>a PARTIALLY_PRESENT block gets the data first, then the bits, since a clear bit reads the
 *       parent and not what lies beneath it; it becomes FULLY_PRESENT once every bit is set.
 * </ul>
 * A sector written in part is first read as the disk reads it now (from the file, the parent or
 * zeros) and written whole with the new bytes in it.
 *
 * <p>The BAT and bitmap changes wait in memory, where reads see them, until a flush, a force, the
 * close, or a bound on their number ({@link LoggedMetadata}), and then reach the file through the
 * log, after the data they point at is durable. A cut before then loses those writes to new
 * space (the old metadata points at none of it), never anything else.
 */
final class VhdxBlockWriter {
  private static final long MIB = 1 << 20;
  private static final byte[] ONE_ZERO = new byte[1];

  private final HostFile host;
  private final BatReader bat;
  private final BatGeometry geometry;
  private final VhdxBlockMap map;
  private final PendingSectors pending;
  private final LoggedMetadata metadata;
  private final SparseReader reader;
  private final long diskSize;
  private final int sectorSize;
  private final int blockSize;
  private final ReentrantLock lock = new ReentrantLock();
  /** Where the next block goes: the end of the file, rounded up to 1 MiB. Guarded by lock. */
  private long fileEnd;
  /** Payload blocks given space in the file by this writer. Guarded by lock. */
  private long newBlocks;

  /**
   * @param reader the disk's reads, for the rest of a sector written in part
   */
  VhdxBlockWriter(HostFile host, BatReader bat, VhdxBlockMap map, PendingSectors pending,
      LoggedMetadata metadata, SparseReader reader, long diskSize) throws IOException {
    this.host = host;
    this.bat = bat;
    this.geometry = bat.geometry();
    this.map = map;
    this.pending = pending;
    this.metadata = metadata;
    this.reader = reader;
    this.diskSize = diskSize;
    this.sectorSize = geometry.logicalSectorSize();
    this.blockSize = geometry.blockSize();
    this.fileEnd = ceilMib(host.size());
  }

  /** Writes all of {@code src} at {@code position}; see {@link io.vhdfs.disk.VirtualDisk#write}. */
  int write(ByteBuffer src, long position) throws IOException {
    int n = WriteSpan.length(src, position, diskSize, host.name());
    if (n == 0) {
      return 0;
    }
    begin();
    long end = position + n;
    long p = position;
    if (p % sectorSize != 0 || end - p < sectorSize) {
      int take = (int) (Math.min(end, p - p % sectorSize + sectorSize) - p);
      writePartSector(src, take, p);
      p += take;
    }
    long alignedEnd = end - end % sectorSize;
    while (p < alignedEnd) {
      long block = p / blockSize;
      int len = (int) (Math.min((block + 1) * blockSize, alignedEnd) - p);
      writeSectors(src, block, (int) (p - block * blockSize), len);
      p += len;
    }
    if (p < end) {
      writePartSector(src, (int) (end - p), p);
    }
    return n;
  }

  private void begin() throws IOException {
    if (!metadata.started()) {
      lock.lock();
      try {
        metadata.start();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Writes {@code take} bytes at {@code position}, inside one sector, merged with its bytes. */
  private void writePartSector(ByteBuffer src, int take, long position) throws IOException {
    long sectorStart = position - position % sectorSize;
    byte[] sector = new byte[sectorSize];
    lock.lock();
    try {
      ByteBuffer now = ByteBuffer.wrap(sector);
      while (now.hasRemaining()) {
        reader.read(now, sectorStart + now.position());
      }
      src.get(sector, (int) (position - sectorStart), take);
      long block = sectorStart / blockSize;
      writeSectors(ByteBuffer.wrap(sector), block, (int) (sectorStart - block * blockSize),
          sectorSize);
    } finally {
      lock.unlock();
    }
  }

  /** Writes {@code len} bytes of whole sectors from {@code inBlock} of block {@code block}. */
  private void writeSectors(ByteBuffer src, long block, int inBlock, int len)
      throws IOException {
    BatEntry e = bat.payloadEntry(block);
    if (e.payloadState() == PayloadState.FULLY_PRESENT) {
      host.write(src, len, e.fileOffset() + inBlock);
      return;
    }
    lock.lock();
    try {
      writeWithMetadata(src, block, inBlock, len);
      if (metadata.due()) {
        metadata.flush();
      }
    } finally {
      lock.unlock();
    }
  }

  private void writeWithMetadata(ByteBuffer src, long block, int inBlock, int len)
      throws IOException {
    BatEntry e = bat.payloadEntry(block);
    PayloadState state = e.payloadState();
    long index = geometry.payloadIndex(block);
    int first = inBlock / sectorSize;
    int end = (inBlock + len) / sectorSize;
    if (state == PayloadState.FULLY_PRESENT) {
      host.write(src, len, e.fileOffset() + inBlock);
    } else if (state == PayloadState.PARTIALLY_PRESENT) {
      host.write(src, len, e.fileOffset() + inBlock);
      byte[] bits = readSlice(block);
      if (!allSet(bits, first, end)) {
        setBits(bits, first, end);
        writeSlice(block, bits);
        if (allSet(bits, 0, sectorsIn(block))) {
          bat.set(index, BatEntry.of(PayloadState.FULLY_PRESENT.code, e.fileOffset()), pending);
        }
      }
    } else {
      long offset = allocate(blockSize);
      host.write(src, len, offset + inBlock);
      extendTo(offset + blockSize);
      boolean whole = inBlock == 0 && end == sectorsIn(block);
      if (geometry.differencing() && state == PayloadState.NOT_PRESENT && !whole) {
        byte[] bits = new byte[geometry.bitmapSliceBytes()];
        setBits(bits, first, end);
        writeSlice(block, bits);
        bat.set(index, BatEntry.of(PayloadState.PARTIALLY_PRESENT.code, offset), pending);
      } else {
        bat.set(index, BatEntry.of(PayloadState.FULLY_PRESENT.code, offset), pending);
      }
      newBlocks++;
    }
  }

  private int sectorsIn(long block) {
    return (int) (geometry.blockBytes(block) / sectorSize);
  }

  /** Block {@code block}'s slice of its chunk's sector bitmap, as reads see it now. */
  private byte[] readSlice(long block) throws IOException {
    BatEntry sb = bat.bitmapEntry(geometry.chunkOf(block));
    return pending.read(sb.fileOffset() + geometry.bitmapSliceOffset(block),
        geometry.bitmapSliceBytes());
  }

  /** Sets block {@code block}'s whole slice, giving its chunk a bitmap block if it has none. */
  private void writeSlice(long block, byte[] bits) throws IOException {
    long chunk = geometry.chunkOf(block);
    BatEntry sb = bat.bitmapEntry(chunk);
    long at = sb.fileOffset();
    if (!sb.bitmapPresent()) {
      // A new bitmap block is zeros: every other block of the chunk still reads the parent.
      // Written, not left a hole, so its bits need no new host space later (PendingSectors).
      at = allocate(BatGeometry.BITMAP_BLOCK_SIZE);
      host.write(new byte[BatGeometry.BITMAP_BLOCK_SIZE], at);
      extendTo(at + BatGeometry.BITMAP_BLOCK_SIZE);
      bat.set(geometry.bitmapIndex(chunk), BatEntry.of(BatEntry.SB_BLOCK_PRESENT, at), pending);
    }
    pending.put(at + geometry.bitmapSliceOffset(block), bits, 0, bits.length);
    map.bitsChanged(block, bits);
  }

  private static void setBits(byte[] bits, int from, int to) {
    for (int s = from; s < to; s++) {
      SectorBitmap.setPresent(bits, s);
    }
  }

  private static boolean allSet(byte[] bits, int from, int to) {
    for (int s = from; s < to; s++) {
      if (!SectorBitmap.isPresent(bits, s)) {
        return false;
      }
    }
    return true;
  }

  /** Space for {@code bytes} at the end of the file, 1 MiB aligned. */
  private long allocate(long bytes) {
    long at = fileEnd;
    fileEnd = at + ceilMib(bytes);
    return at;
  }

  /** Makes the file at least {@code end} long, so a block's unwritten bytes are its zeros. */
  private void extendTo(long end) throws IOException {
    if (host.size() < end) {
      host.write(ONE_ZERO, end - 1);
    }
    bat.fileGrewTo(end);
  }

  /** Puts the metadata changes so far into the file, through the log. */
  void flush() throws IOException {
    lock.lock();
    try {
      metadata.flush();
    } finally {
      lock.unlock();
    }
  }

  /** Ends the session: changes in place, LogGuid cleared ({@link LoggedMetadata#close}). */
  void close() throws IOException {
    lock.lock();
    try {
      metadata.close();
    } finally {
      lock.unlock();
    }
  }

  /** The file's size once the blocks allocated so far are in it. */
  long fileEnd() {
    lock.lock();
    try {
      return fileEnd;
    } finally {
      lock.unlock();
    }
  }

  /** Payload blocks this writer gave space in the file. */
  long newBlocks() {
    lock.lock();
    try {
      return newBlocks;
    } finally {
      lock.unlock();
    }
  }

  private static long ceilMib(long n) {
    return (n + MIB - 1) / MIB * MIB;
  }
}
