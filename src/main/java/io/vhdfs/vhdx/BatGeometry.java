package io.vhdfs.vhdx;

/**
 * Where a block's BAT entry lies: the arithmetic of chunks and the interleaving of payload and
 * sector bitmap entries, the same for fixed, dynamic and differencing files.
 *
 * <p>A chunk is the part of the disk one 1 MiB sector bitmap block describes: 2^23 logical
 * sectors. Its chunk ratio payload entries are followed by the entry of its sector bitmap block,
 * so payload block b is entry {@code b + b / chunkRatio} and chunk c's bitmap is entry
 * {@code c * (chunkRatio + 1) + chunkRatio}. A fixed or dynamic BAT ends with the last payload
 * entry; a differencing one with the last chunk's bitmap entry.
 *
 * @param virtualDiskSize bytes, at most 64 TiB, a multiple of the logical sector size
 * @param blockSize a power of two from 1 MiB to 256 MiB
 * @param logicalSectorSize 512 or 4096
 * @param differencing whether the file has a parent, which sizes the table differently
 */
record BatGeometry(
    long virtualDiskSize, int blockSize, int logicalSectorSize, boolean differencing) {
  /** Logical sectors one sector bitmap block describes. */
  public static final long SECTORS_PER_CHUNK = 1L << 23;
  /** Bytes of a sector bitmap block. */
  public static final int BITMAP_BLOCK_SIZE = 1 << 20;
  /** Bytes of a BAT entry. */
  public static final int ENTRY_SIZE = 8;

  /** Checks the values are those {@link VhdxMetadata} accepts. */
  public BatGeometry {
    if (!FileParameters.validBlockSize(blockSize)) {
      throw new IllegalArgumentException("block size must be a power of two from 1 to 256 MiB");
    }
    if (logicalSectorSize != 512 && logicalSectorSize != 4096) {
      throw new IllegalArgumentException("logical sector size must be 512 or 4096");
    }
    if (virtualDiskSize < 0 || virtualDiskSize > VhdxMetadata.MAX_VIRTUAL_DISK_SIZE
        || virtualDiskSize % logicalSectorSize != 0) {
      throw new IllegalArgumentException("virtual disk size out of range: " + virtualDiskSize);
    }
  }

  /** Bytes of the disk one chunk covers: 4 GiB with 512-byte sectors, 32 GiB with 4096. */
  public long chunkSize() {
    return SECTORS_PER_CHUNK * logicalSectorSize;
  }

  /** Payload blocks per chunk, and so per sector bitmap block (16 to 32768). */
  public int chunkRatio() {
    return (int) (chunkSize() / blockSize);
  }

  /** Payload blocks of the disk: the size over the block size, rounded up. */
  public long payloadBlocks() {
    return (virtualDiskSize + blockSize - 1) / blockSize;
  }

  /** Sector bitmap blocks the disk could need: the payload blocks over the chunk ratio, up. */
  public long bitmapBlocks() {
    return (payloadBlocks() + chunkRatio() - 1) / chunkRatio();
  }

  /** Entries of the BAT (0 for an empty disk). */
  public long totalEntries() {
    long n = payloadBlocks();
    if (n == 0) {
      return 0;
    }
    return differencing ? bitmapBlocks() * (chunkRatio() + 1L) : n + (n - 1) / chunkRatio();
  }

  /** Bytes the BAT region must hold at least. */
  public long requiredBatBytes() {
    return totalEntries() * ENTRY_SIZE;
  }

  /** The chunk payload block {@code block} is in. */
  public long chunkOf(long block) {
    return block / chunkRatio();
  }

  /** The entry index of payload block {@code block}. */
  public long payloadIndex(long block) {
    return block + block / chunkRatio();
  }

  /** The entry index of the sector bitmap block of chunk {@code chunk}. */
  public long bitmapIndex(long chunk) {
    return chunk * (chunkRatio() + 1L) + chunkRatio();
  }

  /** Whether entry {@code index} is a sector bitmap entry rather than a payload entry. */
  public boolean isBitmapIndex(long index) {
    return index % (chunkRatio() + 1L) == chunkRatio();
  }

  /** The payload block entry {@code index} describes; only for payload entries. */
  public long blockOfIndex(long index) {
    return index - index / (chunkRatio() + 1L);
  }

  /** The chunk whose bitmap entry {@code index} is; only for bitmap entries. */
  public long chunkOfIndex(long index) {
    return index / (chunkRatio() + 1L);
  }

  /**
   * Bytes of block {@code block} inside the virtual disk: the block size, less for a last block
   * the disk's end cuts short.
   */
  public long blockBytes(long block) {
    return Math.min(blockSize, virtualDiskSize - block * blockSize);
  }

  /** Logical sectors per payload block. */
  public int sectorsPerBlock() {
    return blockSize / logicalSectorSize;
  }

  /** Bytes of a block's slice of its chunk's sector bitmap: 1 MiB over the chunk ratio. */
  public int bitmapSliceBytes() {
    return sectorsPerBlock() / 8;
  }

  /** Where block {@code block}'s slice starts within its chunk's 1 MiB sector bitmap block. */
  public int bitmapSliceOffset(long block) {
    return (int) (block % chunkRatio()) * bitmapSliceBytes();
  }
}
