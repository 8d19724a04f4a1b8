package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd compare}: exit 0 and "identical", or exit 1 and the first differing offset, for
 * any mix of VHD (read through its chain) and raw images, and for disks of different sizes.
 */
final class CompareCommandTest {
  /** Inside the top image's own data, away from any block or sector boundary. */
  private static final int CHANGED = (3 << 20) + 7;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  private Path top;
  private Path raw;
  private byte[] disk;

  @BeforeEach
  void chainAndItsRawCopy() throws IOException {
    top = CliFixtures.chain(dir).get(2);
    disk = Chains.readDisk(top);
    raw = Files.write(dir.resolve("top.raw"), disk);
  }

  @Test
  void chainAndItsRawCopyAreIdenticalEitherWay() {
    assertEquals("identical" + System.lineSeparator(), ok("compare", top.toString(),
        raw.toString()));
    assertEquals("identical" + System.lineSeparator(), ok("compare", raw.toString(),
        top.toString()));
  }

  @Test
  void oneChangedByteOfTheRawIsFoundAtItsOffsetEitherWay() throws IOException {
    disk[CHANGED] ^= 1;
    Files.write(raw, disk);

    assertDiffer(CHANGED, top, raw);
    assertDiffer(CHANGED, raw, top);
  }

  @Test
  void oneChangedByteOfAVhdIsFoundAgainstAnotherVhd() throws IOException {
    Path copy = dir.resolve("copy.vhd");
    Chains.createDynamic(copy, disk.length, CliFixtures.BLOCK);
    Chains.write(copy, 0, disk);
    ok("compare", top.toString(), copy.toString());
    int at = 600 << 10;
    Chains.write(copy, at, new byte[] {(byte) ~disk[at]});

    assertDiffer(at, top, copy);
  }

  @Test
  void shorterDiskWithTheSamePrefixDiffersAtItsEndWhenStrict() throws IOException {
    int shorter = disk.length - 512;
    Path cut = Files.write(dir.resolve("cut.raw"), Arrays.copyOf(disk, shorter));

    assertDiffer(shorter, top, cut, "--strict");
    assertDiffer(shorter, cut, top, "-s");
  }

  /** As qemu-img compare: a longer disk whose extra part is zeros is the same disk. */
  @Test
  void longerDiskEndingInZerosIsIdenticalUnlessStrictAsInQemuImg() throws IOException {
    Path longer = Files.write(dir.resolve("longer.raw"), Arrays.copyOf(disk, disk.length + MIB));

    assertEquals("identical" + System.lineSeparator(), ok("compare", top.toString(),
        longer.toString()));
    assertEquals("identical" + System.lineSeparator(), ok("compare", longer.toString(),
        top.toString()));
    assertDiffer(disk.length, top, longer, "--strict");
    QemuTools.require();
    assertEquals(0, qemuCompare(raw, longer), "qemu-img compare without -s");
    assertEquals(1, qemuCompare(raw, longer, "-s"), "qemu-img compare -s");
  }

  @Test
  void longerDiskWithDataPastTheShorterDiffersAtItsFirstByteThatIsNotZero() throws IOException {
    byte[] bytes = Arrays.copyOf(disk, disk.length + MIB);
    int at = disk.length + 1000;
    bytes[at] = 7;
    Path longer = Files.write(dir.resolve("longer.raw"), bytes);

    assertDiffer(at, top, longer);
    assertDiffer(at, longer, top);
    QemuTools.require();
    assertEquals(1, qemuCompare(raw, longer), "qemu-img compare finds the data too");
  }

  private static int qemuCompare(Path a, Path b, String... options) {
    List<String> command = new ArrayList<>(List.of("qemu-img", "compare", "-f", "raw", "-F",
        "raw"));
    command.addAll(List.of(options));
    command.addAll(List.of(a.toString(), b.toString()));
    return QemuTools.runForExit(Duration.ofMinutes(1), command).code();
  }

  @Test
  void jsonSaysIdenticalOrWhere() throws IOException {
    Map<String, Object> same = JsonReader.object(ok("compare", "--json", top.toString(),
        raw.toString()));
    Map<String, Object> expected = new HashMap<>();
    expected.put("partition", null);
    expected.put("identical", true);
    expected.put("firstDifference", null);
    assertEquals(expected, same);

    disk[CHANGED] ^= 1;
    Files.write(raw, disk);
    Cli.Result r = Cli.run("compare", "--json", top.toString(), raw.toString());
    assertEquals(1, r.exitCode(), r::toString);
    Map<String, Object> differ = new HashMap<>(expected);
    differ.put("identical", false);
    differ.put("firstDifference", (long) CHANGED);
    assertEquals(differ, JsonReader.object(r.out()));
  }

  @Test
  void missingImageIsAnErrorNotADifference() {
    Cli.Result r = Cli.run("compare", top.toString(), dir.resolve("gone.raw").toString());

    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(List.of("vhd compare: no such file: " + dir.resolve("gone.raw")),
        r.err().lines().toList());
  }

  private static void assertDiffer(long offset, Path a, Path b, String... options) {
    List<String> args = new ArrayList<>(List.of("compare", a.toString(), b.toString()));
    args.addAll(List.of(options));
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("differ at offset " + offset + System.lineSeparator(), r.out());
    assertTrue(r.err().isEmpty(), "nothing on standard error for a finding: " + r.err());
  }
}
