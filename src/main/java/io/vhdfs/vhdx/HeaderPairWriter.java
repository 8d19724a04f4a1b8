package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.util.UUID;

/**
 * Rewrites the two headers by the spec's protocol (2.2.2, {@code docs/vhdx-format.md} section
 * 1.3): each new header takes the next sequence number and goes over the slot that is not
 * current, forced before the next one is written; two in a row leave both slots agreeing. A cut
 * between the writes leaves one valid header that is current, old or new. Reserved bytes of the
 * header the file held are kept, since the checksum covers them.
 */
final class HeaderPairWriter {
  private final HostFile host;
  private final byte[] currentRaw;
  private long sequence;
  private int slot;
  private UUID dataWriteGuid;

  /**
   * @param currentRaw the current header's 4096 bytes
   * @param currentSlot 1 or 2
   */
  HeaderPairWriter(HostFile host, byte[] currentRaw, int currentSlot) {
    this.host = host;
    this.currentRaw = currentRaw.clone();
    this.sequence = LittleEndian.int64(currentRaw, 8);
    this.slot = currentSlot;
    this.dataWriteGuid = MsGuid.read(currentRaw, 32);
  }

  /** Reads the current header's bytes from {@code host}, as {@code choice} found them. */
  static HeaderPairWriter of(HostFile host, HeaderChoice choice) throws IOException {
    return new HeaderPairWriter(host, host.readBytes(choice.currentOffset(), VhdxHeader.SIZE),
        choice.slot());
  }

  /** The DataWriteGuid the headers hold now. */
  UUID dataWriteGuid() {
    return dataWriteGuid;
  }

  /** Writes the pair with these GUIDs, each header forced before the next. */
  void write(UUID fileWriteGuid, UUID newDataWriteGuid, UUID logGuid) throws IOException {
    for (int i = 0; i < 2; i++) {
      byte[] h = currentRaw.clone();
      long next = sequence + 1;
      int target = 3 - slot;
      LittleEndian.putInt64(h, 8, next);
      MsGuid.write(h, 16, fileWriteGuid);
      MsGuid.write(h, 32, newDataWriteGuid);
      MsGuid.write(h, 48, logGuid);
      Crc32cField.store(h, 0, VhdxHeader.SIZE, VhdxHeader.CHECKSUM_OFFSET);
      host.write(h, target == 1 ? VhdxHeader.HEADER1_OFFSET : VhdxHeader.HEADER2_OFFSET);
      host.force(true);
      // Only a header that is in place and durable is current: after a failed write the next
      // attempt goes over the same non-current slot again, never over the current header.
      sequence = next;
      slot = target;
    }
    dataWriteGuid = newDataWriteGuid;
  }
}
