package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A whole, valid log entry: its header, its descriptors in order, and the 4 KiB data sector of
 * each data descriptor, from which {@link #target} rebuilds the sector to write.
 *
 * <p>An entry is valid when (spec 2.3.1, as {@code docs/vhdx-format.md} section 4.2 lists it):
 * its signature is {@code loge}; EntryLength is a non-zero multiple of 4 KiB no longer than the
 * log; the sequence number is not zero; its LogGuid is the header's; its descriptor sectors fit;
 * every descriptor is {@code zero} or {@code desc} with the entry's sequence number and a 4 KiB
 * aligned FileOffset (and ZeroLength); there are as many data sectors as data descriptors, filling
 * EntryLength exactly; each data sector is {@code data} with both halves of the sequence number;
 * and the CRC-32C over the whole entry holds.
 */
final class LogEntry {
  /** Bytes of a log sector, whatever the disk's sector size. */
  public static final int SECTOR = 4096;

  private final LogEntryHeader header;
  private final List<LogDescriptor> descriptors;
  private final byte[][] dataSectors;

  LogEntry(LogEntryHeader header, List<LogDescriptor> descriptors, byte[][] dataSectors) {
    this.header = Objects.requireNonNull(header);
    this.descriptors = List.copyOf(descriptors);
    this.dataSectors = dataSectors;
  }

  /**
   * Decodes and checks one entry held whole in {@code bytes} (from its first sector on).
   *
   * @param logGuid the header's LogGuid the entry must carry
   * @param logLength bytes of the log the entry came from, which it may not exceed
   * @param file the image, for messages
   * @param at the entry's file offset, for messages
   */
  public static LogEntry decode(byte[] bytes, UUID logGuid, long logLength, String file, long at)
      throws VhdFormatException {
    if (logLength < SECTOR || logLength % SECTOR != 0) {
      throw new IllegalArgumentException("a log is whole 4 KiB sectors");
    }
    LogEntryReader reader = new LogEntryReader(ByteSource.of(bytes, file), 0, logLength,
        logGuid);
    LogEntryReader.Scan scan;
    try {
      scan = reader.read(0, true);
    } catch (IOException e) {
      throw new VhdFormatException(file, at, "log entry runs past the " + bytes.length
          + " bytes given");
    }
    if (scan.problem() != null) {
      throw new VhdFormatException(file, at, "invalid log entry: " + scan.problem());
    }
    return scan.entry();
  }

  /** The entry header. */
  public LogEntryHeader header() {
    return header;
  }

  /** The descriptors in entry order. */
  public List<LogDescriptor> descriptors() {
    return descriptors;
  }

  /** The number of data sectors (= data descriptors). */
  public int dataSectorCount() {
    return dataSectors.length;
  }

  /** Data sector {@code i} as stored (signature and sequence halves included). */
  public byte[] dataSector(int i) {
    return dataSectors[i].clone();
  }

  /**
   * The 4 KiB that data descriptor {@code d}, the {@code i}th data sector's, writes: the
   * descriptor's leading 8 bytes, the data sector's bytes 8-4091, the descriptor's trailing 4.
   */
  public byte[] target(int i, LogDescriptor.Data d) {
    byte[] b = dataSectors[i].clone();
    LittleEndian.putInt64(b, 0, d.leadingBytes());
    LittleEndian.putInt32(b, SECTOR - 4, d.trailingBytes());
    return b;
  }
}
