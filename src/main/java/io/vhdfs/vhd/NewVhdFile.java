package io.vhdfs.vhd;

import io.vhdfs.disk.NewImageFile;
import io.vhdfs.disk.NewImageWriter;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.WriteBehind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Fills a new dynamic VHD that no one else sees yet, such as a conversion's staged result: made by
 * {@link VhdCreator#create}, then blocks appended as they are first written (each its bitmap, all
 * bits set, and its data on a page boundary, as {@link BlockAllocator} places them), the table
 * and the footer written once, by {@link #finish}. Nothing is forced along the way, since a file
 * thrown away unless it is finished needs no order of writes; with {@code sync}, {@link #finish}
 * makes it all durable. Bytes of an allocated block not written read as zeros (holes in the
 * file). Its methods may be called from several threads.
 */
public final class NewVhdFile implements NewImageWriter {
  private static final int SECTOR = 512;
  private static final long BAT_OFFSET = 1536;
  private static final int DATA_ALIGNMENT = 4096;

  private final Path file;
  private final SeekableByteChannel channel;
  private final WriteBehind writeBehind;
  private final long size;
  private final int blockSize;
  private final int bitmapSize;
  private final int[] entries;
  private final byte[] footer;
  /** Where the created file's footer was: the first block's gap starts there. */
  private final long firstGap;
  /** Where the next block's gap starts; the footer goes here at the end. */
  private long end;

  private NewVhdFile(Path file, SeekableByteChannel channel, boolean sync, long size,
      int blockSize, byte[] footer, long footerAt) {
    this.file = file;
    this.channel = channel;
    this.writeBehind = sync && channel instanceof FileChannel fc ? new WriteBehind(fc) : null;
    this.size = size;
    this.blockSize = blockSize;
    this.bitmapSize = SectorBitmap.sizeInBytes(blockSize);
    this.entries = new int[(int) ((size + blockSize - 1) / blockSize)];
    Arrays.fill(entries, Bat.UNALLOCATED);
    this.footer = footer;
    this.firstGap = footerAt;
    this.end = footerAt;
  }

  /**
   * Creates {@code file}, which must not exist, as a dynamic VHD of {@code size} bytes (a size
   * {@link VhdCreator#createdSize} keeps as it is) and opens it for filling.
   *
   * @param sync whether the file is forced in the background as it fills, for a result that
   *     {@link #finish} will make durable
   * @throws IllegalStateException if the created image is not {@code size} bytes
   */
  public static NewVhdFile create(Path file, long size, int blockSize, boolean exactSize,
      boolean sync) throws IOException {
    VhdCreator.create(file, DiskType.DYNAMIC, size, blockSize, exactSize);
    SeekableByteChannel channel = null;
    try {
      channel = Files.newByteChannel(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      long footerAt = channel.size() - Footer.SIZE;
      byte[] footer = new byte[Footer.SIZE];
      ByteBuffer b = ByteBuffer.wrap(footer);
      channel.position(footerAt);
      while (b.hasRemaining() && channel.read(b) >= 0) {
        // until the footer is read
      }
      Footer f = Footer.decode(footer, 0, file.toString(), footerAt);
      if (f.currentSize() != size) {
        throw new IllegalStateException(file + ": created for " + size + " bytes but reads as "
            + f.currentSize());
      }
      return new NewVhdFile(file, channel, sync, size, blockSize, footer, footerAt);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** The file being written, for a caller that puts a block's bytes there itself. */
  public Path file() {
    return file;
  }

  /**
   * Writes all of {@code src} at disk offset {@code position}; a block is allocated at its first
   * write, the rest of it reading as zeros.
   *
   * @throws IllegalArgumentException if the bytes reach past the disk's end
   */
  public void write(ByteBuffer src, long position) throws IOException {
    if (position < 0 || position > size - src.remaining()) {
      throw new IllegalArgumentException(file + ": " + src.remaining() + " bytes at " + position
          + " reach past the disk's end, " + size);
    }
    int limit = src.limit();
    int total = src.remaining();
    long at = position;
    try {
      while (src.hasRemaining()) {
        int n = (int) Math.min(src.remaining(), blockEnd(at) - at);
        src.limit(src.position() + n);
        writeFully(src, fileOffset(at));
        src.limit(limit);
        at += n;
      }
    } finally {
      src.limit(limit);
    }
    copied(total);
  }

  /**
   * Where in {@link #file} disk offset {@code position} lies, its block allocated now if it has
   * none; the caller may put bytes there itself, up to {@link #blockEnd}, and count them with
   * {@link #copied}. Block data starts on a page, so a disk offset and its file offset lie alike
   * within a page.
   *
   * @throws IllegalArgumentException if {@code position} is not inside the disk
   */
  public synchronized long fileOffset(long position) throws IOException {
    if (position < 0 || position >= size) {
      throw new IllegalArgumentException(file + ": disk offset " + position + " is outside the"
          + " disk, " + size + " bytes");
    }
    int block = (int) (position / blockSize);
    if (entries[block] == Bat.UNALLOCATED) {
      long dataAt = (end + bitmapSize + DATA_ALIGNMENT - 1) / DATA_ALIGNMENT * DATA_ALIGNMENT;
      long bitmapAt = dataAt - bitmapSize;
      byte[] b = new byte[(int) (dataAt - end)];
      setEverySector(b, (int) (bitmapAt - end));
      if (end != firstGap) {
        b = Arrays.copyOfRange(b, (int) (bitmapAt - end), b.length); // the gap is a hole
        writeFully(ByteBuffer.wrap(b), bitmapAt);
      } else {
        writeFully(ByteBuffer.wrap(b), end); // zeros over the created file's footer
      }
      entries[block] = (int) (bitmapAt / SECTOR);
      end = dataAt + blockSize;
    }
    return (entries[block] & 0xFFFF_FFFFL) * SECTOR + bitmapSize + position % blockSize;
  }

  /**
   * Sets the bit of every sector of a block in the bitmap at {@code from} in {@code b} (most
   * significant bit first), the padding after them left clear: every sector reads as data.
   */
  private void setEverySector(byte[] b, int from) {
    int sectors = blockSize / SECTOR;
    Arrays.fill(b, from, from + sectors / 8, (byte) 0xFF);
    if (sectors % 8 != 0) {
      b[from + sectors / 8] = (byte) (0xFF << (8 - sectors % 8));
    }
  }

  /** The disk offset where the block holding {@code position} ends. */
  public long blockEnd(long position) {
    return Math.min(size, (position / blockSize + 1) * blockSize);
  }

  /** Counts {@code length} bytes the caller put into the file (for the background write-back). */
  public synchronized void copied(long length) {
    if (writeBehind != null) {
      writeBehind.wrote(length);
    }
  }

  /** Writes the table and the footer after the last block, and with {@code sync} forces it all. */
  public synchronized void finish(boolean sync) throws IOException {
    byte[] bat = new byte[(entries.length * 4 + SECTOR - 1) / SECTOR * SECTOR];
    Arrays.fill(bat, (byte) 0xFF);
    for (int i = 0; i < entries.length; i++) {
      Bytes.putInt32(bat, i * 4, entries[i]);
    }
    writeFully(ByteBuffer.wrap(bat), BAT_OFFSET);
    writeFully(ByteBuffer.wrap(footer), end);
    if (sync && channel instanceof FileChannel fc) {
      if (writeBehind != null) {
        writeBehind.await();
      }
      fc.force(true);
    }
  }

  private void writeFully(ByteBuffer src, long at) throws IOException {
    if (channel instanceof FileChannel) {
      NewImageFile.writeAt(channel, src, at); // positional: threads write side by side
      return;
    }
    synchronized (this) {
      NewImageFile.writeAt(channel, src, at);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    try (SeekableByteChannel c = channel) {
      if (writeBehind != null) {
        writeBehind.close();
      }
    }
  }
}
