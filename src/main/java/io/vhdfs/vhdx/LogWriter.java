package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.UUID;

/**
 * Appends entries to the log ring of one session (spec 2.3, {@code docs/vhdx-format.md} sections
 * 4.1 and 4.5): each entry holds whole 4 KiB sectors as data descriptors, carries the session's
 * LogGuid and the next sequence number, and is written in one host write and forced before its
 * sectors are written in place. Every entry is applied before the next is written, so each one's
 * Tail is itself, and an entry that would run past the ring's end starts again at its beginning
 * (the spec allows wrapping; writers avoid it, and QEMU 7.2 replays wrapped sequences wrongly).
 */
final class LogWriter {
  private static final byte[] ENTRY = ascii("loge");
  private static final byte[] DATA_DESCRIPTOR = ascii("desc");
  private static final byte[] DATA_SECTOR = ascii("data");
  private static final int SECTOR = LogEntry.SECTOR;
  /** Descriptors in the first descriptor sector, after the 64-byte header; 128 in each other. */
  private static final int PER_SECTOR = SECTOR / LogDescriptor.SIZE;

  private final HostFile host;
  private final long logOffset;
  private final long logLength;
  private final UUID logGuid;
  private long position;
  private long sequence;

  /** A writer that starts at the ring's beginning with sequence number 1. */
  LogWriter(HostFile host, long logOffset, long logLength, UUID logGuid) {
    if (logLength < 2 * SECTOR || logLength % SECTOR != 0) {
      throw new IllegalArgumentException("a log of " + logLength + " bytes holds no entry");
    }
    this.host = host;
    this.logOffset = logOffset;
    this.logLength = logLength;
    this.logGuid = logGuid;
  }

  /** The LogGuid every entry of this writer carries. */
  UUID logGuid() {
    return logGuid;
  }

  /** The entries written so far, all of them forced. */
  long entries() {
    return sequence;
  }

  /**
   * Writes zeros over the whole ring, which holds nothing of use before the session's first
   * entry: a ring that is a hole on the host gets its space now, so that on a host disk that
   * fills up later, logging the metadata of writes already made still works.
   */
  void reserveRing() throws IOException {
    host.writeZeros(logOffset, logLength);
  }

  /** Whether an entry of {@code sectors} sectors fits between the last entry and the ring's end. */
  boolean fits(int sectors) {
    return position + (long) (descriptorSectors(sectors) + sectors) * SECTOR <= logLength;
  }

  /** The most sectors one entry can carry in this log. */
  int maxSectors() {
    return maxSectors(logLength);
  }

  /** The most sectors one entry can carry in a log of {@code logLength} bytes. */
  static int maxSectors(long logLength) {
    int ring = (int) Math.min(Integer.MAX_VALUE, logLength / SECTOR);
    int k = ring - 1;
    while (k > 0 && k + descriptorSectors(k) > ring) {
      k--;
    }
    return k;
  }

  /**
   * Writes one entry holding {@code sectors} (file offset to 4096 bytes, at most
   * {@link #maxSectors}) and forces it.
   *
   * @param flushedFileOffset a file size already durable
   * @param lastFileOffset a file size holding every structure the entry refers to
   */
  void append(SortedMap<Long, byte[]> sectors, long flushedFileOffset, long lastFileOffset)
      throws IOException {
    if (sectors.size() > maxSectors()) {
      throw new IllegalArgumentException(sectors.size() + " sectors do not fit one entry");
    }
    long length = (long) (descriptorSectors(sectors.size()) + sectors.size()) * SECTOR;
    if (position + length > logLength) {
      position = 0;
    }
    byte[] entry = encode(sectors, sequence + 1, position, flushedFileOffset, lastFileOffset);
    host.write(entry, logOffset + position);
    host.force(false);
    sequence++;
    // Up to logLength: an entry ending at the ring's end leaves no room, rather than room at 0.
    position += length;
  }

  private byte[] encode(SortedMap<Long, byte[]> sectors, long seq, long tail, long flushed,
      long last) {
    int descriptorSectors = descriptorSectors(sectors.size());
    byte[] b = new byte[(descriptorSectors + sectors.size()) * SECTOR];
    System.arraycopy(ENTRY, 0, b, 0, 4);
    LittleEndian.putInt32(b, 8, b.length);
    LittleEndian.putInt32(b, 12, (int) tail);
    LittleEndian.putInt64(b, 16, seq);
    LittleEndian.putInt32(b, 24, sectors.size());
    MsGuid.write(b, 32, logGuid);
    LittleEndian.putInt64(b, 48, flushed);
    LittleEndian.putInt64(b, 56, last);
    int i = 0;
    for (Map.Entry<Long, byte[]> e : sectors.entrySet()) {
      byte[] target = e.getValue();
      // Slots 0 and 1 of the first descriptor sector are the entry header.
      int d = (i + 2) * LogDescriptor.SIZE;
      System.arraycopy(DATA_DESCRIPTOR, 0, b, d, 4);
      System.arraycopy(target, SECTOR - 4, b, d + 4, 4);
      System.arraycopy(target, 0, b, d + 8, 8);
      LittleEndian.putInt64(b, d + 16, e.getKey());
      LittleEndian.putInt64(b, d + 24, seq);
      int s = (descriptorSectors + i) * SECTOR;
      System.arraycopy(target, 0, b, s, SECTOR);
      System.arraycopy(DATA_SECTOR, 0, b, s, 4);
      LittleEndian.putInt32(b, s + 4, (int) (seq >>> 32));
      LittleEndian.putInt32(b, s + SECTOR - 4, (int) seq);
      i++;
    }
    Crc32cField.store(b, 0, b.length, LogEntryHeader.CHECKSUM_OFFSET);
    return b;
  }

  /** Sectors of descriptors for {@code count} descriptors: the header takes two slots. */
  private static int descriptorSectors(int count) {
    return (count + 2 + PER_SECTOR - 1) / PER_SECTOR;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
