package io.vhdfs.disk;

import io.vhdfs.format.Bat;
import io.vhdfs.format.DiskType;
import io.vhdfs.format.DynamicHeader;
import io.vhdfs.format.SectorBitmap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A dynamic image: blocks allocated on demand, each a sector bitmap and data. Unallocated blocks
 * and sectors whose bitmap bit is clear read as zeros.
 *
 * <p>Writes into a block whose sectors are all present go straight to the file, concurrently.
 * Every other write takes the disk's write lock, because it changes metadata. A new block: the
 * footer moves past it (see {@link BlockAllocator}), then data, then gap and bitmap; its BAT entry
 * follows lazily ({@link BatWriter}), after a barrier. A block already in the BAT: the new bits,
 * then the data, since sectors with clear bits hold zeros. A crash at any point leaves an image
 * whose footer and BAT are valid, where each sector reads either its old or its new content, the
 * same in every reader.
 *
 * <p>A differencing image opens as one too, so its metadata can be shown, but reading and writing
 * it are refused until parent chains are supported: its clear bits mean "ask the parent".
 */
final class DynamicDisk implements VirtualDisk {
  private static final byte[] ZEROS = new byte[64 * 1024];
  private static final int SECTOR = 512;

  private final HostFile host;
  private final DiskInfo opened;
  private final LocatedFooter located;
  private final int blockSize;
  private final int bitmapSize;
  private final BlockTable table;
  private final BlockBitmaps bitmaps;
  private final SectorMapper mapper;
  private final BlockAllocator allocator;
  private final BatWriter batWriter;
  private final ReentrantLock writeLock = new ReentrantLock();

  DynamicDisk(HostFile host, DiskInfo info, Bat bat, LocatedFooter located) {
    this.host = host;
    this.opened = info;
    this.located = located;
    DynamicHeader h = info.header();
    this.blockSize = h.blockSize();
    this.bitmapSize = h.bitmapSize();
    this.table = new BlockTable(bat);
    this.bitmaps = new BlockBitmaps(host, bat.size(), blockSize, bitmapSize);
    this.mapper = new SectorMapper(table, blockSize, bitmapSize, bitmaps);
    // Blocks and metadata all end before the footer at the end, or before the end of the file
    // when only the copy at offset 0 survived; new blocks go after that.
    long footerAt = located.atEnd() ? located.offset() : roundUpToSector(info.hostSize());
    this.allocator = new BlockAllocator(host, located.raw(), footerAt, bitmapSize, blockSize);
    this.batWriter = new BatWriter(host, table, h.tableOffset());
  }

  @Override
  public long size() {
    return opened.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    refuseDifferencing("read");
    int n = ReadSpan.length(dst, position, opened.size());
    if (n <= 0) {
      return n;
    }
    long direct = mapper.directOffset(position, n);
    if (direct >= 0) {
      host.readFully(dst, n, direct);
      return n;
    }
    for (Run run : mapper.map(position, n)) {
      if (run.kind() == Run.Kind.DATA) {
        host.readFully(dst, run.length(), run.hostOffset());
      } else {
        fillZeros(dst, run.length());
      }
    }
    return n;
  }

  private void refuseDifferencing(String what) throws IOException {
    if (opened.footer().diskType() == DiskType.DIFFERENCING) {
      throw new IOException(host.name() + ": cannot " + what + " a differencing image: parent "
          + "chains are not supported yet (parent '" + opened.header().parentName() + "')");
    }
  }

  /** Puts {@code length} zeros at the buffer's position, advancing it. */
  private static void fillZeros(ByteBuffer dst, int length) {
    if (dst.hasArray()) {
      int from = dst.arrayOffset() + dst.position();
      Arrays.fill(dst.array(), from, from + length, (byte) 0);
      dst.position(dst.position() + length);
      return;
    }
    for (int done = 0; done < length; ) {
      int chunk = Math.min(ZEROS.length, length - done);
      dst.put(ZEROS, 0, chunk);
      done += chunk;
    }
  }

  @Override
  public void enableWrites() throws IOException {
    refuseDifferencing("write");
    writeLock.lock();
    try {
      if (host.isWritable()) {
        return;
      }
      host.enableWrites();
      boolean endFooterSound = located.atEnd() && opened.hostSize() == located.offset() + 512;
      if (!endFooterSound) {
        allocator.writeFooter();
      }
      // QEMU reads only the copy at offset 0; keep it the same as the footer at the end.
      if (!Arrays.equals(host.readBytes(0, SECTOR), located.raw())) {
        host.write(located.raw(), 0);
      }
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    refuseDifferencing("write");
    int n = WriteSpan.length(src, position, opened.size(), host.name());
    long end = position + n;
    for (long p = position; p < end; ) {
      int block = (int) (p / blockSize);
      int inBlock = (int) (p % blockSize);
      int len = (int) Math.min(end - p, blockSize - inBlock);
      long bitmapAt = table.bitmapOffset(block);
      if (bitmapAt >= 0 && bitmaps.isFull(block)) {
        // A full block's metadata never changes again: no lock needed.
        writeData(src, len, bitmapAt + bitmapSize + inBlock);
      } else {
        writeLock.lock();
        try {
          writeWithMetadata(src, block, inBlock, len);
        } finally {
          writeLock.unlock();
        }
      }
      p += len;
    }
    return n;
  }

  /** Writes {@code len} bytes into block {@code block}, allocating it and setting bits as needed. */
  private void writeWithMetadata(ByteBuffer src, int block, int inBlock, int len)
      throws IOException {
    long bitmapAt = table.bitmapOffset(block);
    BlockAllocator.Placement placement = null;
    SectorBitmap bits;
    if (bitmapAt < 0) {
      placement = allocator.reserve();
      bitmapAt = placement.bitmapAt();
      bits = SectorBitmap.empty(bitmapSize);
    } else {
      bits = bitmaps.partial(block, bitmapAt);
      if (bits == null) {
        writeData(src, len, bitmapAt + bitmapSize + inBlock);
        return;
      }
    }
    long dataAt = bitmapAt + bitmapSize;
    int first = inBlock / SECTOR;
    int last = (inBlock + len - 1) / SECTOR;
    SectorBitmap updated = bits.withSet(first, last + 1);
    if (placement == null) {
      if (updated != bits) {
        // Bits first: the sectors they add hold zeros (the format's rule for clear bits), so if
        // the data never follows they still read as zeros, here and in QEMU, which ignores
        // bitmaps. Data first would leave new bytes under clear bits, seen by QEMU alone.
        writeBitmapSectors(bitmapAt, updated, first, last);
        bitmaps.update(block, updated);
      }
      writeSectors(src, len, dataAt, inBlock, bits);
      return;
    }
    // A new block is invisible until its BAT entry is written, after a barrier: order is free.
    writeSectors(src, len, dataAt, inBlock, bits);
    writeNewBitmap(placement, updated);
    bitmaps.update(block, updated);
    table.allocate(block, bitmapAt);
    batWriter.markDirty(block);
    if (batWriter.tooMany()) {
      flushLocked();
    }
  }

  /**
   * Writes {@code len} bytes at {@code inBlock} of a block whose data starts at {@code dataAt}.
   * A sector written only in part is merged with what it holds (zeros where its bit is clear).
   */
  private void writeSectors(ByteBuffer src, int len, long dataAt, int inBlock, SectorBitmap bits)
      throws IOException {
    int at = inBlock;
    int end = inBlock + len;
    int headSector = at / SECTOR;
    if (at % SECTOR != 0 || end - at < SECTOR) {
      int n = Math.min(end, (headSector + 1) * SECTOR) - at;
      writePartialSector(src, n, dataAt, headSector, at % SECTOR, bits);
      at += n;
    }
    int whole = (end - at) / SECTOR * SECTOR;
    if (whole > 0) {
      writeData(src, whole, dataAt + at);
      at += whole;
    }
    if (at < end) {
      writePartialSector(src, end - at, dataAt, at / SECTOR, 0, bits);
    }
  }

  private void writePartialSector(ByteBuffer src, int n, long dataAt, int sector, int offset,
      SectorBitmap bits) throws IOException {
    long sectorAt = dataAt + (long) sector * SECTOR;
    byte[] merged = bits.isSet(sector) ? host.readBytes(sectorAt, SECTOR) : new byte[SECTOR];
    src.get(merged, offset, n);
    host.write(merged, sectorAt);
  }

  /** The gap before a new block (where the old footer was) as zeros, then its bitmap. */
  private void writeNewBitmap(BlockAllocator.Placement placement, SectorBitmap bits)
      throws IOException {
    int gap = (int) (placement.bitmapAt() - placement.gapFrom());
    byte[] b = new byte[gap + bitmapSize];
    bits.copyTo(0, b, gap, bitmapSize);
    host.write(b, placement.gapFrom());
  }

  /** Writes the bitmap sectors that hold the bits of data sectors {@code first..last}. */
  private void writeBitmapSectors(long bitmapAt, SectorBitmap bits, int first, int last)
      throws IOException {
    int from = first / 8 / SECTOR * SECTOR;
    int to = (last / 8 / SECTOR + 1) * SECTOR;
    byte[] b = new byte[to - from];
    bits.copyTo(from, b, 0, b.length);
    host.write(b, bitmapAt + from);
  }

  private void writeData(ByteBuffer src, int len, long hostOffset) throws IOException {
    int limit = src.limit();
    src.limit(src.position() + len);
    try {
      host.write(src, hostOffset);
    } finally {
      src.limit(limit);
    }
  }

  @Override
  public void flush() throws IOException {
    writeLock.lock();
    try {
      flushLocked();
    } finally {
      writeLock.unlock();
    }
  }

  private void flushLocked() throws IOException {
    if (batWriter.hasPending()) {
      // Bitmaps, data and the grown file length durable before any entry points at them, even
      // across a power cut: an entry that outlived the length would point past the end of file.
      host.force(false);
      batWriter.writeDirty();
    }
  }

  @Override
  public void force() throws IOException {
    flush();
    host.force(true);
  }

  @Override
  public DiskInfo info() {
    // Once writable, the file ends with the footer (put back there if it had been lost).
    long hostSize = host.isWritable() ? allocator.footerAt() + 512 : opened.hostSize();
    return new DiskInfo(opened.footer(), opened.header(), opened.size(), table.allocatedCount(),
        hostSize);
  }

  @Override
  public void close() throws IOException {
    try {
      if (host.isWritable()) {
        flush();
      }
    } finally {
      host.close();
    }
  }

  private static long roundUpToSector(long n) {
    return (n + SECTOR - 1) / SECTOR * SECTOR;
  }
}
