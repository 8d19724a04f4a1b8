package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.util.zip.CRC32C;

/**
 * The checksum every checksummed VHDX structure carries: CRC-32C over the whole structure with its
 * own four-byte checksum field taken as zero.
 */
final class Crc32cField {
  private static final byte[] ZERO_FIELD = new byte[4];

  private Crc32cField() {}

  /** The CRC-32C of {@code b[off, off+length)} with the field at {@code off+fieldOffset} zeroed. */
  static int compute(byte[] b, int off, int length, int fieldOffset) {
    CRC32C crc = new CRC32C();
    update(crc, b, off, length, fieldOffset);
    return (int) crc.getValue();
  }

  /** Feeds {@code b[off, off+length)} to {@code crc}, its field at {@code fieldOffset} zeroed. */
  static void update(CRC32C crc, byte[] b, int off, int length, int fieldOffset) {
    crc.update(b, off, fieldOffset);
    crc.update(ZERO_FIELD, 0, 4);
    crc.update(b, off + fieldOffset + 4, length - fieldOffset - 4);
  }

  /** Whether the stored field matches the computed checksum. */
  static boolean holds(byte[] b, int off, int length, int fieldOffset) {
    return LittleEndian.int32(b, off + fieldOffset) == compute(b, off, length, fieldOffset);
  }

  /** What is wrong with the checksum of {@code what}, or {@code null} when it holds. */
  static String problem(byte[] b, int off, int length, int fieldOffset, String what) {
    int stored = LittleEndian.int32(b, off + fieldOffset);
    int computed = compute(b, off, length, fieldOffset);
    if (stored == computed) {
      return null;
    }
    return what + " CRC-32C mismatch: stored " + LittleEndian.hex(stored & 0xFFFF_FFFFL)
        + ", computed " + LittleEndian.hex(computed & 0xFFFF_FFFFL);
  }

  /** Stores the checksum of {@code b[off, off+length)} in its field. */
  static void store(byte[] b, int off, int length, int fieldOffset) {
    LittleEndian.putInt32(b, off + fieldOffset, compute(b, off, length, fieldOffset));
  }

  static void verify(byte[] b, int off, int length, int fieldOffset, String what, String file,
      long at) throws VhdFormatException {
    String problem = problem(b, off, length, fieldOffset, what);
    if (problem != null) {
      throw new VhdFormatException(file, at, problem);
    }
  }
}
