package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.Fifo;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd convert} (issue 5): the summary as a line and as JSON, the default result kinds,
 * {@code --to}, {@code --block-size}, {@code --azure} as Azure wants it (checked by its bytes and
 * by qemu-img), {@code --force}; usage errors and failures as one line with exit code 2; and a
 * convert process stopped midway leaves neither the destination nor its temporary file. Issue 10:
 * a link is written through; a FIFO and {@code /dev/null} need no {@code --force}; {@code -} is
 * standard output, which then carries the disk and nothing else, refuses a dynamic result and a
 * terminal.
 */
@ExtendWith(SeedExtension.class)
final class ConvertCommandTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void jsonSummarySaysWhatWasReadAndWritten(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(3 * MIB, random.nextLong()));
    Path vhd = dir.resolve("disk.vhd");

    Cli.Result r = Cli.run("convert", "--json", raw.toString(), vhd.toString());

    assertEquals(0, r.exitCode(), r.err());
    assertEquals("", r.err(), "no progress when standard error is not a terminal");
    assertEquals(String.join("\n", "{",
        "  \"source\": \"" + raw + "\",",
        "  \"partition\": null,",
        "  \"sourceType\": \"raw\",",
        "  \"destination\": \"" + vhd + "\",",
        "  \"type\": \"dynamic\",",
        "  \"size\": " + 3 * MIB + ",",
        "  \"bytesRead\": " + 3 * MIB + ",",
        "  \"bytesWritten\": " + 3 * MIB,
        "}"), r.out().strip());
    assertEquals(-1, VhdImages.compare(raw, vhd, Map.of(), VhdImages.Progress.NONE));
  }

  @Test
  void aVhdBecomesRawByDefaultAndTheLineSaysSo(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, MIB, Chains.randomBytes(4096, random.nextLong()));
    Path raw = dir.resolve("disk.img");

    Cli.Result r = Cli.run("convert", vhd.toString(), raw.toString());

    assertEquals(0, r.exitCode(), r.err());
    assertEquals("converted " + vhd + " (dynamic) to " + raw + " (raw, " + 4 * MIB
        + " bytes): read 4096 bytes, wrote 4096", r.out().strip());
    assertEquals(-1, VhdImages.compare(vhd, raw, Map.of(), VhdImages.Progress.NONE));
  }

  @Test
  void noSyncMakesTheSameResult(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, MIB, Chains.randomBytes(70000, random.nextLong()));
    for (String to : new String[] {"raw", "vhdx", "dynamic"}) {
      Path out = dir.resolve("no-sync-" + to);
      Cli.Result r = Cli.run("convert", "--no-sync", "--to", to, vhd.toString(), out.toString());
      assertEquals(0, r.exitCode(), r.err());
      assertEquals(-1, VhdImages.compare(vhd, out, Map.of(), VhdImages.Progress.NONE), to);
    }
  }

  @Test
  void toAndBlockSizeChooseTheResult(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(MIB, random.nextLong()));
    Path vhd = dir.resolve("small-blocks.vhd");

    Cli.Result r = Cli.run("convert", "--to", "dynamic", "--block-size", "512K", raw.toString(),
        vhd.toString());

    assertEquals(0, r.exitCode(), r.err());
    Map<String, Object> info = VhdImages.describe(vhd, Map.of());
    assertEquals(512 << 10, info.get("blockSize"));
    assertEquals(2L, info.get("allocatedBlocks"));
    Path fixed = dir.resolve("fixed.vhd");
    assertEquals(0, Cli.run("convert", "--to", "FIXED", vhd.toString(), fixed.toString())
        .exitCode());
    assertEquals("fixed", VhdImages.describe(fixed, Map.of()).get("type"));
    assertEquals(-1, VhdImages.compare(raw, fixed, Map.of(), VhdImages.Progress.NONE));
  }

  /** What Azure requires of an upload: type 2, size % 1 MiB == 0, file size == size + 512. */
  @Test
  void azureMakesAFixedImageOfWholeMibsThatQemuImgSizesTheSame(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(5 * MIB + 4096 + 512, random.nextLong()));
    Path vhd = dir.resolve("azure.vhd");

    Cli.Result r = Cli.run("convert", "--azure", "--json", raw.toString(), vhd.toString());

    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("\"type\": \"fixed\""), r.out());
    long footer = Files.size(vhd) - 512;
    long size = HostBytes.readLong(vhd, footer + VhdImageBuilder.F_CURRENT_SIZE);
    assertEquals(2, HostBytes.readInt(vhd, footer + VhdImageBuilder.F_DISK_TYPE), "type 2");
    assertEquals(0, size % MIB, "size % 1 MiB");
    assertEquals(6L * MIB, size, "rounded up to the next whole MiB, no further");
    assertEquals(size + 512, Files.size(vhd), "file size = size + 512");
    assertEquals(0xFFFF_10FF, HostBytes.readInt(vhd, footer + VhdImageBuilder.F_GEOMETRY),
        "65535/16/255: every reader takes the size field");
    QemuTools qemu = QemuTools.require();
    assertEquals(size, qemu.virtualSize(vhd), qemu.infoJson(vhd));
    assertTrue(qemu.infoJson(vhd).contains("\"format\": \"vpc\""), qemu.infoJson(vhd));
  }

  @Test
  void anExistingDestinationIsAnErrorUnlessForce(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(MIB, random.nextLong()));
    Path vhd = dir.resolve("disk.vhd");
    Files.writeString(vhd, "keep me");

    Cli.Result refused = Cli.run("convert", raw.toString(), vhd.toString());

    assertEquals(2, refused.exitCode());
    assertEquals("vhd convert: already exists: " + vhd + " (add --force to replace it)",
        refused.err().strip());
    assertEquals("keep me", Files.readString(vhd));
    Cli.Result forced = Cli.run("convert", "--force", raw.toString(), vhd.toString());
    assertEquals(0, forced.exitCode(), forced.err());
    assertEquals(-1, VhdImages.compare(raw, vhd, Map.of(), VhdImages.Progress.NONE));
  }

  @Test
  void badArgumentsAreOneLineErrorsWithExitCode2() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);
    String dst = dir.resolve("out.vhd").toString();
    List<List<String>> cases = List.of(
        List.of("convert", "--to", "qcow2", raw.toString(), dst),
        List.of("convert", "--block-size", "3000", raw.toString(), dst),
        List.of("convert", "--block-size", "lots", raw.toString(), dst),
        List.of("convert", "--azure", "--to", "dynamic", raw.toString(), dst),
        List.of("convert", dir.resolve("missing.raw").toString(), dst));
    for (List<String> args : cases) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), args + ": " + r.err());
      assertEquals("", r.out(), args.toString());
      assertEquals(1, r.err().lines().count(), args + ": " + r.err());
      assertTrue(r.err().startsWith("vhd convert: "), args + ": " + r.err());
    }
    Cli.Result usage = Cli.run("convert", raw.toString());
    assertEquals(2, usage.exitCode(), "a missing DST is a usage error");
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  @Test
  void helpNamesEveryOption() {
    Cli.Result r = Cli.run("convert", "--help");
    assertEquals(0, r.exitCode());
    for (String option : List.of("--to", "--block-size", "--azure", "--force", "--json",
        "--quiet")) {
      assertTrue(r.out().contains(option), option + " in:\n" + r.out());
    }
  }

  /**
   * The tool run as a process and stopped (SIGTERM, as Ctrl-C's SIGINT, runs shutdown hooks)
   * while its temporary file exists: nothing is left under the destination's name, nor the
   * temporary file.
   */
  @Test
  void aConvertProcessStoppedMidwayLeavesNeitherDestinationNorTemporaryFile()
      throws IOException, InterruptedException {
    Path work = Files.createDirectory(dir.resolve("work"));
    Path raw = work.resolve("big.raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(64L << 30); // a hole: read at memory speed, long enough to be stopped
    }
    Path dst = work.resolve("big.vhd");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.vhdfs.cli.VhdCli",
        "convert", "--quiet", raw.toString(), dst.toString()));
    Path output = dir.resolve("convert.out"); // outside work, whose names are counted
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    try {
      boolean staged = false;
      while (p.isAlive() && !staged) {
        staged = names(work).stream().anyMatch(n -> n.startsWith(".big.vhd.part-"));
        Thread.sleep(10);
      }
      // 64 GiB take far longer than one poll, so a process that ends before its temporary file
      // is seen did not convert: it failed to start or to stage, which is a failure to report.
      if (!staged) {
        p.waitFor(60, TimeUnit.SECONDS);
        fail("the convert process ended (exit code " + p.exitValue() + ") before its temporary "
            + "file appeared; files: " + names(work) + "; output:\n" + Files.readString(output));
      }
      p.destroy();
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the process ends when stopped");
    } finally {
      p.destroyForcibly();
      p.waitFor(60, TimeUnit.SECONDS);
    }
    assertEquals(Set.of("big.raw"), names(work), "exit code " + p.exitValue() + "; output:\n"
        + Files.readString(output));
  }

  /** Issue 10: {@code --force} onto a link replaced the link with a plain file. */
  @Test
  void aLinkIsWrittenThroughItsTargetAndStaysALink(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, MIB, Chains.randomBytes(8192, random.nextLong()));
    Path target = Files.writeString(dir.resolve("target.raw"), "keep me");
    Path link = Files.createSymbolicLink(dir.resolve("link.raw"), Path.of("target.raw"));

    Cli.Result refused = Cli.run("convert", vhd.toString(), link.toString());

    assertEquals(2, refused.exitCode());
    assertEquals("vhd convert: already exists: " + target.toRealPath()
        + " (add --force to replace it)", refused.err().strip());
    assertEquals("keep me", Files.readString(target));
    Cli.Result forced = Cli.run("convert", "--force", vhd.toString(), link.toString());
    assertEquals(0, forced.exitCode(), forced.err());
    assertTrue(Files.isSymbolicLink(link), "the link is still a link");
    assertEquals(Path.of("target.raw"), Files.readSymbolicLink(link));
    assertEquals(-1, VhdImages.compare(vhd, target, Map.of(), VhdImages.Progress.NONE));
    assertEquals(Set.of("disk.vhd", "link.raw", "target.raw"), names(dir));
  }

  @Test
  void aFifoAndDevNullAreWrittenInPlaceWithoutForce(SeededRandom random) throws Exception {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, 3 * MIB, Chains.randomBytes(4096, random.nextLong()));
    Path received = dir.resolve("received.raw");

    Cli.Result r;
    try (Fifo fifo = Fifo.readInto(dir.resolve("pipe"), received)) {
      r = Cli.run("convert", vhd.toString(), fifo.path().toString());
      assertEquals(0, r.exitCode(), r.err()); // else no writer comes; closing lets the reader go
      fifo.awaitCopy();
    }
    Cli.Result toNull = Cli.run("convert", "--to", "fixed", vhd.toString(), "/dev/null");

    assertEquals("converted " + vhd + " (dynamic) to " + dir.resolve("pipe") + " (raw, "
        + 4 * MIB + " bytes): read 4096 bytes, wrote 4096", r.out().strip());
    assertEquals(-1, VhdImages.compare(vhd, received, Map.of(), VhdImages.Progress.NONE));
    assertEquals(0, toNull.exitCode(), toNull.err());
    assertTrue(toNull.out().contains(" to /dev/null (fixed, "), toNull.out());
    assertEquals(Set.of("disk.vhd", "pipe", "received.raw"), names(dir));
  }

  @Test
  void dashPipesTheDiskIntoSha256sumAndNothingElse(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 8 * MIB, 2 * MIB);
    Chains.write(vhd, 5000, Chains.randomBytes(10_000, random.nextLong()));
    Chains.write(vhd, 6 * MIB, Chains.randomBytes(MIB, random.nextLong()));
    Path expected = dir.resolve("expected.raw");
    if (QemuTools.find().isPresent()) {
      QemuTools.find().get().convertToRaw(vhd, expected);
    } else {
      Files.write(expected, Chains.readDisk(vhd));
    }
    Path err = dir.resolve("stderr.txt");
    PeerRequirement.assumePresent(QemuTools.onPath("sha256sum").isPresent(),
        "no sha256sum (Debian package coreutils)");

    QemuTools.Exit exit = QemuTools.runForExit(java.time.Duration.ofMinutes(2), List.of("bash",
        "-c", "set -o pipefail; \"$0\" -cp \"$1\" io.vhdfs.cli.VhdCli convert \"$2\" - "
            + "2>\"$3\" | sha256sum",
        javaCommand(), System.getProperty("java.class.path"), vhd.toString(), err.toString()));

    assertEquals(0, exit.code(), exit.describe() + Files.readString(err));
    assertEquals(Chains.sha256(expected) + "  -", exit.stdout().strip(),
        "the checksum of qemu-img's raw conversion");
    assertEquals("", Files.readString(err), "no summary and no progress");
  }

  /**
   * Issue 10: {@code /dev/stdout}, a link to {@code /proc/self/fd/1} and on to the pipe, is
   * written in place without {@code --force}, and only the disk goes into it. (Without
   * {@code --force}, a tool that took it for a file to replace refuses it instead of replacing
   * the system's link.)
   */
  @Test
  void devStdoutIsWrittenInPlaceAndCarriesOnlyTheDisk(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, 3 * MIB + 17, Chains.randomBytes(3000, random.nextLong()));
    Path expected = Files.write(dir.resolve("expected.raw"), Chains.readDisk(vhd));
    Path err = dir.resolve("stderr.txt");
    PeerRequirement.assumePresent(QemuTools.onPath("sha256sum").isPresent(),
        "no sha256sum (Debian package coreutils)");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isSymbolicLink(Path.of("/dev/stdout")),
        "no /dev/stdout link here");

    QemuTools.Exit exit = QemuTools.runForExit(java.time.Duration.ofMinutes(2), List.of("bash",
        "-c", "set -o pipefail; \"$0\" -cp \"$1\" io.vhdfs.cli.VhdCli convert \"$2\" "
            + "/dev/stdout 2>\"$3\" | sha256sum",
        javaCommand(), System.getProperty("java.class.path"), vhd.toString(), err.toString()));

    assertEquals(0, exit.code(), exit.describe() + Files.readString(err));
    assertEquals(Chains.sha256(expected) + "  -", exit.stdout().strip());
    assertEquals("", Files.readString(err));
    assertTrue(Files.isSymbolicLink(Path.of("/dev/stdout")), "/dev/stdout is still a link");
  }

  @Test
  void dashWithJsonGivesAFixedDiskOnStandardOutputAndTheSummaryOnStandardError(
      SeededRandom random) throws IOException, InterruptedException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(3 * MIB, random.nextLong()));
    Path received = dir.resolve("received.vhd");
    Path err = dir.resolve("stderr.txt");

    Process p = new ProcessBuilder(javaCommand(), "-cp", System.getProperty("java.class.path"),
        "io.vhdfs.cli.VhdCli", "convert", "--json", "--to", "fixed", raw.toString(), "-")
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectError(err.toFile()).start();
    try (java.io.InputStream pipe = p.getInputStream()) {
      Files.copy(pipe, received);
    } finally {
      p.waitFor();
    }

    assertEquals(0, p.exitValue(), Files.readString(err));
    assertEquals(3L * MIB + 512, Files.size(received), "the disk and its footer");
    assertEquals(-1, VhdImages.compare(raw, received, Map.of(), VhdImages.Progress.NONE));
    assertEquals("fixed", VhdImages.describe(received, Map.of()).get("type"));
    String summary = Files.readString(err);
    assertTrue(summary.contains("\"destination\": \"-\","), summary);
    assertTrue(summary.contains("\"type\": \"fixed\","), summary);
    assertTrue(summary.contains("\"bytesWritten\": " + 3 * MIB), summary);
  }

  @Test
  void dashRefusesADynamicResultBeforeWritingAnything() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[64 << 10]);

    for (List<String> args : List.of(List.of("convert", raw.toString(), "-"),
        List.of("convert", "--to", "dynamic", raw.toString(), "-"))) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), args + ": " + r.err());
      assertEquals("vhd convert: a dynamic VHD cannot be written into a stream, which is "
          + "written front to back in place; convert to raw or fixed", r.err().strip(),
          args.toString());
    }
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  /** A disk is not printed onto a terminal; {@code script} gives the tool one. */
  @Test
  void dashRefusesATerminalAsStandardOutput() throws IOException {
    PeerRequirement.assumePresent(QemuTools.onPath("script").isPresent(),
        "no script command to run the tool on a terminal");
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);

    QemuTools.Exit exit = QemuTools.runForExit(java.time.Duration.ofMinutes(2), List.of(
        "script", "-qec", String.join(" ", javaCommand(), "-cp",
            System.getProperty("java.class.path"), "io.vhdfs.cli.VhdCli", "convert", "--to",
            "raw", raw.toString(), "-"), "/dev/null"));

    assertEquals(2, exit.code(), exit.describe());
    assertTrue(exit.stdout().contains("vhd convert: standard output is a terminal"),
        exit.stdout());
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Set<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
