package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;

/**
 * The File Parameters metadata item: the block size and the two flags that make the disk type.
 *
 * @param blockSize bytes per payload block, a power of two from 1 MiB to 256 MiB
 * @param leaveBlocksAllocated set in fixed disks: blocks are never freed or moved
 * @param hasParent set in differencing disks
 * @param flags the whole flags field as stored, for byte-exact encoding
 */
record FileParameters(
    int blockSize, boolean leaveBlocksAllocated, boolean hasParent, int flags) {
  /** Bytes of the value. */
  public static final int SIZE = 8;
  /** Smallest block size. */
  public static final int MIN_BLOCK_SIZE = 1 << 20;
  /** Largest block size. */
  public static final int MAX_BLOCK_SIZE = 256 << 20;

  /** Checks the block size and that the booleans are bits 0 and 1 of {@code flags}. */
  public FileParameters {
    if (!validBlockSize(blockSize)) {
      throw new IllegalArgumentException("block size must be a power of two from 1 to 256 MiB");
    }
    if (leaveBlocksAllocated != ((flags & 1) != 0) || hasParent != ((flags & 2) != 0)) {
      throw new IllegalArgumentException("the booleans must be bits 0 and 1 of flags");
    }
  }

  /** Parameters whose flags field holds just the two defined bits. */
  public static FileParameters of(int blockSize, boolean leaveBlocksAllocated,
      boolean hasParent) {
    return new FileParameters(blockSize, leaveBlocksAllocated, hasParent,
        (leaveBlocksAllocated ? 1 : 0) | (hasParent ? 2 : 0));
  }

  /**
   * Decodes the 8-byte value.
   *
   * @param at the value's file offset, for messages
   */
  public static FileParameters decode(byte[] b, String file, long at) throws VhdFormatException {
    if (b.length != SIZE) {
      throw new VhdFormatException(file, at, "file parameters item is " + b.length
          + " bytes long, not 8");
    }
    long blockSize = LittleEndian.uint32(b, 0);
    if (blockSize > Integer.MAX_VALUE || !validBlockSize((int) blockSize)) {
      throw new VhdFormatException(file, at, "block size " + blockSize
          + " is not a power of two from 1 MiB to 256 MiB");
    }
    int flags = LittleEndian.int32(b, 4);
    return new FileParameters((int) blockSize, (flags & 1) != 0, (flags & 2) != 0, flags);
  }

  static boolean validBlockSize(int blockSize) {
    return blockSize >= MIN_BLOCK_SIZE && blockSize <= MAX_BLOCK_SIZE
        && Integer.bitCount(blockSize) == 1;
  }

  /**
   * The disk type these flags make: HasParent means differencing (with or without
   * LeaveBlockAllocated, which the spec says is ignored then), else LeaveBlockAllocated fixed.
   */
  public VhdxDiskType diskType() {
    if (hasParent) {
      return VhdxDiskType.DIFFERENCING;
    }
    return leaveBlocksAllocated ? VhdxDiskType.FIXED : VhdxDiskType.DYNAMIC;
  }

  /** The 8-byte value. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    LittleEndian.putInt32(b, 0, blockSize);
    LittleEndian.putInt32(b, 4, flags);
    return b;
  }
}
