package io.vhdfs.partition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * The partitions of a GPT: the primary header at sector 1 with its entry array, or, where either
 * is damaged, the backup, which the primary header (if sound) says where to find, or else the last
 * sector of the disk holds. Entry {@code i} is partition {@code i + 1}; unused entries (type GUID
 * zero) leave gaps in the numbering, as in Linux.
 */
final class GptReader {
  private static final UUID UNUSED = new UUID(0, 0);
  private static final int NAME_OFFSET = 56;
  private static final int NAME_BYTES = 72;

  private final Sectors disk;
  private final TableProblems problems;

  private GptReader(Sectors disk, TableProblems problems) {
    this.disk = disk;
    this.problems = problems;
  }

  /** The partitions of the disk's GPT in number order; none, saying why, where neither copy holds. */
  static List<Partition> read(Sectors disk, TableProblems problems) throws IOException {
    return new GptReader(disk, problems).read();
  }

  private List<Partition> read() throws IOException {
    long last = disk.count() - 1;
    String primaryDefect;
    Set<Long> backups = new LinkedHashSet<>();
    try {
      GptHeader primary = header(1);
      backups.add(primary.alternateLba());
      return entries(primary, entryArray(primary));
    } catch (TableDefect e) {
      primaryDefect = e.getMessage();
    }
    backups.add(last);
    List<String> backupDefects = new ArrayList<>();
    for (long lba : backups) {
      if (lba <= 1 || lba > last) {
        continue;
      }
      try {
        GptHeader backup = header(lba);
        byte[] array = entryArray(backup);
        problems.add("the primary GPT is damaged (" + primaryDefect + "); using the backup at "
            + "sector " + lba);
        return entries(backup, array);
      } catch (TableDefect e) {
        backupDefects.add("at sector " + lba + ": " + e.getMessage());
      }
    }
    problems.add("a protective MBR, but no sound GPT: the primary at sector 1: " + primaryDefect
        + "; the backup " + (backupDefects.isEmpty() ? "is not on the disk"
            : String.join("; ", backupDefects))
        + "; no partitions listed");
    return List.of();
  }

  private GptHeader header(long lba) throws IOException, TableDefect {
    if (lba >= disk.count()) {
      throw new TableDefect("sector " + lba + " is not on the disk of " + disk.count()
          + " sectors");
    }
    return GptHeader.decode(disk.read(lba), lba, disk.count());
  }

  private byte[] entryArray(GptHeader h) throws IOException, TableDefect {
    byte[] array = disk.read(h.entriesLba(), (int) h.arrayBytes());
    CRC32 crc = new CRC32();
    crc.update(array);
    if ((int) crc.getValue() != h.entriesCrc()) {
      throw new TableDefect(String.format("the entry array at sector %d has CRC32 %08X, its "
          + "header says %08X", h.entriesLba(), crc.getValue(), h.entriesCrc()));
    }
    return array;
  }

  private List<Partition> entries(GptHeader h, byte[] array) {
    List<Partition> found = new ArrayList<>();
    int sectorSize = disk.size();
    for (int i = 0; i < h.entryCount(); i++) {
      int at = i * h.entrySize();
      UUID type = LittleEndian.guid(array, at);
      if (type.equals(UNUSED)) {
        continue;
      }
      long first = LittleEndian.s64(array, at + 32);
      long last = LittleEndian.s64(array, at + 40);
      if (first < 0 || last < first || last >= disk.count()) {
        problems.add("GPT partition " + (i + 1) + " (sectors " + Long.toUnsignedString(first)
            + " to " + Long.toUnsignedString(last) + ") does not lie on the disk of "
            + disk.count() + " sectors; left out");
        continue;
      }
      long attributes = LittleEndian.s64(array, at + 48);
      found.add(new Partition(i + 1, Partition.Scheme.GPT, first * sectorSize,
          (last - first + 1) * sectorSize, type.toString().toUpperCase(Locale.ROOT),
          name(array, at + NAME_OFFSET), LittleEndian.guid(array, at + 16),
          (attributes & 4) != 0, attributes));
    }
    return found;
  }

  /** The UTF-16LE name, up to its first NUL. */
  private static String name(byte[] array, int at) {
    int length = 0;
    while (length < NAME_BYTES && (array[at + length] != 0 || array[at + length + 1] != 0)) {
      length += 2;
    }
    return new String(array, at, length, StandardCharsets.UTF_16LE);
  }
}
