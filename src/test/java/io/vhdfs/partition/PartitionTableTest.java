package io.vhdfs.partition;

import static io.vhdfs.testing.PartitionTableBuilder.writeBootRecord;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.ByteArrayDisk;
import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Gpt;
import io.vhdfs.testing.PartitionTableBuilder.GptEntry;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Tables written by the test-side {@link PartitionTableBuilder} read as Linux reads them, and
 * malformed ones list what can be trusted and say why the rest is left out, naming the image.
 */
final class PartitionTableTest {
  private static final String IMAGE = "/images/test.vhd";
  private static final int SECTOR = 512;
  /** 4 MiB: 8192 sectors of 512 bytes. */
  private static final int DISK = 4 << 20;
  private static final long SECTORS = DISK / SECTOR;

  private static PartitionTable read(byte[] disk) throws IOException {
    return read(disk, SECTOR);
  }

  private static PartitionTable read(byte[] disk, int sectorSize) throws IOException {
    return PartitionTable.read(new ByteArrayDisk(disk), sectorSize, IMAGE);
  }

  private static List<Integer> numbers(PartitionTable t) {
    return t.partitions().stream().map(Partition::number).toList();
  }

  private static void assertProblem(PartitionTable t, Predicate<String> what, String description) {
    assertTrue(t.problems().stream().anyMatch(p -> p.startsWith(IMAGE + ": ") && what.test(p)),
        "expected a problem " + description + ", got " + t.problems());
  }

  /**
   * p1 (bootable, 0x83), p2 (0x0C), p3 an extended partition holding logicals p5 (0x83) and p6
   * (0x07); slot 4 empty.
   */
  private static byte[] mbrWithLogicals() {
    byte[] disk = new byte[DISK];
    writeBootRecord(disk, SECTOR, 0, new Slot(0, 0x80, 0x83, 2048, 1024),
        Slot.of(1, 0x0C, 3072, 1024), Slot.of(2, 0x05, 4096, 4096));
    writeBootRecord(disk, SECTOR, 4096, Slot.of(0, 0x83, 1, 1023),
        Slot.of(1, 0x05, 1024, 2048));
    writeBootRecord(disk, SECTOR, 5120, Slot.of(0, 0x07, 2, 2000));
    return disk;
  }

  @Test
  void blankDiskHasNoTable() throws IOException {
    PartitionTable t = read(new byte[DISK]);
    assertTrue(t.scheme().isEmpty());
    assertEquals(List.of(), t.partitions());
    assertEquals(List.of(), t.problems());
  }

  @Test
  void mbrPrimariesAndLogicalsAreNumberedAsLinuxNumbersThem() throws IOException {
    PartitionTable t = read(mbrWithLogicals());
    assertEquals(Partition.Scheme.MBR, t.scheme().orElseThrow());
    assertEquals(List.of(), t.problems());
    assertEquals(List.of(
        new Partition(1, Partition.Scheme.MBR, 2048L * SECTOR, 1024L * SECTOR, "83", null, null,
            true, 0),
        new Partition(2, Partition.Scheme.MBR, 3072L * SECTOR, 1024L * SECTOR, "0C", null, null,
            false, 0),
        new Partition(5, Partition.Scheme.MBR, 4097L * SECTOR, 1023L * SECTOR, "83", null, null,
            false, 0),
        new Partition(6, Partition.Scheme.MBR, 5122L * SECTOR, 2000L * SECTOR, "07", null, null,
            false, 0)), t.partitions());
    assertTrue(t.partition(3).isEmpty(), "the extended partition is a container, not listed");
    assertTrue(t.partition(4).isEmpty());
  }

  @Test
  void bootSectorOfAWholeDiskFileSystemIsNoTable() throws IOException {
    byte[] disk = mbrWithLogicals();
    disk[446 + 16] = 0x20; // a boot indicator neither 0 nor 0x80: text of a boot sector
    PartitionTable t = read(disk);
    assertTrue(t.scheme().isEmpty());
    assertEquals(List.of(), t.partitions());
  }

  @Test
  void ebrLoopLeavesTheLaterLogicalsOutAndSaysWhere() throws IOException {
    byte[] disk = mbrWithLogicals();
    // The second EBR links back to the first.
    writeBootRecord(disk, SECTOR, 5120, Slot.of(0, 0x07, 2, 2000), Slot.of(1, 0x05, 0, 1));
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 2, 5, 6), numbers(t));
    assertProblem(t, p -> p.contains("loops back to sector 4096"), "naming the loop");
  }

  @Test
  void ebrThatLinksToItselfEndsTheChain() throws IOException {
    byte[] disk = mbrWithLogicals();
    writeBootRecord(disk, SECTOR, 4096, Slot.of(0, 0x83, 1, 1023), Slot.of(1, 0x05, 0, 2048));
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 2, 5), numbers(t));
    assertProblem(t, p -> p.contains("loops back"), "naming the loop");
  }

  @Test
  void longEbrChainsAreBounded() throws IOException {
    byte[] disk = new byte[DISK];
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0x05, 1, SECTORS - 1));
    // 2000 EBRs, each with a one-sector logical partition, each linking to the next.
    for (int i = 0; i < 2000; i++) {
      writeBootRecord(disk, SECTOR, 1 + 2L * i, Slot.of(0, 0x83, 1, 1),
          Slot.of(1, 0x05, 2L * (i + 1), 2));
    }
    PartitionTable t = read(disk);
    assertEquals(MbrReader.MAX_EBRS, t.partitions().size());
    assertEquals(5 + MbrReader.MAX_EBRS - 1, t.partitions().get(MbrReader.MAX_EBRS - 1).number());
    assertProblem(t, p -> p.contains("more than " + MbrReader.MAX_EBRS + " EBRs"), "on the bound");
  }

  @Test
  void ebrWithoutSignatureEndsTheChain() throws IOException {
    byte[] disk = mbrWithLogicals();
    disk[5120 * SECTOR + 510] = 0;
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 2, 5), numbers(t));
    assertProblem(t, p -> p.contains("no EBR signature at sector 5120"), "naming the sector");
  }

  @Test
  void linkOutsideTheExtendedPartitionEndsTheChain() throws IOException {
    byte[] disk = mbrWithLogicals();
    writeBootRecord(disk, SECTOR, 4096, Slot.of(0, 0x83, 1, 1023), Slot.of(1, 0x05, 4096, 8));
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 2, 5), numbers(t));
    assertProblem(t, p -> p.contains("links to sector 8192, outside its extended partition"),
        "naming the link");
  }

  @Test
  void partitionsPastTheEndOfTheDiskAreLeftOutAndTheRestListed() throws IOException {
    byte[] disk = mbrWithLogicals();
    writeBootRecord(disk, SECTOR, 0, new Slot(0, 0x80, 0x83, 2048, 1024),
        Slot.of(1, 0x0C, 3072, 1024), Slot.of(2, 0x05, 4096, 4096),
        Slot.of(3, 0x83, SECTORS - 10, 11));
    // p6 runs past the extended partition's end.
    writeBootRecord(disk, SECTOR, 5120, Slot.of(0, 0x07, 2, 4000));
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 2, 5), numbers(t));
    assertProblem(t, p -> p.contains("MBR partition 4 (sectors 8182 to 8192) lies outside the "
        + "disk"), "on p4");
    assertProblem(t, p -> p.contains("MBR partition 6") && p.contains("its extended partition"),
        "on p6");
  }

  @Test
  void hugeMbrCountsCannotOverflow() throws IOException {
    byte[] disk = new byte[DISK];
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0x83, 0xFFFFFFFFL, 0xFFFFFFFFL),
        Slot.of(1, 0x05, 0xFFFFFFF0L, 0xFFFFFFFFL), Slot.of(2, 0x83, 100, 100));
    PartitionTable t = read(disk);
    assertEquals(List.of(3), numbers(t));
    assertProblem(t, p -> p.contains("partition 1"), "on p1");
    assertProblem(t, p -> p.contains("extended partition at sector 4294967280 starts past the "
        + "end"), "on the extended partition");
  }

  @Test
  void overlappingPartitionsKeepTheLowerNumber() throws IOException {
    byte[] disk = new byte[DISK];
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0x83, 2048, 1024), Slot.of(1, 0x83, 1000, 1049),
        Slot.of(2, 0x83, 3072, 100), Slot.of(3, 0x83, 3172, 72));
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 3, 4), numbers(t));
    assertProblem(t, p -> p.contains("MBR partition 2") && p.contains("overlaps partition 1"),
        "naming both");
  }

  /** A GPT with entries 1, 3 and 6 used (gaps at 2, 4, 5) and one with a name, flags, a type. */
  private static Gpt gptWithGaps(int sectorSize, long diskSectors) {
    return new Gpt(sectorSize, diskSectors)
        .entry(0, 40, 99, "root")
        .entry(2, new GptEntry(PartitionTableBuilder.BASIC_DATA,
            UUID.fromString("5709e404-094d-43f2-926e-13cb8623f5f3"), 100, 199,
            0x8000_0000_0000_0005L, "data \u00fc"))
        .entry(5, 300, 300, "one sector");
  }

  @Test
  void gptEntriesKeepTheirNumbersGapsNamesGuidsAndFlags() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).writeTo(disk);
    PartitionTable t = read(disk);
    assertEquals(Partition.Scheme.GPT, t.scheme().orElseThrow());
    assertEquals(List.of(), t.problems());
    assertEquals(List.of(1, 3, 6), numbers(t));
    Partition p3 = t.partition(3).orElseThrow();
    assertEquals(new Partition(3, Partition.Scheme.GPT, 100L * SECTOR, 100L * SECTOR,
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "data \u00fc",
        UUID.fromString("5709e404-094d-43f2-926e-13cb8623f5f3"), true, 0x8000_0000_0000_0005L),
        p3);
    Partition p1 = t.partition(1).orElseThrow();
    assertEquals("0FC63DAF-8483-4772-8E79-3D69D8477DE4", p1.type());
    assertEquals("root", p1.name());
    assertFalse(p1.bootable());
    assertEquals(SECTOR, t.partition(6).orElseThrow().size());
  }

  @Test
  void gptWithFourKibSectorsCountsInThem() throws IOException {
    int sector = 4096;
    byte[] disk = new byte[DISK];
    gptWithGaps(sector, DISK / sector).entryCount(32).writeTo(disk);
    // 32 entries take one 4 KiB sector: the array is sector 2, the first usable sector is 3.
    PartitionTable t = read(disk, sector);
    assertEquals(List.of(), t.problems());
    assertEquals(List.of(1, 3, 6), numbers(t));
    assertEquals(100L * sector, t.partition(3).orElseThrow().start());
    assertTrue(read(disk, SECTOR).partitions().isEmpty(), "at 512 bytes a sector it is no GPT");
  }

  @Test
  void hybridMbrIsReadAsItsGpt() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).writeTo(disk);
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0xEE, 1, 39), Slot.of(1, 0x83, 40, 60));
    PartitionTable t = read(disk);
    assertEquals(Partition.Scheme.GPT, t.scheme().orElseThrow());
    assertEquals(List.of(1, 3, 6), numbers(t));
  }

  @Test
  void damagedPrimaryHeaderFallsBackToTheBackup() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).writeTo(disk);
    disk[SECTOR + 40] ^= 1; // first usable LBA: the header CRC no longer matches
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 3, 6), numbers(t));
    assertProblem(t, p -> p.contains("primary GPT is damaged (header CRC32")
        && p.contains("using the backup at sector " + (SECTORS - 1)), "on the primary");
  }

  @Test
  void damagedPrimaryEntryArrayFallsBackToTheBackup() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).writeTo(disk);
    disk[2 * SECTOR + 56] = 'X'; // entry 1's name: the array CRC no longer matches
    PartitionTable t = read(disk);
    assertEquals("root", t.partition(1).orElseThrow().name(), "the backup's entries");
    assertProblem(t, p -> p.contains("the entry array at sector 2 has CRC32"), "on the array");
  }

  @Test
  void backupIsFoundWhereTheSoundPrimaryHeaderSays() throws IOException {
    // A table made for a smaller disk, as on a raw image converted to a VHD rounded up: the
    // backup is not at the last sector, but where the primary header says.
    byte[] disk = new byte[DISK];
    Gpt gpt = gptWithGaps(SECTOR, SECTORS - 100);
    gpt.writeTo(disk);
    disk[2 * SECTOR + 56] = 'X';
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 3, 6), numbers(t));
    assertProblem(t, p -> p.contains("using the backup at sector " + gpt.backupLba()),
        "naming the backup's sector");
  }

  @Test
  void noSoundGptListsNothingAndSaysWhyForBothCopies() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).writeTo(disk);
    disk[SECTOR] = 'X';
    disk[(int) (SECTORS - 1) * SECTOR + 16] ^= 1;
    PartitionTable t = read(disk);
    assertEquals(Partition.Scheme.GPT, t.scheme().orElseThrow());
    assertEquals(List.of(), t.partitions());
    assertProblem(t, p -> p.contains("no \"EFI PART\" signature")
        && p.contains("at sector " + (SECTORS - 1) + ": header CRC32"), "on both copies");
  }

  @Test
  void absurdEntryCountsAndSizesAreRefusedBeforeAnythingIsRead() throws IOException {
    for (int[] countAndSize : new int[][] {{-1, 128}, {0, 128}, {1 << 20, 128}, {4, 100},
        {4, 1 << 30}, {4, 0}}) {
      byte[] disk = new byte[DISK];
      Gpt gpt = gptWithGaps(SECTOR, SECTORS);
      gpt.writeTo(disk);
      byte[] bad = gpt.header(true);
      ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(80, countAndSize[0])
          .putInt(84, countAndSize[1]).putInt(16, 0)
          .putInt(16, PartitionTableBuilder.crc(bad, 0, 92));
      System.arraycopy(bad, 0, disk, SECTOR, SECTOR);
      PartitionTable t = read(disk);
      assertEquals(List.of(1, 3, 6), numbers(t), "the backup, for " + countAndSize[0] + " x "
          + countAndSize[1]);
      assertProblem(t, p -> p.contains("primary GPT is damaged")
          && (p.contains("entries of") || p.contains("entry size")), "on the count or size");
    }
  }

  @Test
  void gptEntriesPastTheEndOrBackwardsAreLeftOut() throws IOException {
    byte[] disk = new byte[DISK];
    gptWithGaps(SECTOR, SECTORS).entry(1, 500, SECTORS, "past the end")
        .entry(3, 600, 599, "backwards").entry(4, -2, 10, "negative").writeTo(disk);
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 3, 6), numbers(t));
    assertProblem(t, p -> p.contains("GPT partition 2 (sectors 500 to 8192) does not lie on "
        + "the disk"), "on p2");
    assertProblem(t, p -> p.contains("GPT partition 4"), "on p4");
    assertProblem(t, p -> p.contains("GPT partition 5 (sectors 18446744073709551614"), "on p5");
  }

  @Test
  void headerThatSaysItIsElsewhereIsNotUsed() throws IOException {
    byte[] disk = new byte[DISK];
    Gpt gpt = gptWithGaps(SECTOR, SECTORS);
    gpt.writeTo(disk);
    // The backup header copied over the primary: sound CRCs, but it says it is at the end.
    System.arraycopy(gpt.header(false), 0, disk, SECTOR, SECTOR);
    PartitionTable t = read(disk);
    assertEquals(List.of(1, 3, 6), numbers(t));
    assertProblem(t, p -> p.contains("the header says it is at sector " + (SECTORS - 1)),
        "on the location");
  }

  @Test
  void protectiveMbrOnATinyDiskListsNothing() throws IOException {
    byte[] disk = new byte[SECTOR];
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0xEE, 1, 100));
    PartitionTable t = read(disk);
    assertEquals(List.of(), t.partitions());
    assertProblem(t, p -> p.contains("no sound GPT"), "saying there is none");
  }

  @Test
  void partitionFileNamesAreTheirNumbers() throws IOException {
    PartitionTable t = read(mbrWithLogicals());
    assertEquals(List.of("p1", "p2", "p5", "p6"),
        t.partitions().stream().map(Partition::fileName).toList());
    assertNull(t.partition(1).orElseThrow().uuid());
  }
}
