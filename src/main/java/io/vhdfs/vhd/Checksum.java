package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;

/**
 * The VHD checksum shared by the footer and the dynamic header: the one's complement of the
 * unsigned byte sum of the structure, summed with its own checksum field taken as zero.
 */
final class Checksum {
  private Checksum() {}

  /**
   * Computes the checksum of {@code length} bytes starting at {@code from}, skipping the four bytes
   * of the checksum field at {@code from + fieldOffset}.
   */
  public static int compute(byte[] bytes, int from, int length, int fieldOffset) {
    int sum = 0;
    int skipFrom = from + fieldOffset;
    int skipTo = skipFrom + 4;
    for (int i = from; i < from + length; i++) {
      if (i < skipFrom || i >= skipTo) {
        sum += bytes[i] & 0xFF;
      }
    }
    return ~sum;
  }

  /**
   * Checks the stored checksum of the {@code length}-byte structure {@code what} at
   * {@code b[off..]}, found at byte {@code at} of {@code file}.
   */
  static void verify(byte[] b, int off, int length, int fieldOffset, String what, String file,
      long at) throws VhdFormatException {
    int stored = Bytes.int32(b, off + fieldOffset);
    int computed = compute(b, off, length, fieldOffset);
    if (stored != computed) {
      throw new VhdFormatException(file, at, what + " checksum mismatch: stored "
          + Bytes.hex(stored & 0xFFFF_FFFFL) + ", computed " + Bytes.hex(computed & 0xFFFF_FFFFL));
    }
  }
}
