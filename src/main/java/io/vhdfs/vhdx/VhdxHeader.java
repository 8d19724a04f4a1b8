package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * One of the two 4 KiB headers (at 64 KiB and 128 KiB): its sequence number, the three GUIDs that
 * say whether the file, the disk's data and the log changed, the format and log versions, and
 * where the log lies. Which of the two counts is {@link HeaderChoice}'s business.
 *
 * @param sequenceNumber unsigned; the valid header with the greater one is current
 * @param fileWriteGuid changed once per writing session
 * @param dataWriteGuid changed once per session that changes what the disk reads; the identity
 *     children record in {@code parent_linkage}
 * @param logGuid zero when there is no log to replay; otherwise only entries carrying it count
 * @param logVersion must be 0 where a log is to be replayed
 * @param version must be 1
 * @param logLength bytes of the log ring, a multiple of 1 MiB (unsigned 32-bit)
 * @param logOffset where the log starts, a multiple of 1 MiB, at least 1 MiB
 */
record VhdxHeader(
    long sequenceNumber,
    UUID fileWriteGuid,
    UUID dataWriteGuid,
    UUID logGuid,
    int logVersion,
    int version,
    long logLength,
    long logOffset) {

  /** Bytes of the structure. */
  public static final int SIZE = 4096;
  /** File offset of header 1. */
  public static final long HEADER1_OFFSET = 0x10000;
  /** File offset of header 2. */
  public static final long HEADER2_OFFSET = 0x20000;
  /** The only format version this reader knows. */
  public static final int VERSION = 1;

  static final byte[] SIGNATURE = "head".getBytes(StandardCharsets.US_ASCII);
  static final int CHECKSUM_OFFSET = 4;
  private static final long MIB = 1 << 20;

  /** Checks the fields fit their on-disk widths. */
  public VhdxHeader {
    Objects.requireNonNull(fileWriteGuid, "fileWriteGuid");
    Objects.requireNonNull(dataWriteGuid, "dataWriteGuid");
    Objects.requireNonNull(logGuid, "logGuid");
    if ((logVersion & ~0xFFFF) != 0 || (version & ~0xFFFF) != 0 || (logLength >>> 32) != 0) {
      throw new IllegalArgumentException("a header field exceeds its on-disk width");
    }
  }

  /**
   * Decodes the header in {@code b[off, off+4096)} and checks what makes a header valid in the
   * spec's sense: its signature and its CRC-32C. The other field rules apply to the current
   * header only ({@link #checkUsable}), so a bad value in a stale header cannot refuse a file.
   *
   * @param file the image, for messages
   * @param at the header's file offset, for messages
   */
  public static VhdxHeader decode(byte[] b, int off, String file, long at)
      throws VhdFormatException {
    String problem = problem(b, off);
    if (problem != null) {
      throw new VhdFormatException(file, at, problem);
    }
    return new VhdxHeader(
        LittleEndian.int64(b, off + 8),
        MsGuid.read(b, off + 16),
        MsGuid.read(b, off + 32),
        MsGuid.read(b, off + 48),
        LittleEndian.uint16(b, off + 64),
        LittleEndian.uint16(b, off + 66),
        LittleEndian.uint32(b, off + 68),
        LittleEndian.int64(b, off + 72));
  }

  /** Why the header in {@code b[off..]} is not valid, or {@code null} when it is. */
  static String problem(byte[] b, int off) {
    if (b.length - off < SIZE) {
      return "header truncated";
    }
    if (!LittleEndian.matches(b, off, SIGNATURE)) {
      return "no 'head' signature";
    }
    return Crc32cField.problem(b, off, SIZE, CHECKSUM_OFFSET, "header");
  }

  /** Whether a log must be replayed before anything else is read: a non-zero LogGuid. */
  public boolean hasLog() {
    return !MsGuid.isZero(logGuid);
  }

  /** The file offset just past the log. */
  public long logEnd() {
    return logOffset + logLength;
  }

  /**
   * Checks the fields of the current header: version 1; log version 0 unless there is no log to
   * replay; log offset and length whole MiB, the log after the header section.
   *
   * @param at the header's file offset, for messages
   */
  public void checkUsable(String file, long at) throws VhdFormatException {
    if (version != VERSION) {
      throw new VhdFormatException(file, at + 66, "unsupported VHDX version " + version
          + " (only version 1 is defined)");
    }
    if (logVersion != 0 && hasLog()) {
      throw new VhdFormatException(file, at + 64, "log version " + logVersion
          + " cannot be replayed (only version 0 is defined)");
    }
    if (logLength % MIB != 0) {
      throw new VhdFormatException(file, at + 68, "log length " + logLength
          + " is not a multiple of 1 MiB");
    }
    if (logOffset < MIB || logOffset % MIB != 0 || logOffset > Long.MAX_VALUE - logLength) {
      throw new VhdFormatException(file, at + 72, "log offset " + Long.toUnsignedString(logOffset)
          + " is not a multiple of 1 MiB after the 1 MiB header section");
    }
  }

  /** The 4096 bytes of this header, checksum included, reserved bytes zero. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(SIGNATURE, 0, b, 0, SIGNATURE.length);
    LittleEndian.putInt64(b, 8, sequenceNumber);
    MsGuid.write(b, 16, fileWriteGuid);
    MsGuid.write(b, 32, dataWriteGuid);
    MsGuid.write(b, 48, logGuid);
    LittleEndian.putInt16(b, 64, logVersion);
    LittleEndian.putInt16(b, 66, version);
    LittleEndian.putInt32(b, 68, (int) logLength);
    LittleEndian.putInt64(b, 72, logOffset);
    Crc32cField.store(b, 0, SIZE, CHECKSUM_OFFSET);
    return b;
  }
}
