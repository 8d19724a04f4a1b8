package io.vhdfs.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * Writes partition tables into disk bytes for tests, straight from the specifications (the MBR
 * and EBR layout every partitioner shares; UEFI 2.10 section 5 for the GPT), using no library
 * class, so a misreading shared by the reader and the tests cannot hide. Tables made by real
 * tools ({@code sfdisk}, {@code sgdisk}) are the other oracle, in the interop tests.
 *
 * <p>Sector numbers are in units of the sector size given; nothing is checked, so tests can
 * write the malformed tables they need.
 */
public final class PartitionTableBuilder {
  /** Linux filesystem data, the type of GPT entries unless told otherwise. */
  public static final UUID LINUX_DATA = UUID.fromString("0FC63DAF-8483-4772-8E79-3D69D8477DE4");
  /** Microsoft basic data. */
  public static final UUID BASIC_DATA = UUID.fromString("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");

  private PartitionTableBuilder() {}

  /**
   * One of the four 16-byte entries of an MBR or EBR.
   *
   * @param index the slot, 0–3
   * @param status the boot indicator, 0x80 or 0 (or anything, to test)
   * @param type the type id
   * @param firstLba the first sector, relative as the table's kind says
   * @param sectors the number of sectors
   */
  public record Slot(int index, int status, int type, long firstLba, long sectors) {
    /** A slot that is not bootable. */
    public static Slot of(int index, int type, long firstLba, long sectors) {
      return new Slot(index, 0, type, firstLba, sectors);
    }
  }

  /** Writes an MBR (or an EBR, at sector {@code lba}) with the given slots and the signature. */
  public static void writeBootRecord(byte[] disk, int sectorSize, long lba, Slot... slots) {
    int base = Math.toIntExact(lba * sectorSize);
    for (Slot s : slots) {
      ByteBuffer e = ByteBuffer.wrap(disk, base + 446 + 16 * s.index(), 16)
          .order(ByteOrder.LITTLE_ENDIAN);
      e.put((byte) s.status());
      e.put(new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF}); // CHS: "use LBA"
      e.put((byte) s.type());
      e.put(new byte[] {(byte) 0xFE, (byte) 0xFF, (byte) 0xFF});
      e.putInt((int) s.firstLba());
      e.putInt((int) s.sectors());
    }
    disk[base + 510] = 0x55;
    disk[base + 511] = (byte) 0xAA;
  }

  /** Writes a GUID as GPT stores it: the first three fields little-endian, the rest in order. */
  public static void putGuid(byte[] b, int at, UUID u) {
    ByteBuffer.wrap(b, at, 8).order(ByteOrder.LITTLE_ENDIAN)
        .putInt((int) (u.getMostSignificantBits() >>> 32))
        .putShort((short) (u.getMostSignificantBits() >>> 16))
        .putShort((short) u.getMostSignificantBits());
    ByteBuffer.wrap(b, at + 8, 8).putLong(u.getLeastSignificantBits());
  }

  /** One GPT entry. */
  public record GptEntry(UUID type, UUID unique, long firstLba, long lastLba, long attributes,
      String name) {}

  /**
   * A GPT: protective MBR, primary header at sector 1 with its entry array from sector 2, the
   * backup array and header at the end of the disk, CRCs computed.
   */
  public static final class Gpt {
    private final int sectorSize;
    private final long diskSectors;
    private int entryCount = 128;
    private int entrySize = 128;
    private UUID diskGuid = UUID.fromString("11111111-2222-4333-8444-555555555555");
    private final Map<Integer, GptEntry> entries = new TreeMap<>();

    public Gpt(int sectorSize, long diskSectors) {
      this.sectorSize = sectorSize;
      this.diskSectors = diskSectors;
    }

    public Gpt entryCount(int count) {
      this.entryCount = count;
      return this;
    }

    public Gpt entrySize(int size) {
      this.entrySize = size;
      return this;
    }

    public Gpt diskGuid(UUID guid) {
      this.diskGuid = guid;
      return this;
    }

    /** Puts an entry at array index {@code index} (partition {@code index + 1}). */
    public Gpt entry(int index, GptEntry e) {
      entries.put(index, e);
      return this;
    }

    /** A Linux data entry with a unique GUID made from its index. */
    public Gpt entry(int index, long firstLba, long lastLba, String name) {
      return entry(index, new GptEntry(LINUX_DATA,
          UUID.fromString(String.format("00000000-0000-4000-8000-%012d", index + 1)), firstLba,
          lastLba, 0, name));
    }

    /** Sectors the entry array takes. */
    public long arraySectors() {
      return ((long) entryCount * entrySize + sectorSize - 1) / sectorSize;
    }

    /** The sector of the backup header: the disk's last. */
    public long backupLba() {
      return diskSectors - 1;
    }

    /** The first sector of the backup entry array, just before the backup header. */
    public long backupArrayLba() {
      return backupLba() - arraySectors();
    }

    /** The entry array's bytes. */
    public byte[] array() {
      byte[] a = new byte[Math.toIntExact((long) entryCount * entrySize)];
      for (Map.Entry<Integer, GptEntry> me : entries.entrySet()) {
        GptEntry e = me.getValue();
        int at = me.getKey() * entrySize;
        putGuid(a, at, e.type());
        putGuid(a, at + 16, e.unique());
        ByteBuffer b = ByteBuffer.wrap(a, at + 32, 24).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(e.firstLba()).putLong(e.lastLba()).putLong(e.attributes());
        byte[] name = e.name().getBytes(StandardCharsets.UTF_16LE);
        System.arraycopy(name, 0, a, at + 56, Math.min(name.length, 72));
      }
      return a;
    }

    /** A header sector: the primary (at 1) or the backup (at the last sector). */
    public byte[] header(boolean primary) {
      byte[] h = new byte[sectorSize];
      ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
      b.put("EFI PART".getBytes(StandardCharsets.US_ASCII));
      b.putInt(0x00010000); // revision 1.0
      b.putInt(92);
      b.putInt(0); // CRC, below
      b.putInt(0);
      b.putLong(primary ? 1 : backupLba());
      b.putLong(primary ? backupLba() : 1);
      b.putLong(2 + arraySectors());
      b.putLong(backupArrayLba() - 1);
      putGuid(h, 56, diskGuid);
      b.position(72);
      b.putLong(primary ? 2 : backupArrayLba());
      b.putInt(entryCount);
      b.putInt(entrySize);
      b.putInt(crc(array(), 0, entryCount * entrySize));
      b.putInt(16, crc(h, 0, 92));
      return h;
    }

    /** Writes the protective MBR, both headers and both arrays into {@code disk}. */
    public void writeTo(byte[] disk) {
      long protectedSectors = Math.min(diskSectors - 1, 0xFFFFFFFFL);
      writeBootRecord(disk, sectorSize, 0, Slot.of(0, 0xEE, 1, protectedSectors));
      byte[] array = array();
      System.arraycopy(header(true), 0, disk, sectorSize, sectorSize);
      System.arraycopy(array, 0, disk, 2 * sectorSize, array.length);
      System.arraycopy(array, 0, disk, Math.toIntExact(backupArrayLba() * sectorSize),
          array.length);
      System.arraycopy(header(false), 0, disk, Math.toIntExact(backupLba() * sectorSize),
          sectorSize);
    }
  }

  /** CRC32 (IEEE), as GPT uses it. */
  public static int crc(byte[] b, int from, int length) {
    CRC32 c = new CRC32();
    c.update(b, from, length);
    return (int) c.getValue();
  }
}
