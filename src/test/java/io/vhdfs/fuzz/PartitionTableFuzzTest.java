package io.vhdfs.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.PartitionAttributes;
import io.vhdfs.partition.Partition;
import io.vhdfs.partition.PartitionTable;
import io.vhdfs.testing.ByteArrayDisk;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.opentest4j.AssertionFailedError;

/**
 * Jazzer harnesses for partition tables: any bytes as a disk. Whatever they hold, reading the
 * table never fails and lists only partitions that lie on the disk, in whole sectors, none
 * overlapping another, each reason naming the image; and the image's file system, opened on a
 * fixed VHD of those bytes, lists exactly those partitions, each file showing exactly its bytes
 * of the disk. No input may take more than 5 s or a 128 MiB heap (set in the pom).
 *
 * <p>{@code mvn verify} runs each harness over its corpus: the seeds in
 * {@code PartitionTableFuzzTestInputs/} (written by {@link PartitionSeedCorpus}: tables made by
 * sfdisk, sgdisk and the test-side builder, sound, damaged and malformed) and every finding under
 * {@code PartitionTableFuzzTestInputs/<harness>/}. The README says how to fuzz one harness.
 */
final class PartitionTableFuzzTest {
  private static final String NAME = "/images/fuzz.img";
  private static final Pattern MBR_TYPE = Pattern.compile("[0-9A-F]{2}");
  private static final Pattern GUID = Pattern.compile(
      "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}");
  /** Four primaries and at most 256 logical partitions. */
  private static final int MAX_MBR_NUMBER = 4 + 256;
  /** A GPT entry array of at most 2 MiB of 128-byte entries. */
  private static final int MAX_GPT_NUMBER = (2 << 20) / 128;
  private static final FileSystemProvider PROVIDER = FileSystemProvider.installedProviders()
      .stream().filter(p -> p.getScheme().equals("vhd")).findFirst()
      .orElseThrow(() -> new IllegalStateException("no installed provider for vhd:"));

  /**
   * Read with 512- and 4096-byte sectors, the table lists disjoint partitions on the disk, the
   * same on a second reading, and leaves the bytes as they were.
   */
  @FuzzTest
  void tableListsOnlyDisjointPartitionsOnTheDisk(byte[] input) throws IOException {
    for (int sectorSize : new int[] {512, 4096}) {
      ByteArrayDisk disk = new ByteArrayDisk(input.clone());
      PartitionTable table = PartitionTable.read(disk, sectorSize, NAME);
      check(table, input.length, sectorSize);
      PartitionTable again = PartitionTable.read(disk, sectorSize, NAME);
      if (!again.partitions().equals(table.partitions())
          || !again.problems().equals(table.problems())) {
        throw new AssertionFailedError("a second reading differs: " + table + " / " + again);
      }
      if (!Arrays.equals(input, disk.bytes())) {
        throw new AssertionFailedError("reading the table changed the disk");
      }
    }
  }

  /**
   * A fixed VHD of the bytes opens read-only; its root lists {@code /disk} and one file per
   * partition the table lists; each file has the partition's size and attributes and reads as
   * exactly its bytes of the disk, then -1.
   */
  @FuzzTest
  void partitionFilesShowExactlyTheirBytesOfTheDisk(byte[] input) throws IOException {
    byte[] disk = Arrays.copyOf(input, Math.max(512, (input.length + 511) / 512 * 512));
    try (FileSystem host = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = host.getPath("/fuzz.vhd");
      VhdImageBuilder.fixed(disk.length).write(0, disk).writeTo(image);
      PartitionTable table = PartitionTable.read(new ByteArrayDisk(disk.clone()), 512,
          image.toString());
      try (FileSystem fs = PROVIDER.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(fs.getPath("/"))) {
          s.forEach(p -> names.add(p.toString()));
        }
        List<String> expected = new ArrayList<>(List.of("/disk"));
        table.partitions().forEach(p -> expected.add("/" + p.fileName()));
        if (!names.equals(expected)) {
          throw new AssertionFailedError("listed " + names + ", the table says " + expected);
        }
        for (Partition p : table.partitions()) {
          checkFile(fs.getPath("/" + p.fileName()), p, disk);
        }
      }
    }
  }

  private static void checkFile(Path file, Partition p, byte[] disk) throws IOException {
    PartitionAttributes a = Files.readAttributes(file, PartitionAttributes.class);
    Map<String, Object> m = Files.readAttributes(file, "partition:*");
    if (a.number() != p.number() || a.start() != p.start() || a.size() != p.size()
        || Files.size(file) != p.size() || !a.type().equals(p.type())
        || !a.scheme().equals(p.scheme().label()) || !m.get("start").equals(p.start())
        || !m.get("size").equals(p.size())) {
      throw new AssertionFailedError(file + " has attributes " + m + " for " + p);
    }
    byte[] want = Arrays.copyOfRange(disk, (int) p.start(), (int) p.end());
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer got = ByteBuffer.allocate(want.length + 1);
      while (ch.read(got) > 0) {
        // until the end
      }
      if (got.position() != want.length
          || !Arrays.equals(want, 0, want.length, got.array(), 0, want.length)) {
        throw new AssertionFailedError(file + " does not read as bytes " + p.start() + " to "
            + p.end() + " of the disk");
      }
      if (ch.read(ByteBuffer.allocate(1), p.size()) != -1) {
        throw new AssertionFailedError(file + " reads past its end");
      }
    }
  }

  private static void check(PartitionTable t, long diskBytes, int sectorSize) {
    if (t.scheme().isEmpty() && (!t.partitions().isEmpty() || !t.problems().isEmpty())) {
      throw new AssertionFailedError("no table, but " + t);
    }
    for (String problem : t.problems()) {
      if (!problem.startsWith(NAME + ": ")) {
        throw new AssertionFailedError("a problem that does not name the image: " + problem);
      }
    }
    long onDisk = diskBytes / sectorSize * sectorSize;
    Partition previous = null;
    List<Partition> byStart = new ArrayList<>(t.partitions());
    for (Partition p : t.partitions()) {
      boolean gpt = p.scheme() == Partition.Scheme.GPT;
      if (p.scheme() != t.scheme().orElse(null) || p.number() < 1
          || p.number() > (gpt ? MAX_GPT_NUMBER : MAX_MBR_NUMBER)
          || previous != null && p.number() <= previous.number()) {
        throw new AssertionFailedError("numbering: " + p + " after " + previous);
      }
      if (p.start() % sectorSize != 0 || p.size() % sectorSize != 0 || p.size() <= 0
          || p.end() > onDisk) {
        throw new AssertionFailedError(p + " does not lie on the disk of " + diskBytes
            + " bytes in " + sectorSize + "-byte sectors");
      }
      boolean fields = gpt
          ? GUID.matcher(p.type()).matches() && p.name() != null && p.uuid() != null
              && p.name().length() <= 36
          : MBR_TYPE.matcher(p.type()).matches() && p.name() == null && p.uuid() == null
              && p.attributes() == 0;
      if (!fields) {
        throw new AssertionFailedError("fields of " + p);
      }
      previous = p;
    }
    byStart.sort((x, y) -> Long.compare(x.start(), y.start()));
    for (int i = 1; i < byStart.size(); i++) {
      if (byStart.get(i - 1).end() > byStart.get(i).start()) {
        throw new AssertionFailedError(byStart.get(i - 1) + " overlaps " + byStart.get(i));
      }
    }
  }
}
