package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * The 512-byte hard disk footer every VHD carries (at the end of the file, and for sparse images a
 * copy at offset 0).
 *
 * <p>{@code hidden} is byte 85, which the specification reserves and XenServer's blktap uses as a
 * private flag; it is kept so a rewritten footer does not lose it.
 */
public record Footer(
    int features,
    int formatVersion,
    long dataOffset,
    long timestamp,
    String creatorApplication,
    int creatorVersion,
    int creatorHostOs,
    long originalSize,
    long currentSize,
    Geometry geometry,
    DiskType diskType,
    UUID uniqueId,
    int savedState,
    int hidden) {

  /** Size of the structure. */
  public static final int SIZE = 512;
  /** The footer of images written by Virtual PC before 2004 lacks the last reserved byte. */
  public static final int SHORT_SIZE = 511;
  /** Value of {@code dataOffset} in a fixed image, which has no dynamic header. */
  public static final long NO_DATA_OFFSET = -1L;
  /** File format version 1.0, the only one defined. */
  public static final int VERSION_1_0 = 0x0001_0000;
  /** The required feature bit 0x2 ("reserved, must be 1"). */
  public static final int FEATURE_RESERVED = 0x2;

  static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
  static final int CHECKSUM_OFFSET = 64;

  /** Checks the fields no footer can do without. */
  public Footer {
    if (creatorApplication == null || creatorApplication.length() != 4) {
      throw new IllegalArgumentException("creator application must be 4 characters");
    }
    if (geometry == null || diskType == null || uniqueId == null) {
      throw new NullPointerException("geometry, disk type and unique id are required");
    }
  }

  /** Whether {@code b[off..]} starts with the footer cookie {@code conectix}. */
  public static boolean hasCookie(byte[] b, int off) {
    return Bytes.startsWith(b, off, COOKIE);
  }

  /**
   * Decodes and validates the footer in {@code b[off .. off+512)}. A 511-byte footer is passed with
   * a zero byte appended (the byte it lacks is reserved and zero).
   *
   * @param file the image, for messages
   * @param at the footer's byte offset in the image, for messages
   */
  public static Footer decode(byte[] b, int off, String file, long at) throws VhdFormatException {
    if (!hasCookie(b, off)) {
      throw new VhdFormatException(file, at, "not a VHD footer: cookie 'conectix' missing");
    }
    Checksum.verify(b, off, SIZE, CHECKSUM_OFFSET, "footer", file, at);
    int version = Bytes.int32(b, off + 12);
    if ((version >>> 16) != 1) {
      throw new VhdFormatException(file, at + 12,
          "unsupported footer format version " + Bytes.hex(version & 0xFFFF_FFFFL));
    }
    int typeCode = Bytes.int32(b, off + 60);
    DiskType type = diskTypeOf(typeCode);
    if (type == null) {
      throw new VhdFormatException(file, at + 60, "unknown disk type " + typeCode
          + " (expected 2 fixed, 3 dynamic or 4 differencing)");
    }
    long current = Bytes.int64(b, off + 48);
    if (current < 0) {
      throw new VhdFormatException(file, at + 48, "negative current size " + current);
    }
    long original = Bytes.int64(b, off + 40);
    return new Footer(
        Bytes.int32(b, off + 8),
        version,
        Bytes.int64(b, off + 16),
        Bytes.uint32(b, off + 24),
        Bytes.ascii4(b, off + 28),
        Bytes.int32(b, off + 32),
        Bytes.int32(b, off + 36),
        original,
        current,
        Geometry.decode(Bytes.int32(b, off + 56)),
        type,
        Bytes.uuid(b, off + 68),
        b[off + 84] & 0xFF,
        b[off + 85] & 0xFF);
  }

  /** The code of {@code type} at footer offset 60: 2 fixed, 3 dynamic, 4 differencing. */
  public static int typeCode(DiskType type) {
    return switch (type) {
      case FIXED -> 2;
      case DYNAMIC -> 3;
      case DIFFERENCING -> 4;
    };
  }

  /** The type with footer code {@code code}; {@code null} for a code the spec does not define. */
  public static DiskType diskTypeOf(int code) {
    for (DiskType t : DiskType.values()) {
      if (typeCode(t) == code) {
        return t;
      }
    }
    return null;
  }

  /** The 512 bytes of this footer, checksum included. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(COOKIE, 0, b, 0, COOKIE.length);
    Bytes.putInt32(b, 8, features);
    Bytes.putInt32(b, 12, formatVersion);
    Bytes.putInt64(b, 16, dataOffset);
    Bytes.putInt32(b, 24, (int) timestamp);
    Bytes.putAscii4(b, 28, creatorApplication);
    Bytes.putInt32(b, 32, creatorVersion);
    Bytes.putInt32(b, 36, creatorHostOs);
    Bytes.putInt64(b, 40, originalSize);
    Bytes.putInt64(b, 48, currentSize);
    Bytes.putInt32(b, 56, geometry.encoded());
    Bytes.putInt32(b, 60, typeCode(diskType));
    Bytes.putUuid(b, 68, uniqueId);
    b[84] = (byte) savedState;
    b[85] = (byte) hidden;
    Bytes.putInt32(b, CHECKSUM_OFFSET, Checksum.compute(b, 0, SIZE, CHECKSUM_OFFSET));
    return b;
  }

  /** The creation time the footer records. */
  public Instant time() {
    return VhdTime.toInstant(timestamp);
  }

  /** The creator version as {@code major.minor}. */
  public String creatorVersionString() {
    return (creatorVersion >>> 16) + "." + (creatorVersion & 0xFFFF);
  }

  /** The creator host OS as its four characters ({@code Wi2k}, {@code Mac }), or hex if not printable. */
  public String creatorHostOsString() {
    return Bytes.fourCc(creatorHostOs);
  }
}
