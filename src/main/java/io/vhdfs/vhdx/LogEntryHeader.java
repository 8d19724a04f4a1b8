package io.vhdfs.vhdx;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * The 64-byte header at the start of a log entry's first descriptor sector.
 *
 * @param checksum CRC-32C over the whole entry, this field zeroed
 * @param entryLength bytes of the entry, a multiple of 4 KiB (unsigned 32-bit)
 * @param tail log offset of the first entry of the sequence ending with this one
 * @param sequenceNumber greater than zero, one more than the entry before in its sequence
 * @param descriptorCount descriptors in the entry (unsigned 32-bit)
 * @param logGuid must equal the header's LogGuid for the entry to count
 * @param flushedFileOffset a file size known to be stable when the entry was written
 * @param lastFileOffset a file size that holds every structure when the entry was written
 */
record LogEntryHeader(
    int checksum,
    long entryLength,
    long tail,
    long sequenceNumber,
    long descriptorCount,
    UUID logGuid,
    long flushedFileOffset,
    long lastFileOffset) {
  /** Bytes of the header. */
  public static final int SIZE = 64;

  static final byte[] SIGNATURE = "loge".getBytes(StandardCharsets.US_ASCII);
  static final int CHECKSUM_OFFSET = 4;

  /** Checks the 32-bit fields fit. */
  public LogEntryHeader {
    Objects.requireNonNull(logGuid, "logGuid");
    if ((entryLength >>> 32) != 0 || (tail >>> 32) != 0 || (descriptorCount >>> 32) != 0) {
      throw new IllegalArgumentException("a log entry header field exceeds 32 bits");
    }
  }

  /** Whether {@code sector} starts with the {@code loge} signature. */
  static boolean signed(byte[] sector) {
    return LittleEndian.matches(sector, 0, SIGNATURE);
  }

  /** The fields of the header at the start of {@code sector}; no checks. */
  static LogEntryHeader fields(byte[] sector) {
    return new LogEntryHeader(
        LittleEndian.int32(sector, 4),
        LittleEndian.uint32(sector, 8),
        LittleEndian.uint32(sector, 12),
        LittleEndian.int64(sector, 16),
        LittleEndian.uint32(sector, 24),
        MsGuid.read(sector, 32),
        LittleEndian.int64(sector, 48),
        LittleEndian.int64(sector, 56));
  }
}
