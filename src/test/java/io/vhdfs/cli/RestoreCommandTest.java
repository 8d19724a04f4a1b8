package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd restore SRC IMAGE}: a raw SRC is written as it is, a VHD SRC (found by its footer) as
 * its disk, read through its parents; zeros follow to the end of the disk; an SRC too large is a
 * one-line error that changes nothing.
 */
final class RestoreCommandTest {
  private static final String NL = System.lineSeparator();

  @TempDir Path dir;
  private Path image;

  /** A dynamic image as large as the chain's disk, every byte of it data. */
  @BeforeEach
  void imageFullOfData() throws IOException {
    image = dir.resolve("image.vhd");
    Chains.createDynamic(image, CliFixtures.CHAIN_SIZE, CliFixtures.BLOCK);
    Chains.write(image, 0, Chains.randomBytes((int) CliFixtures.CHAIN_SIZE, 11));
  }

  @Test
  void rawBackupIsWrittenOntoTheDiskThenZerosToItsEnd() throws IOException {
    byte[] backup = new byte[3 << 20];
    System.arraycopy(Chains.randomBytes(5000, 12), 0, backup, 1 << 20, 5000);
    Path raw = Files.write(dir.resolve("backup.raw"), backup);

    String out = ok("restore", raw.toString(), image.toString());

    assertEquals("restored " + raw + " (raw, " + backup.length + " bytes) onto " + image + " ("
        + CliFixtures.CHAIN_SIZE + " bytes): wrote 8192 bytes of data, zeros to the end" + NL,
        out);
    assertArrayEquals(Arrays.copyOf(backup, (int) CliFixtures.CHAIN_SIZE),
        Chains.readDisk(image));
  }

  @Test
  void vhdSourceIsReadAsItsDiskThroughItsParents() throws IOException {
    Path top = CliFixtures.chain(dir).get(2);

    String out = ok("restore", top.toString(), image.toString());

    assertTrue(out.startsWith("restored " + top + " (differencing, " + CliFixtures.CHAIN_SIZE
        + " bytes) onto " + image + " (" + CliFixtures.CHAIN_SIZE + " bytes): wrote "), out);
    assertEquals("identical" + NL, ok("compare", top.toString(), image.toString()));
  }

  @Test
  void jsonSaysWhatWasRestoredOntoWhat() throws IOException {
    Path raw = Files.write(dir.resolve("backup.raw"), Chains.randomBytes(4096, 13));

    Map<String, Object> m = JsonReader.object(ok("restore", "--json", raw.toString(),
        image.toString()));

    assertEquals(List.of("source", "sourceType", "image", "partition", "sourceSize",
        "targetSize", "bytesWritten"), List.copyOf(m.keySet()));
    assertEquals(raw.toString(), m.get("source"));
    assertEquals("raw", m.get("sourceType"));
    assertEquals(image.toString(), m.get("image"));
    assertEquals(null, m.get("partition"));
    assertEquals(4096L, m.get("sourceSize"));
    assertEquals(CliFixtures.CHAIN_SIZE, m.get("targetSize"));
    assertEquals(4096L, m.get("bytesWritten"));
  }

  @Test
  void sourceLargerThanTheDiskIsAnErrorThatChangesNothing() throws IOException {
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("big.raw"), new byte[(int) CliFixtures.CHAIN_SIZE + 512]);

    Cli.Result r = Cli.run("restore", raw.toString(), image.toString());

    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("", r.out());
    assertEquals(List.of("vhd restore: " + raw + " -> " + image + ": the source's "
        + (CliFixtures.CHAIN_SIZE + 512) + " bytes do not fit the target's "
        + CliFixtures.CHAIN_SIZE + "; nothing was written"), r.err().lines().toList());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  /** Writes an MBR with p1 at sector 2048 and p2 at sector 4096, 4096 sectors each. */
  private byte[] partitioned() throws IOException {
    byte[] mbr = new byte[512];
    PartitionTableBuilder.writeBootRecord(mbr, 512, 0, Slot.of(0, 0x83, 2048, 2048),
        Slot.of(1, 0x83, 4096, 4096));
    Chains.write(image, 0, mbr);
    return Chains.readDisk(image);
  }

  @Test
  void partitionRestoreWritesThatPartitionOnly() throws IOException {
    byte[] before = partitioned();
    byte[] backup = Chains.randomBytes(1 << 20, 14);
    Path raw = Files.write(dir.resolve("p2.raw"), backup);

    String out = ok("restore", "--partition", "2", raw.toString(), image.toString());

    assertEquals("restored " + raw + " (raw, " + backup.length + " bytes) onto " + image
        + " partition 2 (2097152 bytes): wrote " + backup.length + " bytes of data, zeros to "
        + "the end" + NL, out);
    byte[] expected = before.clone();
    Arrays.fill(expected, 4096 * 512, 8192 * 512, (byte) 0);
    System.arraycopy(backup, 0, expected, 4096 * 512, backup.length);
    assertArrayEquals(expected, Chains.readDisk(image));
  }

  @Test
  void partitionTheTableDoesNotListIsAnErrorThatChangesNothing() throws IOException {
    partitioned();
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("backup.raw"), new byte[4096]);

    Cli.Result r = Cli.run("restore", "--partition", "3", raw.toString(), image.toString());

    assertEquals(2, r.exitCode(), r::toString);
    assertEquals(1, r.err().lines().count(), r::toString);
    assertTrue(r.err().startsWith("vhd restore: ") && r.err().contains("no partition 3")
        && r.err().contains("/p1, /p2"), r.err());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void partitionNumberBelowOneIsRefused() throws IOException {
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("backup.raw"), new byte[4096]);

    Cli.Result r = Cli.run("restore", "--partition", "0", raw.toString(), image.toString());

    assertEquals(2, r.exitCode(), r::toString);
    assertEquals(List.of("vhd restore: --partition: 0 is not a partition number (1 or more)"),
        r.err().lines().toList());
    assertArrayEquals(before, Files.readAllBytes(image));
  }
}
