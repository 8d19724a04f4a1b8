package io.vhdfs.vhd;

import io.vhdfs.disk.Backing;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SparseReader;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.disk.WriteSpan;
import io.vhdfs.disk.ZeroFill;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A dynamic or differencing VHD: blocks allocated on demand, each a sector bitmap and data.
 * Sectors the image does not hold (unallocated blocks, clear bits) read from its {@link Backing}:
 * zeros for a dynamic image, the parent for a differencing one. Reads, transfers and extents are
 * the shared read path's ({@link SparseReader} over this image's {@link VhdBlockMap}); what is the
 * format's own here is writing.
 *
 * <p>Writes into a block whose sectors are all present go straight to the file, concurrently.
 * Every other write takes the disk's write lock, because it changes metadata. A new block: the
 * footer moves past it (see {@link BlockAllocator}), then data, then gap and bitmap; its BAT entry
 * follows lazily ({@link BatWriter}), after a barrier. A block already in the BAT of a dynamic
 * image: the new bits, then the data, since sectors with clear bits hold zeros; of a differencing
 * image: the data, then the bits, since a clear bit reads the parent, not the zeros beneath it.
 * A crash at any point leaves an image whose footer and BAT are valid, where each sector reads
 * either its old or its new content, the same in every reader that honours bitmaps.
 *
 * <p>A sector written in part is merged with what it read before: its own bytes, or the
 * backing's. Writes never reach the parent, which is opened read-only.
 *
 * <p>A range made to read as zeros ({@link #writeZeros}) allocates nothing where it reads as zeros
 * already; zeros are written over the sectors that hold data here, and in a differencing image
 * also over the sectors its parent chain holds data for. Their bits are not cleared instead:
 * QEMU reads a dynamic image's data whatever its bitmap says, and a write that looked a full
 * block up without the lock could land under a bit cleared meanwhile. Blocks that end up holding
 * only zeros are given back where the file can shrink by them, when the disk closes
 * ({@link ZeroBlocks} says why only there and then): their BAT entries become unallocated and
 * are forced to the disk first, then the footer moves back over their place and is forced, and
 * only then is the file cut after it. A crash in between leaves the blocks either still in the
 * BAT, holding zeros, or out of it as space the BAT no longer points at, which reads nowhere.
 */
final class VhdDynamicDisk implements VirtualDisk {
  private static final int SECTOR = 512;

  private final HostFile host;
  private final DiskInfo opened;
  private final LocatedFooter located;
  private final DynamicHeader header;
  private final int blockSize;
  private final int bitmapSize;
  private final BlockTable table;
  private final BlockBitmaps bitmaps;
  private final SparseReader reader;
  private final BlockAllocator allocator;
  private final BatWriter batWriter;
  private final Backing backing;
  private final ZeroBlocks zeroBlocks = new ZeroBlocks();
  private final ReentrantLock writeLock = new ReentrantLock();

  /**
   * @param info the image's metadata as opened, its parent's path included
   * @param map the image's blocks, as {@link VhdLayer} read and checked them
   */
  VhdDynamicDisk(HostFile host, DiskInfo info, LocatedFooter located, DynamicHeader header,
      VhdBlockMap map, Backing backing) {
    this.host = host;
    this.backing = backing;
    this.opened = info;
    this.located = located;
    this.header = header;
    this.blockSize = header.blockSize();
    this.bitmapSize = header.bitmapSize();
    this.table = map.table();
    this.bitmaps = map.bitmaps();
    this.reader = new SparseReader(host, map, backing, info.size());
    // Blocks and metadata all end before the footer at the end, or before the end of the file
    // when only the copy at offset 0 survived; new blocks go after that.
    long footerAt = located.atEnd() ? located.offset() : roundUpToSector(info.hostSize());
    this.allocator = new BlockAllocator(host, located.raw(), footerAt, bitmapSize, blockSize);
    this.batWriter = new BatWriter(host, table, header.tableOffset());
  }

  @Override
  public long size() {
    return opened.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return reader.read(dst, position);
  }

  @Override
  public long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    return reader.transferTo(position, length, target);
  }

  @Override
  public ExtentCursor extents(long from, long to) {
    return reader.extents(from, to);
  }

  @Override
  public List<Path> parents() {
    return backing.chain();
  }

  @Override
  public void enableWrites() throws IOException {
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
    int n = WriteSpan.length(src, position, opened.size(), host.name());
    try {
      writeBlocks(src, position, n);
    } finally {
      // After the data, so a block marked as holding zeros before this write landed is unmarked.
      zeroBlocks.removeRange(position, n, blockSize);
    }
    return n;
  }

  /**
   * Makes the range read as zeros, writing zeros only over what does not read as zeros already
   * (through the parent chain, for a differencing image). Blocks the range covers whole and that
   * then hold only zeros (and, in a differencing image, whose parent reads as zeros there too)
   * are marked, to be given back at close if they are the last things in the file.
   */
  @Override
  public void writeZeros(long position, long length) throws IOException {
    WriteSpan.check(position, length, opened.size(), host.name());
    long end = position + length;
    for (long p = position; p < end; ) {
      int block = (int) (p / blockSize);
      long blockStart = (long) block * blockSize;
      long blockEnd = Math.min(blockStart + blockSize, opened.size());
      long stop = Math.min(end, blockEnd);
      boolean allocated = table.bitmapOffset(block) >= 0;
      // An unallocated block of a dynamic image reads as zeros: nothing to do.
      if (allocated || backing.isParent()) {
        if (allocated && p == blockStart && stop == blockEnd
            && backing.readsZeros(blockStart, blockEnd - blockStart)) {
          zeroBlocks.add(block); // before the zeros: a write landing later unmarks it
        }
        ZeroFill.over(this, p, stop - p, this::writeKeepingMarks);
      }
      p = stop;
    }
  }

  /** {@link #write} that leaves blocks marked as holding zeros marked: it writes those zeros. */
  private void writeKeepingMarks(ByteBuffer src, long position) throws IOException {
    writeBlocks(src, position, WriteSpan.length(src, position, opened.size(), host.name()));
  }

  private void writeBlocks(ByteBuffer src, long position, int n) throws IOException {
    long end = position + n;
    for (long p = position; p < end; ) {
      int block = (int) (p / blockSize);
      int inBlock = (int) (p % blockSize);
      int len = (int) Math.min(end - p, blockSize - inBlock);
      long bitmapAt = table.bitmapOffset(block);
      if (bitmapAt >= 0 && bitmaps.isFull(block)) {
        // A full block's metadata never changes again: no lock needed.
        host.write(src, len, bitmapAt + bitmapSize + inBlock);
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
        host.write(src, len, bitmapAt + bitmapSize + inBlock);
        return;
      }
    }
    long dataAt = bitmapAt + bitmapSize;
    int first = inBlock / SECTOR;
    int last = (inBlock + len - 1) / SECTOR;
    SectorBitmap updated = bits.withSet(first, last + 1);
    if (placement == null) {
      if (updated == bits) {
        writeSectors(src, len, dataAt, inBlock, bits, block);
      } else if (backing.isParent()) {
        // Data first: until its bit is set a sector reads the parent, so a cut before the bits
        // leaves the old content; bits first would show the zeros beneath them instead.
        writeSectors(src, len, dataAt, inBlock, bits, block);
        writeBitmapSectors(bitmapAt, updated, first, last);
        bitmaps.update(block, updated);
      } else {
        // Bits first: the sectors they add hold zeros (the format's rule for clear bits), so if
        // the data never follows they still read as zeros, here and in QEMU, which ignores
        // bitmaps. Data first would leave new bytes under clear bits, seen by QEMU alone.
        writeBitmapSectors(bitmapAt, updated, first, last);
        bitmaps.update(block, updated);
        writeSectors(src, len, dataAt, inBlock, bits, block);
      }
      return;
    }
    // A new block is invisible until its BAT entry is written, after a barrier: order is free.
    writeSectors(src, len, dataAt, inBlock, bits, block);
    writeNewBitmap(placement, updated);
    bitmaps.update(block, updated);
    table.allocate(block, bitmapAt);
    batWriter.markDirty(block);
    if (batWriter.tooMany()) {
      flushLocked();
    }
  }

  /**
   * Writes {@code len} bytes at {@code inBlock} of block {@code block}, whose data starts at
   * {@code dataAt}. A sector written only in part is merged with what it reads as now: its own
   * bytes where its bit is set, the backing's (zeros or the parent's) where it is clear.
   */
  private void writeSectors(ByteBuffer src, int len, long dataAt, int inBlock, SectorBitmap bits,
      int block) throws IOException {
    long firstSector = (long) block * (blockSize / SECTOR);
    int at = inBlock;
    int end = inBlock + len;
    int headSector = at / SECTOR;
    if (at % SECTOR != 0 || end - at < SECTOR) {
      int n = Math.min(end, (headSector + 1) * SECTOR) - at;
      writePartialSector(src, n, dataAt, headSector, at % SECTOR, bits, firstSector);
      at += n;
    }
    int whole = (end - at) / SECTOR * SECTOR;
    if (whole > 0) {
      host.write(src, whole, dataAt + at);
      at += whole;
    }
    if (at < end) {
      writePartialSector(src, end - at, dataAt, at / SECTOR, 0, bits, firstSector);
    }
  }

  private void writePartialSector(ByteBuffer src, int n, long dataAt, int sector, int offset,
      SectorBitmap bits, long firstSector) throws IOException {
    long sectorAt = dataAt + (long) sector * SECTOR;
    byte[] merged = bits.isSet(sector)
        ? host.readBytes(sectorAt, SECTOR)
        : backing.readSector(firstSector + sector);
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
    return opened.withUsage(table.allocatedCount(), hostSize);
  }

  @Override
  public void close() throws IOException {
    try (Backing b = backing; HostFile h = host) {
      if (host.isWritable()) {
        writeLock.lock();
        try {
          flushLocked();
          giveBackZeroTail();
        } finally {
          writeLock.unlock();
        }
      }
    }
  }

  /**
   * Gives back the blocks at the end of the file that hold only zeros ({@link ZeroBlocks}): BAT
   * entries unallocated and durable, then the footer moved back and the file cut. Called as the
   * disk closes, when no channel has a transfer in flight that could use their old entries.
   */
  private void giveBackZeroTail() throws IOException {
    ZeroBlocks.Cut cut = zeroBlocks.tail(table, bitmapSize + (long) blockSize,
        allocator.footerAt(), metadataEnd());
    if (cut == null) {
      return;
    }
    for (int block : cut.blocks()) {
      table.free(block);
      bitmaps.forget(block);
      batWriter.markDirty(block);
    }
    batWriter.writeDirty();
    // The entries durable before the space they pointed at leaves the file.
    host.force(false);
    allocator.shrinkTo(cut.footerAt());
    host.force(true);
  }

  /** Where the header, the BAT and the parent locators' data end: no block lies below that. */
  private long metadataEnd() {
    long end = Math.max(located.footer().dataOffset() + DynamicHeader.SIZE,
        header.tableOffset() + header.tableBytes());
    for (ParentLocator l : header.locators()) {
      if (l.isPresent()) {
        end = Math.max(end, l.dataOffset() + Math.max(l.reservedBytes(), l.dataLength()));
      }
    }
    return end;
  }

  private static long roundUpToSector(long n) {
    return (n + SECTOR - 1) / SECTOR * SECTOR;
  }
}
