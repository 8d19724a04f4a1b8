package io.vhdfs.vhdx;

import java.io.IOException;
import java.nio.ByteBuffer;
import io.vhdfs.disk.NewImageFile;
import io.vhdfs.disk.WriteBehind;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link NewVhdxWriter} over a file made by {@link VhdxCreator}. A fixed image's blocks are
 * already FULLY_PRESENT in order, so bytes go straight to their place. A dynamic image's block is
 * appended at its first write and its entry written then: the entry is read back from the file
 * for a block written to again, so no table of the disk's blocks is held in memory.
 */
final class NewVhdxFile implements NewVhdxWriter {
  private static final int LOGICAL_SECTOR_SIZE = 512;
  private final Path file;
  private final SeekableByteChannel channel;
  /** Starts the host's write-back as blocks go in; null where the host has no force. */
  private final WriteBehind writeBehind;
  private final BatGeometry geometry;
  private final boolean fixed;
  private final long firstBlock;
  /** Where the next allocated block goes; the file's length once finished. */
  private long end;
  /** The last block looked up and its file offset, as writes mostly go on in one block. */
  private long lastBlock = -1;
  private long lastOffset;

  private NewVhdxFile(Path file, SeekableByteChannel channel, BatGeometry geometry,
      boolean fixed, boolean sync) {
    this.file = file;
    this.channel = channel;
    this.writeBehind = sync && channel instanceof FileChannel fc ? new WriteBehind(fc) : null;
    this.geometry = geometry;
    this.fixed = fixed;
    this.firstBlock = VhdxCreator.firstBlockOffset(geometry);
    this.end = fixed ? firstBlock + geometry.payloadBlocks() * geometry.blockSize() : firstBlock;
  }

  static BatGeometry geometry(long size, int blockSize) {
    if (size <= 0 || size % LOGICAL_SECTOR_SIZE != 0
        || size > VhdxMetadata.MAX_VIRTUAL_DISK_SIZE) {
      throw new IllegalArgumentException("a VHDX disk is a positive multiple of "
          + LOGICAL_SECTOR_SIZE + " bytes of at most 64 TiB, not " + size + " bytes");
    }
    if (!FileParameters.validBlockSize(blockSize)) {
      throw new IllegalArgumentException("block size " + blockSize
          + " is not a power of two from 1 MiB to 256 MiB, as a VHDX's is");
    }
    return new BatGeometry(size, blockSize, LOGICAL_SECTOR_SIZE, false);
  }

  static NewVhdxFile create(Path file, boolean fixed, long size, int blockSize, boolean sync)
      throws IOException {
    BatGeometry geometry = geometry(size, blockSize);
    VhdxCreator.create(file, fixed, size, blockSize, LOGICAL_SECTOR_SIZE,
        VhdxFormat.DEFAULT_PHYSICAL_SECTOR_SIZE);
    SeekableByteChannel channel;
    try {
      channel = Files.newByteChannel(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
    return new NewVhdxFile(file, channel, geometry, fixed, sync);
  }

  @Override
  public synchronized void write(ByteBuffer src, long position) throws IOException {
    if (position < 0 || position > geometry.virtualDiskSize() - src.remaining()) {
      throw new IllegalArgumentException(file + ": " + src.remaining() + " bytes at " + position
          + " reach past the disk's end, " + geometry.virtualDiskSize());
    }
    int blockSize = geometry.blockSize();
    long at = position;
    int limit = src.limit();
    int total = src.remaining();
    try {
      while (src.hasRemaining()) {
        long block = at / blockSize;
        int within = (int) (at % blockSize);
        int n = (int) Math.min(src.remaining(), blockSize - within);
        src.limit(src.position() + n);
        writeFully(src, blockOffset(block) + within);
        src.limit(limit);
        at += n;
      }
    } finally {
      src.limit(limit);
    }
    if (writeBehind != null) {
      writeBehind.wrote(total);
    }
  }

  @Override
  public Path file() {
    return file;
  }

  @Override
  public synchronized long fileOffset(long position) throws IOException {
    if (position < 0 || position >= geometry.virtualDiskSize()) {
      throw new IllegalArgumentException(file + ": disk offset " + position + " is outside the"
          + " disk, " + geometry.virtualDiskSize() + " bytes");
    }
    int blockSize = geometry.blockSize();
    return blockOffset(position / blockSize) + position % blockSize;
  }

  @Override
  public long blockEnd(long position) {
    long blockSize = geometry.blockSize();
    return Math.min(geometry.virtualDiskSize(), (position / blockSize + 1) * blockSize);
  }

  @Override
  public synchronized void copied(long length) {
    if (writeBehind != null) {
      writeBehind.wrote(length);
    }
  }

  /** The file offset of {@code block}, allocated now if it has none. */
  private long blockOffset(long block) throws IOException {
    if (fixed) {
      return firstBlock + block * geometry.blockSize();
    }
    if (block == lastBlock) {
      return lastOffset;
    }
    long entryAt = VhdxCreator.BAT_OFFSET + geometry.payloadIndex(block) * BatGeometry.ENTRY_SIZE;
    ByteBuffer entry = ByteBuffer.allocate(BatGeometry.ENTRY_SIZE);
    channel.position(entryAt);
    while (entry.hasRemaining() && channel.read(entry) >= 0) {
      // until the entry is read; a hole reads as zeros, NOT_PRESENT
    }
    long raw = entry.position() == BatGeometry.ENTRY_SIZE
        ? LittleEndian.int64(entry.array(), 0) : 0;
    long offset;
    if (raw == 0) {
      offset = end;
      end += geometry.blockSize();
      byte[] b = new byte[BatGeometry.ENTRY_SIZE];
      LittleEndian.putInt64(b, 0, BatEntry.of(PayloadState.FULLY_PRESENT.code, offset).raw());
      writeFully(ByteBuffer.wrap(b), entryAt);
    } else {
      offset = new BatEntry(raw).fileOffset();
    }
    lastBlock = block;
    lastOffset = offset;
    return offset;
  }

  @Override
  public synchronized void finish(boolean sync) throws IOException {
    // A block's unwritten tail is a hole, but the file must reach the end of its last block.
    if (channel.size() < end) {
      writeFully(ByteBuffer.allocate(1), end - 1);
    }
    if (sync && channel instanceof FileChannel fc) {
      if (writeBehind != null) {
        writeBehind.await();
      }
      fc.force(true);
    }
  }

  private void writeFully(ByteBuffer src, long at) throws IOException {
    NewImageFile.writeAt(channel, src, at);
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
