package io.vhdfs.vhdx;

import java.util.Objects;

/**
 * A valid log entry found in the ring: where it starts and what its header says, with its
 * descriptor counts; what the active-sequence search works on, without the entry's data.
 *
 * @param position log offset of the entry's first sector
 * @param header the entry header
 * @param zeroDescriptors its {@code zero} descriptors
 * @param dataDescriptors its {@code desc} descriptors, one data sector each
 */
record LoggedEntry(
    long position, LogEntryHeader header, int zeroDescriptors, int dataDescriptors) {
  /** Checks the header is present. */
  public LoggedEntry {
    Objects.requireNonNull(header, "header");
  }

  /** The entry's sequence number. */
  public long sequenceNumber() {
    return header.sequenceNumber();
  }
}
