package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The 1024-byte dynamic disk header of dynamic and differencing images: where the block allocation
 * table is, how many entries it has, the block size, and the parent's identity.
 */
public record DynamicHeader(
    long dataOffset,
    long tableOffset,
    int headerVersion,
    long maxTableEntries,
    int blockSize,
    UUID parentUniqueId,
    long parentTimestamp,
    String parentName,
    List<ParentLocator> locators) {

  /** Size of the structure. */
  public static final int SIZE = 1024;
  /** Smallest block size accepted: one sector. */
  public static final int MIN_BLOCK_SIZE = 512;
  /**
   * Largest block size accepted. The format allows any power of two; Microsoft tested 512 KiB and
   * 2 MiB. 256 MiB is the ceiling of VHDX, the format's successor, and keeps a block's sector
   * bitmap at 64 KiB.
   */
  public static final int MAX_BLOCK_SIZE = 256 << 20;
  /** Number of parent locator entries. */
  public static final int LOCATOR_COUNT = 8;

  static final byte[] COOKIE = "cxsparse".getBytes(StandardCharsets.US_ASCII);
  static final int CHECKSUM_OFFSET = 36;
  private static final int PARENT_NAME_OFFSET = 64;
  private static final int PARENT_NAME_BYTES = 512;
  private static final int LOCATORS_OFFSET = 576;

  /** Copies the locator list and checks its length. */
  public DynamicHeader {
    locators = List.copyOf(locators);
    if (locators.size() != LOCATOR_COUNT) {
      throw new IllegalArgumentException("a dynamic header has exactly 8 parent locators");
    }
    if (parentName == null || parentUniqueId == null) {
      throw new NullPointerException("parent name and id are required (empty and zero when none)");
    }
  }

  /**
   * Decodes and validates the header in {@code b[off .. off+1024)}.
   *
   * @param file the image, for messages
   * @param at the header's byte offset in the image, for messages
   */
  public static DynamicHeader decode(byte[] b, int off, String file, long at)
      throws VhdFormatException {
    if (!Bytes.startsWith(b, off, COOKIE)) {
      throw new VhdFormatException(file, at, "dynamic header cookie 'cxsparse' missing");
    }
    Checksum.verify(b, off, SIZE, CHECKSUM_OFFSET, "dynamic header", file, at);
    int version = Bytes.int32(b, off + 24);
    if ((version >>> 16) != 1) {
      throw new VhdFormatException(file, at + 24,
          "unsupported dynamic header version " + Bytes.hex(version & 0xFFFF_FFFFL));
    }
    long blockSize = Bytes.uint32(b, off + 32);
    if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Long.bitCount(blockSize) != 1) {
      throw new VhdFormatException(file, at + 32, "invalid block size " + blockSize
          + ": must be a power of two from 512 bytes to 256 MiB");
    }
    long tableOffset = Bytes.int64(b, off + 16);
    if (tableOffset < 0) {
      throw new VhdFormatException(file, at + 16, "negative table offset " + tableOffset);
    }
    List<ParentLocator> locators = new ArrayList<>(LOCATOR_COUNT);
    for (int i = 0; i < LOCATOR_COUNT; i++) {
      locators.add(ParentLocator.decode(b, off + LOCATORS_OFFSET + i * ParentLocator.SIZE));
    }
    return new DynamicHeader(
        Bytes.int64(b, off + 8),
        tableOffset,
        version,
        Bytes.uint32(b, off + 28),
        (int) blockSize,
        Bytes.uuid(b, off + 40),
        Bytes.uint32(b, off + 56),
        decodeParentName(b, off + PARENT_NAME_OFFSET),
        locators);
  }

  /** The parent name field is UTF-16 big-endian, NUL-terminated or filling all 512 bytes. */
  private static String decodeParentName(byte[] b, int off) {
    int len = 0;
    while (len < PARENT_NAME_BYTES && (b[off + len] != 0 || b[off + len + 1] != 0)) {
      len += 2;
    }
    return new String(b, off, len, StandardCharsets.UTF_16BE);
  }

  /** The 1024 bytes of this header, checksum included. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(COOKIE, 0, b, 0, COOKIE.length);
    Bytes.putInt64(b, 8, dataOffset);
    Bytes.putInt64(b, 16, tableOffset);
    Bytes.putInt32(b, 24, headerVersion);
    Bytes.putInt32(b, 28, (int) maxTableEntries);
    Bytes.putInt32(b, 32, blockSize);
    Bytes.putUuid(b, 40, parentUniqueId);
    Bytes.putInt32(b, 56, (int) parentTimestamp);
    byte[] name = parentName.getBytes(StandardCharsets.UTF_16BE);
    if (name.length > PARENT_NAME_BYTES) {
      throw new IllegalArgumentException("parent name longer than 256 UTF-16 units");
    }
    System.arraycopy(name, 0, b, PARENT_NAME_OFFSET, name.length);
    for (int i = 0; i < LOCATOR_COUNT; i++) {
      locators.get(i).encodeInto(b, LOCATORS_OFFSET + i * ParentLocator.SIZE);
    }
    Bytes.putInt32(b, CHECKSUM_OFFSET, Checksum.compute(b, 0, SIZE, CHECKSUM_OFFSET));
    return b;
  }

  /** Bytes of the sector bitmap that precedes each block's data: one bit a sector, padded to a sector. */
  public int bitmapSize() {
    return SectorBitmap.sizeInBytes(blockSize);
  }

  /** Bytes the BAT occupies on disk: four per entry, padded to a whole sector. */
  public long tableBytes() {
    return (maxTableEntries * 4 + 511) & ~511L;
  }
}
