package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code qemu-img} and {@code qemu-io} (Debian {@code qemu-utils}) as reference peers.
 *
 * <p>Tests call {@link #require()} first: when the tools are not installed the test is skipped
 * with a message saying what to install, or fails where peers are required (see
 * {@link PeerRequirement}). A tool that exits non-zero fails the test with its stderr, because a
 * fixture that was not built as asked would make every later comparison meaningless.
 */
public final class QemuTools {
  /** Generous: the slowest call (convert of a sparse 500 GiB image) takes well under a second. */
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private static final Pattern EXTENT = Pattern.compile(
      "\\{\\s*\"start\":\\s*(\\d+),\\s*\"length\":\\s*(\\d+),[^}]*?\"zero\":\\s*(true|false),"
          + "\\s*\"data\":\\s*(true|false)[^}]*}");
  private static final Pattern VIRTUAL_SIZE = Pattern.compile("\"virtual-size\":\\s*(\\d+)");

  private final Path qemuImg;
  private final Path qemuIo;

  private QemuTools(Path qemuImg, Path qemuIo) {
    this.qemuImg = qemuImg;
    this.qemuIo = qemuIo;
  }

  /** What a test that needs QEMU says when it is not installed. */
  public static final String MISSING = "qemu-img/qemu-io not found on PATH; install Debian "
      + "package qemu-utils to run the QEMU interop tests";

  /** Finds both tools on PATH, or skips the calling test (fails it where peers are required). */
  public static QemuTools require() {
    Optional<QemuTools> found = onPath();
    PeerRequirement.assumePresent(found.isPresent(), MISSING);
    return found.get();
  }

  /**
   * Both tools when they are on PATH, for tests that use QEMU as one verdict among several; empty
   * when they are not, except where peers are required: there a missing QEMU fails the test.
   */
  public static Optional<QemuTools> find() {
    Optional<QemuTools> found = onPath();
    if (found.isEmpty() && PeerRequirement.peersRequired()) {
      PeerRequirement.assumePresent(false, MISSING);
    }
    return found;
  }

  /**
   * An executable the tests use as a measuring tool (such as {@code stat}), found on PATH, or the
   * calling test is skipped (failed where peers are required) with {@code whyNeeded}.
   */
  public static Path requireOnPath(String name, String whyNeeded) {
    Optional<Path> found = onPath(name);
    PeerRequirement.assumePresent(found.isPresent(), "no '" + name + "' on PATH: " + whyNeeded);
    return found.get();
  }

  /**
   * The bytes a host file takes on its file system ({@code stat -c "%b %B"}), less than its length
   * where it has holes; the calling test is skipped (failed where peers are required) without
   * {@code stat}.
   */
  public static long allocatedBytes(Path file) {
    Path stat = requireOnPath("stat", "it counts the blocks a file takes");
    String[] out = run(Duration.ofSeconds(30),
        List.of(stat.toString(), "-c", "%b %B", file.toString())).stdout().trim().split(" ");
    return Long.parseLong(out[0]) * Long.parseLong(out[1]);
  }

  private static Optional<QemuTools> onPath() {
    Optional<Path> img = onPath("qemu-img");
    Optional<Path> io = onPath("qemu-io");
    return img.isPresent() && io.isPresent()
        ? Optional.of(new QemuTools(img.get(), io.get()))
        : Optional.empty();
  }

  /** The first executable called {@code name} in a PATH directory. */
  public static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------- image recipes

  /**
   * {@code qemu-img create -f vpc [-o options] image size}.
   *
   * @param options comma-separated {@code -o} options such as {@code subformat=fixed}, or empty
   */
  public void create(Path image, long size, String options) {
    List<String> args = new ArrayList<>(List.of("create", "-q", "-f", "vpc"));
    if (!options.isEmpty()) {
      args.addAll(List.of("-o", options));
    }
    args.addAll(List.of(image.toString(), Long.toString(size)));
    qemuImg(args.toArray(String[]::new));
  }

  /**
   * Applies every write in one {@code qemu-io} run, in order, so later writes overwrite earlier
   * ones exactly as listed.
   */
  public void write(Path image, List<Write> writes) {
    if (writes.isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("-f", "vpc"));
    for (Write w : writes) {
      args.add("-c");
      args.add(String.format("write -P 0x%02x %d %d", w.pattern(), w.offset(), w.length()));
    }
    args.add(image.toString());
    run(TIMEOUT, command(qemuIo, args.toArray(String[]::new)));
  }

  /** {@code qemu-img convert -f vpc -O raw}: QEMU's view of the guest bytes. */
  public void convertToRaw(Path image, Path raw) {
    qemuImg("convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
  }

  /** The virtual size QEMU reports; forced to vpc so fixed images are not probed as raw. */
  public long virtualSize(Path image) {
    String json = qemuImg("info", "-f", "vpc", "--output=json", image.toString());
    Matcher m = VIRTUAL_SIZE.matcher(json);
    if (!m.find()) {
      fail("no virtual-size in qemu-img info output:\n" + json);
    }
    return Long.parseLong(m.group(1));
  }

  /** {@code qemu-img map -f vpc --output=json}, parsed. */
  public List<Extent> map(Path image) {
    String json = qemuImg("map", "-f", "vpc", "--output=json", image.toString());
    List<Extent> extents = new ArrayList<>();
    Matcher m = EXTENT.matcher(json);
    while (m.find()) {
      extents.add(new Extent(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
          Boolean.parseBoolean(m.group(3)), Boolean.parseBoolean(m.group(4))));
    }
    if (extents.isEmpty()) {
      fail("could not parse qemu-img map output:\n" + json);
    }
    return extents;
  }

  /** Runs qemu-img with the given arguments and returns its stdout. */
  public String qemuImg(String... args) {
    return run(TIMEOUT, command(qemuImg, args)).stdout();
  }

  /** Runs qemu-io with the given arguments and returns its stdout. */
  public String qemuIo(String... args) {
    return run(TIMEOUT, command(qemuIo, args)).stdout();
  }

  // ---------------------------------------------------------------- verdicts on images we wrote

  /**
   * {@code qemu-img compare -f vpc -F raw image raw}: exit 0 means QEMU sees identical guest
   * bytes, 1 that they differ (stdout says where), anything else an error. Never fails the test
   * itself, so the caller can put its own context into the message.
   */
  public Exit compare(Path image, Path raw) {
    return runForExit(TIMEOUT, command(qemuImg, "compare", "-f", "vpc", "-F", "raw",
        image.toString(), raw.toString()));
  }

  /**
   * {@link #compare} with {@code -U}, for an image a vhdfs writer holds open: its image locks
   * keep every QEMU reader out unless it forces sharing, as it would keep a VM's out.
   */
  public Exit compareSharing(Path image, Path raw) {
    return runForExit(TIMEOUT, command(qemuImg, "compare", "-U", "-f", "vpc", "-F", "raw",
        image.toString(), raw.toString()));
  }

  /**
   * {@code qemu-img check -f vpc image}, or empty when this qemu-img cannot check vpc images
   * (exit 63, "does not support checks": every qemu release so far), so callers skip that line
   * only. A check that runs returns its exit code and output: 0 is clean.
   */
  public Optional<Exit> check(Path image) {
    Exit exit = runForExit(TIMEOUT, command(qemuImg, "check", "-f", "vpc", image.toString()));
    if (exit.code() == 63 || exit.stderr().contains("does not support checks")) {
      return Optional.empty();
    }
    return Optional.of(exit);
  }

  /** {@code qemu-img info -f vpc --output=json}: the whole JSON, for messages. */
  public String infoJson(Path image) {
    return qemuImg("info", "-f", "vpc", "--output=json", image.toString());
  }

  // ---------------------------------------------------------------- process running

  /** What a finished process printed. */
  public record Result(String stdout, String stderr) {}

  /** How a process ended: exit code and what it printed. */
  public record Exit(int code, String stdout, String stderr) {
    /** For failure messages: the code and whatever the tool printed. */
    public String describe() {
      return "exit " + code + (stdout.isBlank() ? "" : "; stdout: " + stdout.strip())
          + (stderr.isBlank() ? "" : "; stderr: " + stderr.strip());
    }
  }

  /** One guest write: {@code length} bytes of {@code pattern} at {@code offset}. */
  public record Write(int pattern, long offset, long length) {
    @Override
    public String toString() {
      return String.format("0x%02x@%d+%d", pattern, offset, length);
    }
  }

  /** One entry of {@code qemu-img map}: a guest range that is data, zeros, or both flags. */
  public record Extent(long start, long length, boolean zero, boolean data) {}

  /**
   * Runs a command, waits at most {@code timeout}, and fails the test with the command's stderr
   * if it exits non-zero. Output goes to temp files rather than pipes so a chatty tool cannot
   * block on a full pipe while we wait for it.
   */
  public static Result run(Duration timeout, List<String> command) {
    Exit exit = runForExit(timeout, command);
    if (exit.code() != 0) {
      fail(String.join(" ", command) + " exited with " + exit.code() + "; stderr:\n"
          + exit.stderr() + (exit.stdout().isBlank() ? "" : "\nstdout:\n" + exit.stdout()));
    }
    return new Result(exit.stdout(), exit.stderr());
  }

  /**
   * Like {@link #run} but returns the exit code instead of failing on a non-zero one, for tools
   * whose exit code is the answer ({@code qemu-img compare}, {@code qemu-img check}). A tool that
   * does not finish or cannot be started still fails the test.
   */
  public static Exit runForExit(Duration timeout, List<String> command) {
    return runForExit(timeout, command, Path.of("/dev/null"));
  }

  /** {@link #runForExit(Duration, List)} with standard input read from {@code stdin}. */
  public static Exit runForExit(Duration timeout, List<String> command, Path stdin) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("vhdfs-proc-", ".out");
      err = Files.createTempFile("vhdfs-proc-", ".err");
      Process p = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        fail(String.join(" ", command) + " did not finish within " + timeout + "; stderr:\n"
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Exit(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return fail("could not run " + String.join(" ", command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted while running " + String.join(" ", command), e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static List<String> command(Path tool, String... args) {
    List<String> command = new ArrayList<>();
    command.add(tool.toString());
    command.addAll(Arrays.asList(args));
    return command;
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // A leftover temp file must not mask the test's real outcome.
    }
  }
}
