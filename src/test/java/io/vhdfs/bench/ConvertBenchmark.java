package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.warmPageCache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code ./vhd convert} against {@code qemu-img convert}, each a whole process as users run it,
 * on the same files (issue 14 item 5). Two disks: 1 GiB fully allocated, and 8 GiB with 10%
 * allocated (every tenth 2 MiB of seeded random bytes, holes between). For each: VHD to raw, raw
 * to a dynamic VHD, VHDX to raw and raw to a dynamic VHDX. The VHD and VHDX inputs are made by
 * qemu-img from the raw one ({@code -O vpc -o subformat=dynamic,force_size=on}, whose blocks' data
 * lie 512 bytes past a page after the first; {@code -O vhdx -o block_size=33554432}, our default
 * block size), so neither tool reads a layout of its own making.
 *
 * <p>Four tools per conversion:
 * <ul>
 *   <li>{@code vhdfs}: {@code ./vhd convert}, which makes the result durable before it takes the
 *       destination's name;
 *   <li>{@code vhdfs-nosync}: {@code ./vhd convert --no-sync}, which forces nothing;
 *   <li>{@code qemu}: plain {@code qemu-img convert} (cache mode {@code unsafe}: no flush);
 *   <li>{@code qemu-wb}: {@code qemu-img convert -t writeback}, which flushes once at the end.
 * </ul>
 * Both ratios are printed: {@code vhdfs / qemu-wb} (both flush) and {@code vhdfs-nosync / qemu}
 * (neither does); the target is at most 1.0 for each. qemu-img names the formats {@code vpc}
 * (VHD, {@code -o subformat=dynamic,force_size=on} so it keeps the size exactly as we do),
 * {@code vhdx} ({@code -o block_size=33554432}) and {@code raw}.
 *
 * <p>Before the rounds every conversion is run once by each tool and its result checked against
 * the raw disk with {@code qemu-img compare}: the figures mean nothing unless both make the same
 * disk. Inputs are read once before timing, so every run reads from the page cache;
 * {@code sync} runs before every timed run (not timed), so none pays for the dirty pages of the
 * one before. One warm-up round, then five measured rounds; each round runs the tools of a
 * conversion in a rotated order; medians are reported, of the wall-clock time and, where
 * {@code /usr/bin/time} is installed, of the CPU time each process took (user and system), which
 * other work on the machine disturbs less.
 *
 * <p>Run from the project directory after {@code mvn -B -q -DskipTests package} (which makes
 * {@code target/vhd.jar} and the class-data-sharing archive {@code ./vhd} uses):
 *
 * <pre>
 * java -cp target/classes:target/test-classes io.vhdfs.bench.ConvertBenchmark \
 *     [--java-home=DIR] [--only=SUBSTRING] [--rounds=N] [dir]
 * </pre>
 *
 * <p>{@code --java-home=DIR} runs {@code ./vhd} under that JDK (its {@code JAVA_HOME}), e.g.
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64}, where a raw source's holes are skipped unread
 * ({@code HostDataRanges}); without it, the {@code java} on the path. {@code --only} keeps the
 * conversions whose name contains the text (e.g. {@code --only="1 GiB"},
 * {@code --only="vhdx -> raw"}); {@code --rounds} sets the measured rounds (default 5).
 * {@code dir} (default: a new temporary directory) needs about 6 GiB free. The load average is
 * printed at the start and the end: other work on the machine slows every tool alike only if it
 * is steady.
 */
public final class ConvertBenchmark {
  private static final int MIB = 1 << 20;
  private static final int WARMUP_ROUNDS = 1;
  private static final int VHDX_BLOCK_SIZE = 32 * MIB;
  /** GNU time, for each run's CPU time; without it only wall-clock times are shown. */
  private static final Path TIME = Path.of("/usr/bin/time");
  private static final List<String> TOOLS =
      List.of("vhdfs", "vhdfs-nosync", "qemu", "qemu-wb");

  private ConvertBenchmark() {}

  public static void main(String[] args) throws Exception {
    String javaHome = null;
    String only = "";
    int rounds = 5;
    Path dir = null;
    for (String a : args) {
      if (a.startsWith("--java-home=")) {
        javaHome = a.substring("--java-home=".length());
      } else if (a.startsWith("--only=")) {
        only = a.substring("--only=".length());
      } else if (a.startsWith("--rounds=")) {
        rounds = Integer.parseInt(a.substring("--rounds=".length()));
      } else if (a.startsWith("--")) {
        throw new IllegalArgumentException("unknown option " + a
            + "; use --java-home=DIR, --only=SUBSTRING, --rounds=N");
      } else {
        dir = Path.of(a);
      }
    }
    if (!Files.isRegularFile(Path.of("target", "vhd.jar"))) {
      System.out.println("target/vhd.jar missing: build it with mvn -B -q -DskipTests package,"
          + " and run this from the project directory");
      return;
    }
    if (!run(List.of("qemu-img", "--version"), null)) {
      System.out.println("qemu-img not installed (Debian package qemu-utils): nothing to "
          + "compare with");
      return;
    }
    Map<String, String> env = new LinkedHashMap<>();
    if (javaHome != null) {
      env.put("JAVA_HOME", javaHome);
    }
    boolean ownDir = dir == null;
    dir = ownDir ? Files.createTempDirectory("vhdfs-bench") : dir;
    Files.createDirectories(dir);
    List<Path> made = new ArrayList<>();
    Path out = dir.resolve("out");
    try {
      System.out.printf(Locale.ROOT, "./vhd under %s; %d cores; files in %s; load average %s%n",
          javaHome == null ? "the java on the path" : javaHome,
          Runtime.getRuntime().availableProcessors(), dir, loadAverage());
      System.out.printf(Locale.ROOT, "./vhd --version alone: %.0f ms (median of 5)%n",
          startUp(env) / 1e6);
      List<Conversion> conversions = new ArrayList<>();
      for (Disk disk : List.of(new Disk("1 GiB full", 1L << 30, 1),
          new Disk("8 GiB 10%", 8L << 30, 10))) {
        String part = only;
        List<Conversion> these = disk.conversions().stream()
            .filter(c -> c.name.contains(part)).toList();
        if (these.isEmpty()) {
          continue;
        }
        disk.make(dir, made);
        for (Conversion c : these) {
          c.check(out, env);
          conversions.add(c);
        }
        for (Path p : disk.files()) {
          warmPageCache(p);
        }
      }
      if (conversions.isEmpty()) {
        System.out.println("no conversion's name contains '" + only + "'");
        return;
      }
      for (int round = 0; round < WARMUP_ROUNDS + rounds; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d%s:",
            round + 1, measured ? "" : " (warm-up)"));
        for (Conversion c : conversions) {
          line.append(String.format(Locale.ROOT, " [%s]", c.name));
          for (int k = 0; k < TOOLS.size(); k++) {
            String tool = TOOLS.get((round + k) % TOOLS.size());
            long t = c.time(tool, out, env, measured);
            if (measured) {
              c.times.computeIfAbsent(tool, x -> new ArrayList<>()).add(t);
            }
            line.append(String.format(Locale.ROOT, " %s %.0f", tool, t / 1e6));
          }
        }
        System.out.println(line);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "%-24s %8s %8s %8s %8s %13s %13s%n",
          "median of " + rounds + ", ms", "vhdfs", "no-sync", "qemu", "qemu-wb",
          "vhdfs/q-wb", "no-sync/qemu");
      for (Conversion c : conversions) {
        double v = median(c.times.get("vhdfs")) / 1e6;
        double n = median(c.times.get("vhdfs-nosync")) / 1e6;
        double q = median(c.times.get("qemu")) / 1e6;
        double w = median(c.times.get("qemu-wb")) / 1e6;
        System.out.printf(Locale.ROOT, "%-24s %8.0f %8.0f %8.0f %8.0f %13.2f %13.2f%n", c.name,
            v, n, q, w, v / w, n / q);
      }
      if (!conversions.get(0).cpu.isEmpty()) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-24s %8s %8s %8s %8s %13s %13s%n",
            "CPU (user+sys), ms", "vhdfs", "no-sync", "qemu", "qemu-wb", "vhdfs/q-wb",
            "no-sync/qemu");
        for (Conversion c : conversions) {
          double v = median(c.cpu.get("vhdfs")) / 1e6;
          double n = median(c.cpu.get("vhdfs-nosync")) / 1e6;
          double q = median(c.cpu.get("qemu")) / 1e6;
          double w = median(c.cpu.get("qemu-wb")) / 1e6;
          System.out.printf(Locale.ROOT, "%-24s %8.0f %8.0f %8.0f %8.0f %13.2f %13.2f%n",
              c.name, v, n, q, w, v / w, n / q);
        }
        System.out.println("(CPU time does not wait for the disk or for other processes: on a"
            + " loaded machine it compares the work where wall-clock times scatter.)");
      }
      System.out.println("vhdfs: ./vhd convert (forced before the rename); no-sync: ./vhd "
          + "convert --no-sync; qemu: qemu-img convert (unsafe, no flush); qemu-wb: -t writeback"
          + " (one flush at the end). Targets: vhdfs/q-wb <= 1.0 and no-sync/qemu <= 1.0.");
      System.out.println("load average at the end: " + loadAverage());
    } finally {
      Files.deleteIfExists(out);
      for (Path p : made) {
        Files.deleteIfExists(p);
      }
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  /** One disk in its three forms: raw, VHD and VHDX, all holding the same bytes. */
  private static final class Disk {
    final String name;
    final long size;
    /** Every how many 2 MiB pieces hold data. */
    final int every;
    Path raw;
    Path vhd;
    Path vhdx;

    Disk(String name, long size, int every) {
      this.name = name;
      this.size = size;
      this.every = every;
    }

    List<Conversion> conversions() {
      return List.of(
          new Conversion(name + ": vhd -> raw", this, Form.VHD, "raw"),
          new Conversion(name + ": raw -> vhd", this, Form.RAW, "dynamic"),
          new Conversion(name + ": vhdx -> raw", this, Form.VHDX, "raw"),
          new Conversion(name + ": raw -> vhdx", this, Form.RAW, "vhdx"));
    }

    List<Path> files() {
      return List.of(raw, vhd, vhdx);
    }

    /** Writes the raw disk (seeded random pieces, holes between), and qemu-img's images of it. */
    void make(Path dir, List<Path> made) throws Exception {
      String stem = name.replace(' ', '-').replace("%", "pct");
      raw = dir.resolve(stem + ".raw");
      vhd = dir.resolve(stem + ".vhd");
      vhdx = dir.resolve(stem + ".vhdx");
      made.addAll(List.of(raw, vhd, vhdx));
      for (Path p : files()) {
        Files.deleteIfExists(p);
      }
      int piece = 2 * MIB;
      ByteBuffer buf = ByteBuffer.allocateDirect(piece);
      byte[] bytes = new byte[piece];
      try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        for (long i = 0; i < size / piece; i += every) {
          SplittableRandom random = new SplittableRandom(0x5EED_0000L + i);
          for (int k = 0; k < piece; k += 8) {
            long v = random.nextLong();
            for (int b = 0; b < 8; b++) {
              bytes[k + b] = (byte) (v >>> (8 * b));
            }
          }
          buf.clear().put(bytes).flip();
          while (buf.hasRemaining()) {
            ch.write(buf, i * piece + buf.position());
          }
        }
        if (ch.size() < size) {
          ch.write(ByteBuffer.allocate(1), size - 1); // a zero: the disk's last byte
        }
      }
      mustRun(List.of("qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
          "subformat=dynamic,force_size=on", raw.toString(), vhd.toString()), null);
      mustRun(List.of("qemu-img", "convert", "-f", "raw", "-O", "vhdx", "-o",
          "block_size=" + VHDX_BLOCK_SIZE, raw.toString(), vhdx.toString()), null);
    }
  }

  private enum Form {
    RAW("raw", ""),
    VHD("vpc", "subformat=dynamic,force_size=on"),
    VHDX("vhdx", "block_size=" + VHDX_BLOCK_SIZE);

    final String qemuName;
    final String qemuOptions;

    Form(String qemuName, String qemuOptions) {
      this.qemuName = qemuName;
      this.qemuOptions = qemuOptions;
    }

    static Form of(String to) {
      return switch (to) {
        case "raw" -> RAW;
        case "dynamic" -> VHD;
        case "vhdx" -> VHDX;
        default -> throw new IllegalArgumentException(to);
      };
    }
  }

  /** One conversion of a disk, from one of its forms into another. */
  private static final class Conversion {
    final String name;
    final Disk disk;
    final Form from;
    final String to;
    final Map<String, List<Long>> times = new LinkedHashMap<>();
    final Map<String, List<Long>> cpu = new LinkedHashMap<>();

    Conversion(String name, Disk disk, Form from, String to) {
      this.name = name;
      this.disk = disk;
      this.from = from;
      this.to = to;
    }

    Path source() {
      return switch (from) {
        case RAW -> disk.raw;
        case VHD -> disk.vhd;
        case VHDX -> disk.vhdx;
      };
    }

    List<String> command(String tool, Path out) {
      List<String> c = new ArrayList<>();
      Form into = Form.of(to);
      if (tool.startsWith("vhdfs")) {
        c.addAll(List.of("./vhd", "convert"));
        if (tool.equals("vhdfs-nosync")) {
          c.add("--no-sync");
        }
        c.addAll(List.of("--to", to));
      } else {
        c.addAll(List.of("qemu-img", "convert", "-f", from.qemuName, "-O", into.qemuName));
        if (tool.equals("qemu-wb")) {
          c.addAll(List.of("-t", "writeback"));
        }
        if (!into.qemuOptions.isEmpty()) {
          c.addAll(List.of("-o", into.qemuOptions));
        }
      }
      c.addAll(List.of(source().toString(), out.toString()));
      return c;
    }

    /** Every tool's result reads as the raw disk (qemu-img compare), or the run stops here. */
    void check(Path out, Map<String, String> env) throws Exception {
      for (String tool : TOOLS) {
        Files.deleteIfExists(out);
        mustRun(command(tool, out), env);
        if (!run(List.of("qemu-img", "compare", "-q", "-f", Form.of(to).qemuName, "-F", "raw",
            out.toString(), disk.raw.toString()), null)) {
          throw new IllegalStateException(name + ": " + tool + "'s result does not read as "
              + disk.raw);
        }
      }
      Files.deleteIfExists(out);
    }

    /**
     * Nanoseconds for one run into {@code out}, which is deleted first and after; the CPU time
     * the process took (user and system, all its threads), where {@code /usr/bin/time} tells it,
     * goes into {@link #cpu} when {@code measured}.
     */
    long time(String tool, Path out, Map<String, String> env, boolean measured)
        throws Exception {
      Files.deleteIfExists(out);
      mustRun(List.of("sync"), null);
      List<String> command = new ArrayList<>();
      Path cpuFile = out.resolveSibling("cpu-time");
      if (Files.isExecutable(TIME)) {
        command.addAll(List.of(TIME.toString(), "-f", "%U %S", "-o", cpuFile.toString()));
      }
      command.addAll(command(tool, out));
      long t = System.nanoTime();
      mustRun(command, tool.startsWith("vhdfs") ? env : null);
      long elapsed = System.nanoTime() - t;
      Files.deleteIfExists(out);
      if (Files.isExecutable(TIME)) {
        String[] f = Files.readString(cpuFile).trim().split("\\s+");
        long nanos = Math.round((Double.parseDouble(f[f.length - 2])
            + Double.parseDouble(f[f.length - 1])) * 1e9);
        Files.delete(cpuFile);
        if (measured) {
          cpu.computeIfAbsent(tool, x -> new ArrayList<>()).add(nanos);
        }
      }
      return elapsed;
    }
  }

  /** The median time of {@code ./vhd --version}, after one run to warm the caches. */
  private static double startUp(Map<String, String> env) throws Exception {
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long t = System.nanoTime();
      mustRun(List.of("./vhd", "--version"), env);
      if (i > 0) {
        times.add(System.nanoTime() - t);
      }
    }
    return median(times);
  }

  private static void mustRun(List<String> command, Map<String, String> env) throws Exception {
    if (!run(command, env)) {
      throw new IOException("failed: " + String.join(" ", command));
    }
  }

  /** Runs {@code command} with {@code env} added to this process's environment. */
  private static boolean run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    if (env != null) {
      pb.environment().putAll(env);
    }
    try {
      return pb.start().waitFor() == 0;
    } catch (IOException e) {
      if (command.size() == 2) {
        return false; // "tool --version": the tool is missing
      }
      throw e;
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
