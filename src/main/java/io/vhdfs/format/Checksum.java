package io.vhdfs.format;

/**
 * The VHD checksum shared by the footer and the dynamic header: the one's complement of the
 * unsigned byte sum of the structure, summed with its own checksum field taken as zero.
 */
public final class Checksum {
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
}
