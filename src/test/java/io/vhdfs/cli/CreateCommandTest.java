package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code vhd create}: each type, block size, exact and CHS-rounded sizes, and its refusals. */
final class CreateCommandTest {
  @TempDir Path dir;

  @Test
  void dynamicByDefaultWithTwoMegabyteBlocksAndSaysWhatItMade() {
    Path image = dir.resolve("d.vhd");

    String out = ok("create", image.toString(), "64M");

    Map<String, Object> info = info(image);
    assertEquals("dynamic", info.get("type"));
    assertEquals(2L << 20, info.get("blockSize"));
    assertEquals(0L, info.get("allocatedBlocks"));
    assertEquals("created " + image + ": dynamic, " + info.get("virtualSize") + " bytes"
        + System.lineSeparator(), out);
  }

  @Test
  void badValuesAreNamedByTheirOptionNotTheLibrarysEnvKey() {
    Cli.Result size = Cli.run("create", dir.resolve("a.vhd").toString(), "1.5X");
    assertEquals(2, size.exitCode());
    assertTrue(size.err().startsWith("vhd create: SIZE: bad value '1.5X'"), size.err());
    Cli.Result block = Cli.run("create", dir.resolve("b.vhd").toString(), "8M",
        "--block-size", "3K");
    assertEquals(2, block.exitCode());
    assertTrue(block.err().startsWith("vhd create: --block-size: bad value '3K'"), block.err());
  }

  @ParameterizedTest(name = "{0} is {1} bytes")
  @CsvSource({"1048576, 1048576", "512K, 524288", "3M, 3145728", "1G, 1073741824",
      "1T, 1099511627776", "1.5G, 1610612736", "0.5M, 524288"})
  void sizeSuffixesAreBinaryUnitsWithExactSize(String size, long bytes) {
    Path image = dir.resolve("s.vhd");

    ok("create", image.toString(), size, "--exact-size");

    assertEquals(bytes, info(image).get("virtualSize"));
  }

  @Test
  void sizeRoundsUpToTheGeometryQemuImgChoosesUnlessExact() {
    QemuTools qemu = QemuTools.require();
    Path ours = dir.resolve("ours.vhd");
    Path theirs = dir.resolve("theirs.vhd");
    Path exact = dir.resolve("exact.vhd");
    qemu.create(theirs, 100L << 20, "");

    ok("create", ours.toString(), "100M");
    ok("create", exact.toString(), "100M", "--exact-size");

    assertEquals(qemu.virtualSize(theirs), info(ours).get("virtualSize"));
    assertEquals(qemu.virtualSize(theirs), qemu.virtualSize(ours), "qemu-img agrees");
    assertEquals(100L << 20, info(exact).get("virtualSize"));
  }

  @Test
  void fixedExactSizeIsTheDiskPlusOneFooter() throws IOException {
    Path image = dir.resolve("f.vhd");

    ok("create", image.toString(), "3M", "--type", "fixed", "--exact-size");

    Map<String, Object> info = info(image);
    assertEquals("fixed", info.get("type"));
    assertEquals(3L << 20, info.get("virtualSize"));
    assertEquals((3L << 20) + 512, Files.size(image));
  }

  @Test
  void blockSizeOptionSetsTheHeadersBlockSize() {
    Path image = dir.resolve("b.vhd");

    ok("create", image.toString(), "8M", "--block-size", "512K");

    assertEquals(512L << 10, info(image).get("blockSize"));
  }

  @Test
  void differencingTakesItsParentsSizeAndNamesIt() throws IOException {
    Path base = dir.resolve("base.vhd");
    Chains.createDynamic(base, 4L << 20, CliFixtures.BLOCK);
    Path child = dir.resolve("child.vhd");
    Path grandchild = dir.resolve("grandchild.vhd");

    ok("create", child.toString(), "--parent", "base.vhd");
    ok("create", grandchild.toString(), "--type", "differencing", "--parent", "child.vhd",
        "--block-size", "1M");

    Map<String, Object> info = info(grandchild);
    assertEquals("differencing", info.get("type"));
    assertEquals(4L << 20, info.get("virtualSize"));
    assertEquals(1L << 20, info.get("blockSize"));
    assertEquals(List.of(child.toRealPath().toString(), base.toRealPath().toString()),
        info.get("parentChain"));
  }

  @Test
  void jsonPrintsTheNewImagesInfo() {
    Path image = dir.resolve("j.vhd");

    Map<String, Object> printed = JsonReader.object(ok("create", "--json", image.toString(),
        "1M", "--exact-size"));

    assertEquals(info(image), printed);
  }

  @Test
  void missingSizeIsAUsageErrorAndCreatesNothing() {
    Path image = dir.resolve("nosize.vhd");

    Cli.Result r = Cli.run("create", image.toString());

    assertOneLineError(r, "vhd create: SIZE is required for a dynamic image");
    assertFalse(Files.exists(image));
  }

  @Test
  void differencingWithoutParentIsAnErrorInTheToolsTerms() {
    Path image = dir.resolve("orphan.vhd");

    Cli.Result r = Cli.run("create", image.toString(), "--type", "differencing");

    assertOneLineError(r, "vhd create: --parent is required for a differencing image");
    assertFalse(Files.exists(image));
  }

  @Test
  void blockSizeOfAFixedImageIsRefused() {
    Path image = dir.resolve("fixed.vhd");

    Cli.Result r = Cli.run("create", image.toString(), "1M", "--type", "fixed",
        "--block-size", "1M");

    assertEquals(2, r.exitCode());
    assertTrue(r.err().startsWith("vhd create: --block-size "), r.err());
    assertFalse(Files.exists(image));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"10X|SIZE", "1.5|SIZE", "0|SIZE", "3000T|2040 GiB"})
  void badSizeIsOneLineErrorAndCreatesNothing(String size, String said) {
    Path image = dir.resolve("bad.vhd");

    Cli.Result r = Cli.run("create", image.toString(), size);

    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd create: ") && r.err().contains(said), r.err());
    assertFalse(Files.exists(image));
  }

  @Test
  void existingFileIsRefusedAndLeftAlone() throws IOException {
    Path image = dir.resolve("there.vhd");
    ok("create", image.toString(), "1M");
    String before = Chains.sha256(image);

    Cli.Result r = Cli.run("create", image.toString(), "2M");

    assertOneLineError(r, "vhd create: already exists: " + image);
    assertEquals(before, Chains.sha256(image));
  }

  @Test
  void vhdxExtensionMakesAVhdxWithThirtyTwoMegabyteBlocks() {
    Path image = dir.resolve("disk.vhdx");

    String out = ok("create", image.toString(), "1G");

    Map<String, Object> info = info(image);
    assertEquals("vhdx", info.get("format"));
    assertEquals(1L << 30, info.get("virtualSize"));
    assertEquals(32L << 20, info.get("blockSize"));
    assertEquals(4096L, info.get("physicalSectorSize"));
    assertEquals("created " + image + ": dynamic, " + (1L << 30) + " bytes"
        + System.lineSeparator(), out);
  }

  @Test
  void formatAndSectorSizeOptionsReachTheImage() {
    Path image = dir.resolve("disk.img");

    ok("create", image.toString(), "64M", "--format", "vhdx", "--type", "fixed",
        "--block-size", "1M", "--logical-sector-size", "4096", "--physical-sector-size", "512");

    Map<String, Object> info = info(image);
    assertEquals("vhdx", info.get("format"));
    assertEquals("fixed", info.get("diskType"));
    assertEquals(4096L, info.get("logicalSectorSize"));
    assertEquals(512L, info.get("physicalSectorSize"));
    assertEquals(1L << 20, info.get("blockSize"));
  }

  @Test
  void vhdxRefusalsNameTheToolsOptions() {
    assertOneLineError(Cli.run("create", dir.resolve("a.vhdx").toString(), "64M",
        "--logical-sector-size", "1024"), "vhd create: --logical-sector-size: bad value '1024', "
        + "expected 512 or 4096");
    Cli.Result big = Cli.run("create", dir.resolve("b.vhdx").toString(), "70368744177665");
    assertEquals(2, big.exitCode(), big::toString);
    assertTrue(big.err().startsWith("vhd create: SIZE: bad value '70368744177665', expected at "
        + "most 64 TiB"), big.err());
    assertFalse(Files.exists(dir.resolve("b.vhdx")));
  }

  private static Map<String, Object> info(Path image) {
    return JsonReader.object(ok("info", "--json", image.toString()));
  }

  private static void assertOneLineError(Cli.Result r, String line) {
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("", r.out());
    assertEquals(line + System.lineSeparator(), r.err());
  }
}
