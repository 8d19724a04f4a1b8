package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tools that make and check partition tables and file systems, as reference peers:
 * {@code sfdisk} (Debian {@code fdisk}), {@code sgdisk} ({@code gdisk}), {@code mkfs.ext4},
 * {@code debugfs}, {@code e2fsck} ({@code e2fsprogs}), {@code mkfs.fat} ({@code dosfstools}),
 * {@code mcopy} and {@code mtype} ({@code mtools}).
 *
 * <p>They live in {@code /usr/sbin} or {@code /sbin}, which are not on every user's PATH, so
 * those are searched too. {@link #require()} skips the calling test with a message saying what to
 * install when one is missing, or fails it where peers are required ({@link PeerRequirement}). A
 * tool that exits non-zero fails the test with its output.
 */
public final class PartitionTools {
  /** What a test that needs the tools says when one is missing. */
  public static final String PACKAGES = "fdisk gdisk dosfstools mtools e2fsprogs";
  /** The commands the tests run. */
  public static final List<String> TOOLS = List.of("sfdisk", "sgdisk", "mkfs.ext4", "debugfs",
      "e2fsck", "mkfs.fat", "mcopy", "mtype");
  private static final Duration TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern INFO_LINE = Pattern.compile("^([A-Za-z ]+): (.*)$",
      Pattern.MULTILINE);

  private final Map<String, Path> tools;

  private PartitionTools(Map<String, Path> tools) {
    this.tools = tools;
  }

  /** Finds every tool, or skips the calling test (fails it where peers are required). */
  public static PartitionTools require() {
    Optional<PartitionTools> all = findAll();
    PeerRequirement.assumePresent(all.isPresent(), missing() + " not found on PATH, in "
        + "/usr/sbin or /sbin; install Debian packages " + PACKAGES + " to run the partition "
        + "interop tests");
    return all.get();
  }

  /** Every tool, or empty if one is missing; for code outside tests (the seed corpus writer). */
  public static Optional<PartitionTools> findAll() {
    Map<String, Path> found = new LinkedHashMap<>();
    for (String t : TOOLS) {
      find(t).ifPresent(p -> found.put(t, p));
    }
    return found.size() == TOOLS.size() ? Optional.of(new PartitionTools(found))
        : Optional.empty();
  }

  private static List<String> missing() {
    return TOOLS.stream().filter(t -> find(t).isEmpty()).toList();
  }

  /** {@code name} on PATH, else in {@code /usr/sbin} or {@code /sbin}. */
  static Optional<Path> find(String name) {
    Optional<Path> onPath = QemuTools.onPath(name);
    if (onPath.isPresent()) {
      return onPath;
    }
    for (String dir : new String[] {"/usr/sbin", "/sbin"}) {
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private String run(String tool, String... args) {
    return QemuTools.run(TIMEOUT, command(tool, args)).stdout();
  }

  private List<String> command(String tool, String... args) {
    List<String> c = new ArrayList<>();
    c.add(tools.get(tool).toString());
    c.addAll(Arrays.asList(args));
    return c;
  }

  // ---------------------------------------------------------------- tables

  /** Partitions {@code disk} with {@code sfdisk}, the script as its standard input. */
  public void sfdisk(Path disk, String script) throws IOException {
    Path in = Files.createTempFile("vhdfs-sfdisk-", ".txt");
    try {
      Files.writeString(in, script, StandardCharsets.UTF_8);
      QemuTools.Exit exit = QemuTools.runForExit(TIMEOUT,
          command("sfdisk", "--no-reread", "--no-tell-kernel", "-q", disk.toString()), in);
      if (exit.code() != 0) {
        fail("sfdisk " + disk + " with\n" + script + "\n" + exit.describe());
      }
    } finally {
      Files.deleteIfExists(in);
    }
  }

  /** {@code sfdisk --json disk}: the partition table object. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> sfdiskJson(Path disk) {
    return (Map<String, Object>) JsonReader.object(run("sfdisk", "--json", disk.toString()))
        .get("partitiontable");
  }

  /** Runs {@code sgdisk} with {@code args} on {@code disk}. */
  public String sgdisk(Path disk, String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add(disk.toString());
    return run("sgdisk", all.toArray(String[]::new));
  }

  /**
   * {@code sgdisk -i n disk}, as its labels ({@code "Partition GUID code"}, {@code "First
   * sector"}, {@code "Attribute flags"}, {@code "Partition name"}, ...) to their values.
   */
  public Map<String, String> sgdiskInfo(Path disk, int n) {
    Map<String, String> info = new LinkedHashMap<>();
    Matcher m = INFO_LINE.matcher(sgdisk(disk, "-i", Integer.toString(n)));
    while (m.find()) {
      info.put(m.group(1), m.group(2).strip());
    }
    if (!info.containsKey("First sector")) {
      fail("no partition " + n + " in sgdisk -i output: " + info);
    }
    return info;
  }

  // ---------------------------------------------------------------- file systems

  /** Makes an ext4 file system filling {@code image} (its length) holding {@code content}. */
  public void mkfsExt4(Path image, Path content) {
    run("mkfs.ext4", "-q", "-F", "-d", content.toString(), image.toString());
  }

  /** {@code debugfs -R 'cat path' image}: a file's bytes as text. */
  public String debugfsCat(Path image, String path) {
    return run("debugfs", "-R", "cat " + path, image.toString());
  }

  /** {@code e2fsck -fn image}: a forced, read-only check; exit 0 means clean. */
  public QemuTools.Exit e2fsck(Path image) {
    return QemuTools.runForExit(TIMEOUT, command("e2fsck", "-fn", image.toString()));
  }

  /** Makes a FAT file system filling {@code image} (its length). */
  public void mkfsFat(Path image, String label) {
    run("mkfs.fat", "-n", label, image.toString());
  }

  /**
   * {@code mcopy -i image src ::/name}; {@code image} may be {@code file@@offset} for a file
   * system inside a disk.
   */
  public void mcopy(String image, Path src, String name) {
    run("mcopy", "-i", image, src.toString(), "::/" + name);
  }

  /** {@code mtype -i image ::/name}: a file's text, read by mtools. */
  public String mtype(String image, String name) {
    return run("mtype", "-i", image, "::/" + name);
  }
}
