package io.vhdfs.partition;

/**
 * One of the four 16-byte entries of an MBR or EBR.
 *
 * @param status the boot indicator: 0x80 bootable, 0 not; anything else means the sector is no
 *     partition table
 * @param type the partition type id
 * @param firstLba the first sector, relative to what the table it is in counts from
 * @param sectors the number of sectors
 */
record MbrEntry(int status, int type, long firstLba, long sectors) {
  static final int TABLE_OFFSET = 446;
  static final int ENTRY_SIZE = 16;
  static final int PROTECTIVE_GPT = 0xEE;

  /** Slot {@code slot} (0–3) of the MBR or EBR in {@code sector}. */
  static MbrEntry decode(byte[] sector, int slot) {
    int at = TABLE_OFFSET + slot * ENTRY_SIZE;
    return new MbrEntry(LittleEndian.u8(sector, at), LittleEndian.u8(sector, at + 4),
        LittleEndian.u32(sector, at + 8), LittleEndian.u32(sector, at + 12));
  }

  /** Whether a sector ends in the 0x55 0xAA signature of an MBR or EBR. */
  static boolean signed(byte[] sector) {
    return sector.length >= 512 && sector[510] == 0x55 && sector[511] == (byte) 0xAA;
  }

  /** An unused slot: type 0 or no sectors, as partitioners and Linux treat it. */
  boolean empty() {
    return type == 0 || sectors == 0;
  }

  /** A container of logical partitions: DOS (0x05), Windows LBA (0x0F) or Linux (0x85). */
  boolean extended() {
    return type == 0x05 || type == 0x0F || type == 0x85;
  }

  /** The type id as Linux tools print it, two upper-case hex digits. */
  String typeId() {
    return String.format("%02X", type);
  }
}
