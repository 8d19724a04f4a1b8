package io.vhdfs.vhdx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Reads log entries out of the ring and checks them (the rules on {@link LogEntry}), one sector at
 * a time and stopping at the first one that breaks a rule.
 *
 * <p>Stopping early is what keeps a scan of the ring linear rather than quadratic: every sector of
 * a valid entry after the first starts with {@code desc}, {@code zero} or {@code data}, never
 * {@code loge}, so the sectors a candidate entry is read over before it fails end at the next
 * {@code loge} sector at the latest, and the CRC is only computed over entries whose every sector
 * already passed. Sectors wrap from the ring's end to its start.
 */
final class LogEntryReader {
  private static final byte[] ZERO = "zero".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DESC = "desc".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
  private static final int PER_SECTOR = LogEntry.SECTOR / LogDescriptor.SIZE;

  /**
   * What reading at one position gave: a valid entry (and, when asked, its whole content), or
   * why there is none.
   *
   * @param found the entry, or {@code null}
   * @param entry the whole entry when read with its data, else {@code null}
   * @param problem why the position holds no valid entry, or {@code null}
   * @param signed whether the position at least starts with {@code loge}
   */
  record Scan(LoggedEntry found, LogEntry entry, String problem, boolean signed) {}

  private final ByteSource source;
  private final long logOffset;
  private final long logLength;
  private final UUID logGuid;

  LogEntryReader(ByteSource source, long logOffset, long logLength, UUID logGuid) {
    this.source = source;
    this.logOffset = logOffset;
    this.logLength = logLength;
    this.logGuid = logGuid;
  }

  /** The file offset of the sector {@code k} sectors into an entry at log offset {@code pos}. */
  long fileOffset(long pos, long k) {
    return logOffset + (pos + k * LogEntry.SECTOR) % logLength;
  }

  private byte[] sector(long pos, long k) throws IOException {
    return source.read(fileOffset(pos, k), LogEntry.SECTOR);
  }

  /**
   * Reads the entry at log offset {@code pos}; with {@code keepData} its descriptors and data
   * sectors too.
   */
  Scan read(long pos, boolean keepData) throws IOException {
    byte[] first = sector(pos, 0);
    if (!LogEntryHeader.signed(first)) {
      return new Scan(null, null, "no 'loge' signature", false);
    }
    LogEntryHeader h = LogEntryHeader.fields(first);
    long seq = h.sequenceNumber();
    if (h.entryLength() == 0 || h.entryLength() % LogEntry.SECTOR != 0
        || h.entryLength() > logLength) {
      return problem("entry length " + h.entryLength() + " is not a multiple of 4 KiB from 4 KiB "
          + "to the log's " + logLength + " bytes");
    }
    if (seq == 0) {
      return problem("sequence number 0");
    }
    if (!h.logGuid().equals(logGuid)) {
      return problem("entry " + Long.toUnsignedString(seq) + " belongs to another log (LogGuid "
          + h.logGuid() + ", the header's is " + logGuid + ")");
    }
    long sectors = h.entryLength() / LogEntry.SECTOR;
    long descriptorSectors = (h.descriptorCount() + 2 + PER_SECTOR - 1) / PER_SECTOR;
    if (descriptorSectors > sectors) {
      return problem("entry " + Long.toUnsignedString(seq) + " claims " + h.descriptorCount()
          + " descriptors, more than its " + sectors + " sectors hold");
    }
    CRC32C crc = new CRC32C();
    Crc32cField.update(crc, first, 0, LogEntry.SECTOR, LogEntryHeader.CHECKSUM_OFFSET);
    List<LogDescriptor> descriptors = keepData ? new ArrayList<>() : null;
    int zeros = 0;
    int datas = 0;
    long index = 0;
    for (long k = 0; k < descriptorSectors; k++) {
      byte[] b = k == 0 ? first : sector(pos, k);
      if (k > 0) {
        crc.update(b);
      }
      for (int slot = k == 0 ? 2 : 0; slot < PER_SECTOR && index < h.descriptorCount();
          slot++, index++) {
        int off = slot * LogDescriptor.SIZE;
        boolean zero = LittleEndian.matches(b, off, ZERO);
        if (!zero && !LittleEndian.matches(b, off, DESC)) {
          return problem("descriptor " + index + " of entry " + Long.toUnsignedString(seq)
              + " is neither 'zero' nor 'desc'");
        }
        long fileOffset = LittleEndian.int64(b, off + 16);
        long descSeq = LittleEndian.int64(b, off + 24);
        if (descSeq != seq) {
          return problem("descriptor " + index + " of entry " + Long.toUnsignedString(seq)
              + " carries sequence number " + Long.toUnsignedString(descSeq));
        }
        long length = LittleEndian.int64(b, off + 8);
        if (fileOffset % LogEntry.SECTOR != 0 || (zero && length % LogEntry.SECTOR != 0)) {
          return problem("descriptor " + index + " of entry " + Long.toUnsignedString(seq)
              + " is not 4 KiB aligned (file offset " + Long.toUnsignedString(fileOffset)
              + (zero ? ", length " + Long.toUnsignedString(length) : "") + ")");
        }
        if (zero) {
          zeros++;
          if (keepData) {
            descriptors.add(new LogDescriptor.Zero(fileOffset, length, descSeq));
          }
        } else {
          datas++;
          if (keepData) {
            descriptors.add(new LogDescriptor.Data(fileOffset, length,
                LittleEndian.int32(b, off + 4), descSeq));
          }
        }
      }
    }
    if (descriptorSectors + datas != sectors) {
      return problem("entry " + Long.toUnsignedString(seq) + " is " + sectors + " sectors long "
          + "but has " + descriptorSectors + " descriptor sectors and " + datas + " data "
          + "descriptors");
    }
    byte[][] data = keepData ? new byte[datas][] : null;
    for (int i = 0; i < datas; i++) {
      byte[] b = sector(pos, descriptorSectors + i);
      crc.update(b);
      if (!LittleEndian.matches(b, 0, DATA)) {
        return problem("data sector " + i + " of entry " + Long.toUnsignedString(seq)
            + " has no 'data' signature");
      }
      if (LittleEndian.int32(b, 4) != (int) (seq >>> 32)
          || LittleEndian.int32(b, LogEntry.SECTOR - 4) != (int) seq) {
        return problem("data sector " + i + " of entry " + Long.toUnsignedString(seq)
            + " carries another sequence number (a torn write)");
      }
      if (keepData) {
        data[i] = b;
      }
    }
    if ((int) crc.getValue() != h.checksum()) {
      return problem("entry " + Long.toUnsignedString(seq) + " fails its CRC-32C (stored "
          + LittleEndian.hex(h.checksum() & 0xFFFF_FFFFL) + ", computed "
          + LittleEndian.hex(crc.getValue()) + ")");
    }
    LoggedEntry found = new LoggedEntry(pos, h, zeros, datas);
    return new Scan(found, keepData ? new LogEntry(h, descriptors, data) : null, null, true);
  }

  private static Scan problem(String why) {
    return new Scan(null, null, why, true);
  }
}
