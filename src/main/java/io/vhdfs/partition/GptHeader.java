package io.vhdfs.partition;

import java.util.UUID;
import java.util.zip.CRC32;

/**
 * A GPT header (UEFI 2.10, section 5.3.2), checked as Linux checks it before anything in it is
 * used: signature, size, CRC, its own location, the usable range, and an entry array of bounded
 * size that lies on the disk.
 *
 * @param myLba the sector the header is in
 * @param alternateLba the sector of the other header
 * @param firstUsable the first sector partitions may use
 * @param lastUsable the last sector partitions may use
 * @param diskGuid the disk's GUID
 * @param entriesLba the first sector of the entry array
 * @param entryCount the number of entries in the array
 * @param entrySize bytes per entry: 128 times a power of two
 * @param entriesCrc the CRC32 of the entry array
 */
record GptHeader(long myLba, long alternateLba, long firstUsable, long lastUsable, UUID diskGuid,
    long entriesLba, int entryCount, int entrySize, int entriesCrc) {
  static final long SIGNATURE = 0x5452415020494645L; // "EFI PART", little-endian
  static final int MIN_HEADER_SIZE = 92;
  static final int MIN_ENTRY_SIZE = 128;
  static final int MAX_ENTRY_SIZE = 4096;
  /** The entry array is read whole: 16384 entries of 128 bytes at most. */
  static final int MAX_ARRAY_BYTES = 2 << 20;

  /**
   * The header in {@code sector}, read from sector {@code lba} of a disk of {@code diskSectors}
   * sectors.
   *
   * @throws TableDefect saying what is wrong with it
   */
  static GptHeader decode(byte[] sector, long lba, long diskSectors) throws TableDefect {
    if (LittleEndian.s64(sector, 0) != SIGNATURE) {
      throw new TableDefect("no \"EFI PART\" signature");
    }
    int headerSize = LittleEndian.s32(sector, 12);
    if (headerSize < MIN_HEADER_SIZE || headerSize > sector.length) {
      throw new TableDefect("header size " + Integer.toUnsignedString(headerSize)
          + " is not between " + MIN_HEADER_SIZE + " and the sector size " + sector.length);
    }
    int stored = LittleEndian.s32(sector, 16);
    CRC32 crc = new CRC32();
    crc.update(sector, 0, 16);
    crc.update(new byte[4]);
    crc.update(sector, 20, headerSize - 20);
    if ((int) crc.getValue() != stored) {
      throw new TableDefect(String.format("header CRC32 is %08X, stored %08X", crc.getValue(),
          stored));
    }
    GptHeader h = new GptHeader(LittleEndian.s64(sector, 24), LittleEndian.s64(sector, 32),
        LittleEndian.s64(sector, 40), LittleEndian.s64(sector, 48),
        LittleEndian.guid(sector, 56), LittleEndian.s64(sector, 72),
        LittleEndian.s32(sector, 80), LittleEndian.s32(sector, 84),
        LittleEndian.s32(sector, 88));
    h.check(lba, diskSectors, sector.length);
    return h;
  }

  private void check(long lba, long diskSectors, int sectorSize) throws TableDefect {
    if (myLba != lba) {
      throw new TableDefect("the header says it is at sector " + Long.toUnsignedString(myLba));
    }
    if (firstUsable < 0 || lastUsable < 0 || firstUsable > lastUsable
        || lastUsable >= diskSectors) {
      throw new TableDefect("usable sectors " + Long.toUnsignedString(firstUsable) + " to "
          + Long.toUnsignedString(lastUsable) + " are not a range on the disk of " + diskSectors
          + " sectors");
    }
    if (entrySize < MIN_ENTRY_SIZE || entrySize > MAX_ENTRY_SIZE
        || Integer.bitCount(entrySize) != 1) {
      throw new TableDefect("entry size " + Integer.toUnsignedString(entrySize)
          + " is not 128 times a power of two up to " + MAX_ENTRY_SIZE);
    }
    long bytes = arrayBytes();
    if (entryCount <= 0 || bytes > MAX_ARRAY_BYTES) {
      throw new TableDefect(Integer.toUnsignedString(entryCount) + " entries of " + entrySize
          + " bytes: an entry array holds at least one entry and at most " + MAX_ARRAY_BYTES
          + " bytes");
    }
    long sectors = (bytes + sectorSize - 1) / sectorSize;
    if (entriesLba < 1 || entriesLba > diskSectors - sectors
        || myLba >= entriesLba && myLba < entriesLba + sectors) {
      throw new TableDefect("the entry array at sector " + Long.toUnsignedString(entriesLba)
          + " (" + sectors + " sectors) does not lie on the disk of " + diskSectors
          + " sectors beside the header");
    }
  }

  /** The bytes of the entry array. */
  long arrayBytes() {
    return Integer.toUnsignedLong(entryCount) * entrySize;
  }
}
