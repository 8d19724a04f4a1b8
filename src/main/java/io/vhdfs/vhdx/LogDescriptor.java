package io.vhdfs.vhdx;

/**
 * One 32-byte descriptor of a log entry: a 4 KiB write of a data sector, or a range to zero. Each
 * carries its entry's sequence number, so a descriptor sector torn from another entry shows.
 */
sealed interface LogDescriptor permits LogDescriptor.Zero, LogDescriptor.Data {
  /** Bytes of a descriptor. */
  int SIZE = 32;

  /** Where the update goes in the file, a multiple of 4 KiB. */
  long fileOffset();

  /** The entry's sequence number, repeated. */
  long sequenceNumber();

  /**
   * A {@code zero} descriptor: {@code zeroLength} bytes from {@code fileOffset} become zeros.
   *
   * @param zeroLength a multiple of 4 KiB
   */
  record Zero(long fileOffset, long zeroLength, long sequenceNumber) implements LogDescriptor {}

  /**
   * A {@code desc} descriptor: the entry's next data sector, with these first 8 and last 4 bytes
   * restored, is written at {@code fileOffset}.
   *
   * @param leadingBytes target bytes 0-7 (little-endian), which the data sector's signature and
   *     sequence half displace
   * @param trailingBytes target bytes 4092-4095, displaced by the sequence's low half
   */
  record Data(long fileOffset, long leadingBytes, int trailingBytes, long sequenceNumber)
      implements LogDescriptor {}
}
