package io.vhdfs.fuzz;

import static io.vhdfs.testing.PartitionTableBuilder.writeBootRecord;

import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Gpt;
import io.vhdfs.testing.PartitionTableBuilder.GptEntry;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import io.vhdfs.testing.PartitionTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes the seed corpus of {@link PartitionTableFuzzTest}: small disks (16 to 40 KiB) whose
 * tables {@code sfdisk} and {@code sgdisk} made, and ones the test-side
 * {@link PartitionTableBuilder} wrote, sound ({@code mbr-*}, {@code gpt-*}), damaged so that
 * the reader recovers ({@code damaged-*}: a bad primary GPT), and malformed ({@code malformed-*}:
 * loops, entries past the end, absurd counts). Ids are fixed, so the files are the same on every
 * run with the same tools. Run it after changing a recipe, and commit the result:
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * java -cp "target/classes:target/test-classes:$(cat target/test-classpath.txt)" \
 *     io.vhdfs.fuzz.PartitionSeedCorpus
 * </pre>
 *
 * <p>Top-level files of the inputs directory are replaced; findings in its sub-directories stay.
 */
public final class PartitionSeedCorpus {
  /** Where Jazzer looks for the seeds of every harness of {@link PartitionTableFuzzTest}. */
  static final String DIRECTORY =
      "src/test/resources/io/vhdfs/fuzz/PartitionTableFuzzTestInputs";

  private static final int SECTOR = 512;
  private static final int SMALL = 16 * 1024;

  private PartitionSeedCorpus() {}

  /** Writes the corpus into {@code args[0]}, or {@link #DIRECTORY}. */
  public static void main(String[] args) throws IOException {
    SeedCorpus.replace(Path.of(args.length > 0 ? args[0] : DIRECTORY), seeds());
  }

  /** Every seed by file name, in a fixed order. */
  static Map<String, byte[]> seeds() throws IOException {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    toolSeeds(seeds);
    builderSeeds(seeds);
    return seeds;
  }

  /** Tables the real tools made: an MBR with logical partitions, a GPT with a gap. */
  private static void toolSeeds(Map<String, byte[]> seeds) throws IOException {
    PartitionTools tools = PartitionTools.findAll().orElseThrow(() -> new IllegalStateException(
        "sfdisk, sgdisk and the file system tools are needed: apt-get install "
            + PartitionTools.PACKAGES));
    Path tmp = Files.createTempDirectory("vhdfs-partition-seeds");
    try {
      Path mbr = zeros(tmp.resolve("mbr.raw"), SMALL);
      tools.sfdisk(mbr, String.join("\n", "label: dos", "label-id: 0x5eed0001",
          "start=1, size=6, type=83, bootable", "start=7, size=3, type=c",
          "type=5, start=10, size=22", "start=12, size=4, type=83", "start=18, size=6, type=7",
          ""));
      seeds.put("mbr-sfdisk-logicals.img", Files.readAllBytes(mbr));

      Path gpt = zeros(tmp.resolve("gpt.raw"), 40 * 1024);
      tools.sgdisk(gpt, "-a", "1", "-U", "5eed5eed-0000-4000-8000-000000000001",
          "-n", "1:34:+4K", "-t", "1:8300", "-c", "1:root",
          "-u", "1:5eed5eed-0000-4000-8000-000000000011",
          "-n", "3:42:+2K", "-t", "3:0700", "-c", "3:data",
          "-u", "3:5eed5eed-0000-4000-8000-000000000013", "-A", "3:set:2");
      byte[] sound = Files.readAllBytes(gpt);
      seeds.put("gpt-sgdisk-gap.img", sound);
      byte[] damaged = sound.clone();
      damaged[SECTOR + 24] ^= 1; // the primary header's own LBA: its CRC fails
      seeds.put("damaged-gpt-sgdisk-primary-header.img", damaged);
    } finally {
      try (Stream<Path> files = Files.walk(tmp)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static Path zeros(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate((int) size));
    }
    return file;
  }

  /** Tables the builder wrote: small GPTs (4 entries), 4 KiB sectors, and broken tables. */
  private static void builderSeeds(Map<String, byte[]> seeds) {
    byte[] disk = new byte[SMALL];
    smallGpt(SECTOR, SMALL / SECTOR).writeTo(disk);
    seeds.put("gpt-four-entries.img", disk.clone());
    disk[2 * SECTOR + 56] ^= 1; // a name byte: the primary entry array's CRC fails
    seeds.put("damaged-gpt-primary-array.img", disk);

    byte[] big = new byte[32 * 1024];
    new Gpt(4096, 8).entryCount(4).entry(0, 3, 3, "four k")
        .entry(2, new GptEntry(PartitionTableBuilder.BASIC_DATA,
            UUID.fromString("5eed5eed-0000-4000-8000-000000000023"), 4, 5, 4, "data"))
        .writeTo(big);
    seeds.put("gpt-4096-byte-sectors.img", big);

    byte[] hybrid = new byte[SMALL];
    smallGpt(SECTOR, SMALL / SECTOR).writeTo(hybrid);
    writeBootRecord(hybrid, SECTOR, 0, Slot.of(0, 0xEE, 1, 4), Slot.of(1, 0x0C, 5, 5));
    seeds.put("gpt-hybrid-mbr.img", hybrid);

    byte[] loop = new byte[SMALL];
    writeBootRecord(loop, SECTOR, 0, new Slot(0, 0x80, 0x83, 1, 3),
        Slot.of(1, 0x0F, 4, 28));
    writeBootRecord(loop, SECTOR, 4, Slot.of(0, 0x83, 1, 3), Slot.of(1, 0x05, 4, 8));
    writeBootRecord(loop, SECTOR, 8, Slot.of(0, 0x07, 1, 3), Slot.of(1, 0x05, 0, 4));
    seeds.put("malformed-mbr-ebr-loop.img", loop);

    byte[] past = new byte[SMALL];
    writeBootRecord(past, SECTOR, 0, Slot.of(0, 0x83, 1, 10), Slot.of(1, 0x83, 5, 10),
        Slot.of(2, 0x83, 20, 0xFFFFFFFFL), Slot.of(3, 0x85, 0xFFFFFFF0L, 100));
    seeds.put("malformed-mbr-overlap-and-past-end.img", past);

    byte[] absurd = new byte[SMALL];
    Gpt gpt = smallGpt(SECTOR, SMALL / SECTOR);
    gpt.writeTo(absurd);
    for (boolean primary : new boolean[] {true, false}) {
      byte[] h = gpt.header(primary);
      ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putInt(80, -1).putInt(16, 0)
          .putInt(16, PartitionTableBuilder.crc(h, 0, 92));
      long lba = primary ? 1 : gpt.backupLba();
      System.arraycopy(h, 0, absurd, (int) lba * SECTOR, SECTOR);
    }
    seeds.put("malformed-gpt-entry-count-ffffffff.img", absurd);
  }

  /** A GPT of four entries (one sector of them): partitions 1 and 3, a gap at 2. */
  private static Gpt smallGpt(int sectorSize, long sectors) {
    return new Gpt(sectorSize, sectors).entryCount(4)
        .diskGuid(UUID.fromString("5eed5eed-0000-4000-8000-000000000002"))
        .entry(0, 4, 9, "one").entry(2, new GptEntry(PartitionTableBuilder.BASIC_DATA,
            UUID.fromString("5eed5eed-0000-4000-8000-000000000033"), 10, 20, 1L << 62, "three"));
  }
}
