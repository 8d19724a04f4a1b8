package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.NewerJdk;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Exit;
import io.vhdfs.testing.QemuTools.Write;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built tool, target/vhd.jar, run as a process with this JVM's java (and once through the
 * repo's {@code ./vhd} launcher) on images qemu-img made: exit codes, standard output, and
 * nothing on standard error when a command succeeds with output that is not a terminal.
 */
final class VhdJarIT {
  private static final Path BASEDIR = Path.of(System.getProperty("basedir",
      System.getProperty("user.dir"))).toAbsolutePath();
  private static final Path JAR = BASEDIR.resolve("target/vhd.jar");
  private static final Path JAVA_BIN = Path.of(System.getProperty("java.home"), "bin");
  private static final long TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  @BeforeEach
  void jarIsBuilt() {
    assertTrue(Files.isRegularFile(JAR), JAR + " is built by mvn package, before this test");
  }

  /** A 64 MiB image qemu-img made, with two writes qemu-io made; skips without qemu. */
  private Path qemuImage(QemuTools qemu) {
    Path image = dir.resolve("q.vhd");
    qemu.create(image, 64L << 20, "");
    qemu.write(image, List.of(new Write(0xaa, 1 << 20, 65536), new Write(0xbb, 40L << 20, 512)));
    return image;
  }

  @Test
  void helpAndVersionPrintOnStandardOutput() {
    Exit help = succeeds(vhd("--help"));
    assertTrue(help.stdout().startsWith("Usage: vhd "), help.stdout());
    assertTrue(help.stdout().contains("  commit "), help.stdout());

    Exit version = succeeds(vhd("--version"));
    assertTrue(version.stdout().matches("vhd \\d+\\.\\d+\\.\\d+\\S*\\R"),
        "the jar's manifest gives the version: " + version.stdout());
  }

  @Test
  void infoJsonAgreesWithQemuImgInfo() {
    QemuTools qemu = QemuTools.require();
    Path image = qemuImage(qemu);
    Map<String, Object> qemuInfo = JsonReader.object(qemu.infoJson(image));

    Map<String, Object> info = JsonReader.object(succeeds(vhd("info", "--json",
        image.toString())).stdout());

    assertEquals(qemuInfo.get("virtual-size"), info.get("virtualSize"));
    assertEquals(qemuInfo.get("cluster-size"), info.get("blockSize"));
    assertEquals("dynamic", info.get("type"));
    assertEquals("qemu", info.get("creatorApplication"));
    // The jar's manifest enables native access, so from Java 22 on Linux it sees the blocks.
    boolean allocationVisible = Runtime.version().feature() >= 22
        && System.getProperty("os.name").startsWith("Linux");
    assertEquals(allocationVisible ? qemuInfo.get("actual-size") : (Object) hostSize(image),
        info.get("actual-size"), () -> "qemu-img: " + qemuInfo + ", vhd: " + info);
  }

  private static long hostSize(Path image) {
    try {
      return Files.size(image);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void mapJsonIsQemuImgMapsText() {
    QemuTools qemu = QemuTools.require();
    Path image = qemuImage(qemu);
    String theirs = qemu.qemuImg("map", "-f", "vpc", "--output=json", image.toString());

    assertEquals(theirs, succeeds(vhd("map", "--output=json", image.toString())).stdout());
    assertEquals(theirs, succeeds(vhd("map", "--json", image.toString())).stdout());
  }

  @Test
  void compareExitsZeroWhenIdenticalAndOneWithTheOffsetOfAChangedByte() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = qemuImage(qemu);
    Path raw = dir.resolve("q.raw");
    qemu.convertToRaw(image, raw);

    Exit same = succeeds(vhd("compare", image.toString(), raw.toString()));
    assertEquals("identical", same.stdout().strip());

    byte[] bytes = Files.readAllBytes(raw);
    bytes[(40 << 20) + 100] ^= (byte) 0x80;
    Files.write(raw, bytes);
    Exit differ = vhd("compare", raw.toString(), image.toString());
    assertEquals(1, differ.code(), differ::describe);
    assertEquals("differ at offset " + ((40 << 20) + 100), differ.stdout().strip());
    assertEquals("", differ.stderr(), "no progress when standard error is not a terminal");
  }

  @Test
  void commitOfAChildMakesTheQemuImageReadAsTheChainDid() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = qemuImage(qemu);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "q.vhd", null);
    Chains.write(child, (1 << 20) + 512, Chains.randomBytes(70_000, 5));
    Path before = CliFixtures.rawCopy(child, dir.resolve("before.raw"));

    Exit commit = succeeds(vhd("commit", child.toString()));

    assertTrue(commit.stdout().startsWith("committed " + child + " into "), commit.stdout());
    Exit qemuCompare = qemu.compare(image, before);
    assertEquals(0, qemuCompare.code(), "qemu-img reads the parent as the chain read: "
        + qemuCompare.describe());
  }

  /** Issue 10: {@code -} is standard output, here a pipe into {@code sha256sum}. */
  @Test
  void convertToDashPipesTheRawDiskQemuImgWouldMake() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = qemuImage(qemu);
    Path raw = dir.resolve("q.raw");
    qemu.convertToRaw(image, raw);

    Exit piped = run(List.of("bash", "-c", "set -o pipefail; \"$0\" -XX:TieredStopAtLevel=1 "
        + "-jar \"$1\" convert \"$2\" - | sha256sum", JAVA_BIN.resolve("java").toString(),
        JAR.toString(), image.toString()));

    assertEquals(0, piped.code(), piped::describe);
    assertEquals(Chains.sha256(raw) + "  -", piped.stdout().strip());
    assertEquals("", piped.stderr(), "nothing but the disk, and that into the pipe");
  }

  @Test
  void errorsExitTwoWithOneLineAndNoStackTrace() {
    // --debug's stack trace is CommandLineConventionsTest's; the jar adds nothing to it.
    Exit usage = vhd("info", "--bogus", "any.vhd");
    assertEquals(2, usage.code(), usage::describe);
    assertEquals("", usage.stdout());
    assertEquals(List.of("vhd: Unknown option: '--bogus' (see 'vhd info --help')"),
        usage.stderr().lines().toList());

    Exit missing = vhd("map", dir.resolve("nope.vhd").toString());
    assertEquals(2, missing.code(), missing::describe);
    assertEquals(List.of("vhd map: no such file: " + dir.resolve("nope.vhd")),
        missing.stderr().lines().toList());
  }

  @Test
  void launcherScriptRunsTheDemo() {
    Exit demo = succeeds(launcher("demo", dir.resolve("demo").toString()));

    assertTrue(demo.stdout().contains("# vhd info "), demo.stdout());
    assertTrue(demo.stdout().contains("allocatedBlocks    : 2"), demo.stdout());
    assertTrue(demo.stdout().contains("# vhd map "), demo.stdout());
    assertTrue(Files.isRegularFile(dir.resolve("demo/demo.vhd")));
    QemuTools.find().ifPresent(qemu -> assertTrue(demo.stdout().lines().anyMatch(l ->
        l.startsWith("virtualSize        : ") && l.endsWith(" ("
            + qemu.virtualSize(dir.resolve("demo/demo.vhd")) + " bytes)")),
        "qemu-img reads the size info shows: " + demo.stdout()));
  }

  @Test
  void underJava22TheJarsVersionedCallsFindBlocksAndHolesAndTheLauncherKeepsAnArchive()
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Path java = NewerJdk.java(22).orElse(null);
    PeerRequirement.assumePresent(java != null, "no JDK 22 or later found (looked at this JVM "
        + "and /usr/lib/jvm/*): install one, e.g. Temurin 25, to run the jar's "
        + "META-INF/versions/22 calls");
    Path home = java.getParent().getParent();
    Path image = qemuImage(qemu);
    Map<String, Object> qemuInfo = JsonReader.object(qemu.infoJson(image));
    Map<String, Object> info = JsonReader.object(succeeds(launcherUnder(home, "info", "--json",
        image.toString())).stdout());
    assertEquals(qemuInfo.get("actual-size"), info.get("actual-size"),
        () -> "statx's allocated blocks, as qemu-img counts them: " + info);

    // 256 MiB (HostDataRanges asks about no smaller file) holding 1 MiB: only that is read.
    Path raw = dir.resolve("sparse.raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      byte[] data = new byte[1 << 20];
      new Random(14).nextBytes(data);
      f.seek(100L << 20);
      f.write(data);
      f.setLength(256L << 20); // a hole to the end
    }
    Path out = dir.resolve("from-sparse.vhd");
    Map<String, Object> converted = JsonReader.object(succeeds(launcherUnder(home, "convert",
        "--json", raw.toString(), out.toString())).stdout());
    assertEquals(1L << 20, ((Number) converted.get("bytesRead")).longValue(),
        () -> "lseek(SEEK_DATA) found the one MiB of data: " + converted);
    Exit same = qemu.compare(out, raw);
    assertEquals(0, same.code(), same::describe);

    String version = NewerJdk.version(java);
    assertTrue(Files.isRegularFile(BASEDIR.resolve("target/vhd-" + version + ".jsa")),
        "./vhd made a class-data-sharing archive for Java " + version);
  }

  /** {@code java -jar target/vhd.jar args...} with this JVM's java. */
  private Exit vhd(String... args) {
    // C1 only: these runs are short, so the JVM starts faster and the tool runs the same.
    List<String> command = new ArrayList<>(List.of(JAVA_BIN.resolve("java").toString(),
        "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return run(command);
  }

  /** {@code bash ./vhd args...} in the repo with {@code JAVA_HOME} set to {@code home}. */
  private Exit launcherUnder(Path home, String... args) {
    List<String> command = new ArrayList<>(List.of("env", "JAVA_HOME=" + home, "bash", "./vhd"));
    command.addAll(List.of(args));
    return run(command);
  }

  /** {@code bash ./vhd args...} in the repo, with this JVM's java first on PATH. */
  private Exit launcher(String... args) {
    List<String> command = new ArrayList<>(List.of("bash", "./vhd"));
    command.addAll(List.of(args));
    return run(command);
  }

  private static Exit succeeds(Exit exit) {
    assertEquals(0, exit.code(), exit::describe);
    assertEquals("", exit.stderr(), "standard error of a successful run");
    return exit;
  }

  /**
   * Runs {@code command} in the repo's directory, its output to files (a full pipe cannot stall
   * it) and its input from /dev/null, so it has no console, as when piped.
   */
  private Exit run(List<String> command) {
    try {
      Path out = Files.createTempFile(dir, "vhd-", ".out");
      Path err = Files.createTempFile(dir, "vhd-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command).directory(BASEDIR.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().merge("PATH", JAVA_BIN.toString(),
          (path, java) -> java + File.pathSeparator + path);
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
        fail(command + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      return new Exit(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return fail("could not run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted running " + command, e);
    }
  }
}
