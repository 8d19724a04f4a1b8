package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import io.vhdfs.testing.QemuTools;
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
 * {@code --partition N} on {@code map}, {@code compare} and {@code convert} (issue 11, item 5):
 * each works on the partition's bytes, with offsets from its start, as {@code /pN} shows them.
 */
final class PartitionOptionTest {
  private static final int SECTOR = 512;
  private static final int MIB = 1 << 20;
  /** p1: 1 MiB at 1 MiB; p2: 3 MiB at 4 MiB, holding data in its second MiB only. */
  private static final long P2_START = 4L * MIB;
  private static final int P2_SIZE = 3 * MIB;

  @TempDir Path dir;
  private Path image;
  private byte[] p2;

  @BeforeEach
  void partitionedImage() throws IOException {
    image = dir.resolve("parts.vhd");
    Chains.createDynamic(image, 8L * MIB, 512 * 1024);
    byte[] mbr = new byte[SECTOR];
    PartitionTableBuilder.writeBootRecord(mbr, SECTOR, 0, Slot.of(0, 0x0C, MIB / SECTOR,
        MIB / SECTOR), Slot.of(1, 0x83, P2_START / SECTOR, P2_SIZE / SECTOR));
    Chains.write(image, 0, mbr);
    Chains.write(image, MIB, Chains.randomBytes(MIB, 1)); // all of p1
    byte[] data = Chains.randomBytes(MIB, 2);
    Chains.write(image, P2_START + MIB, data);
    p2 = new byte[P2_SIZE];
    System.arraycopy(data, 0, p2, MIB, MIB);
  }

  private static String ok(String... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(0, r.exitCode(), r::toString);
    return r.out();
  }

  @Test
  void convertWritesThePartitionAlone() throws IOException {
    Path raw = dir.resolve("p2.raw");
    String out = ok("convert", "--partition", "2", "--to", "raw", image.toString(),
        raw.toString());
    assertArrayEquals(p2, Files.readAllBytes(raw));
    assertTrue(out.startsWith("converted " + image + " partition 2 (dynamic) to " + raw), out);

    Path vhd = dir.resolve("p2.vhd");
    ok("convert", "--partition", "2", "--to", "dynamic", image.toString(), vhd.toString());
    assertArrayEquals(p2, Chains.readDisk(vhd));
    QemuTools.find().ifPresent(q -> assertEquals(0, q.compare(vhd, raw).code(),
        "qemu-img reads the converted partition as its bytes"));
  }

  @Test
  void compareTakesThePartitionOfEachVhdAndRawImagesWhole() throws IOException {
    Path raw = Files.write(dir.resolve("p2.raw"), p2);
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", "--partition", "2", image.toString(), raw.toString()));

    byte[] changed = p2.clone();
    changed[MIB + 1000] ^= 1;
    Files.write(raw, changed);
    Cli.Result r = Cli.run("compare", "--json", "--partition", "2", image.toString(),
        raw.toString());
    assertEquals(1, r.exitCode(), r::toString);
    Map<String, Object> m = JsonReader.object(r.out());
    assertEquals(2L, ((Number) m.get("partition")).longValue());
    assertEquals(MIB + 1000L, ((Number) m.get("firstDifference")).longValue());

    Path copy = dir.resolve("copy.vhd");
    ok("convert", "--to", "dynamic", image.toString(), copy.toString());
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", "--partition", "2", image.toString(), copy.toString()));
  }

  @Test
  void mapShowsThePartitionFromItsStart() {
    String json = ok("map", "--output=json", "--partition", "2", image.toString());
    List<Map<String, Object>> entries = JsonReader.objects(json);
    long at = 0;
    long data = 0;
    for (Map<String, Object> e : entries) {
      assertEquals(at, ((Number) e.get("start")).longValue(), json);
      long length = ((Number) e.get("length")).longValue();
      boolean stored = (Boolean) e.get("data");
      if (stored) {
        assertTrue(at >= MIB && at + length <= 2 * MIB, "data only in p2's second MiB: " + json);
        assertTrue(((Number) e.get("offset")).longValue() > 0, "where in the image: " + json);
        data += length;
      }
      at += length;
    }
    assertEquals(P2_SIZE, at, "the map covers the partition and no more: " + json);
    assertEquals(MIB, data, json);
  }

  @Test
  void aPartitionTheTableDoesNotListIsAnErrorNamingTheOnesItDoes() {
    for (String command : List.of("map", "convert", "compare")) {
      List<String> args = command.equals("map")
          ? List.of(command, "--partition", "3", image.toString())
          : List.of(command, "--partition", "3", image.toString(),
              dir.resolve(command + ".out").toString());
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), r::toString);
      assertTrue(r.err().contains("no partition 3: its mbr partition table lists 1, 2"),
          r.toString());
    }
    Cli.Result r = Cli.run("map", "--partition", "0", image.toString());
    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.err().contains("--partition: 0 is not a partition number"), r.toString());
  }

  @Test
  void aRawSourceHasNoPartitionsToConvert() throws IOException {
    Path raw = Files.write(dir.resolve("disk.raw"), Arrays.copyOf(Chains.readDisk(image),
        8 * MIB));
    Cli.Result r = Cli.run("convert", "--partition", "2", raw.toString(),
        dir.resolve("out.vhd").toString());
    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.err().contains("only the partitions of a VHD's disk are read"), r.toString());
  }
}
