package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.run;
import static io.vhdfs.bench.BenchSupport.warmPageCache;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code vhd convert} ({@link VhdImages#convert}, in this JVM) against {@code qemu-img convert} on
 * the same files: a fully allocated 1 GiB dynamic image to raw, the raw back to dynamic, and a
 * 10%-allocated 1 GiB dynamic image to raw, which should take a fraction of the full one's time.
 * Then VHDX, as a whole process each: {@code java -jar target/vhd.jar convert --to vhdx} of the
 * raw 1 GiB (32 MiB blocks, our default) and {@code --to raw} of that VHDX, against
 * {@code qemu-img convert -O vhdx -o block_size=33554432} (the same block size) and
 * {@code -f vhdx -O raw}; the same conversions in this JVM are shown beside them, so the JVM's
 * start is seen apart from the work.
 *
 * <p>Run from the project directory (not part of the test suite); the VHDX part needs the tool's
 * jar, {@code target/vhd.jar}, and is skipped with a message without it:
 *
 * <pre>
 * mvn -q -DskipTests package &amp;&amp; java -cp target/classes:target/test-classes io.vhdfs.bench.ConvertBenchmark [--format=vhd|vhdx] [dir]
 * </pre>
 *
 * <p>{@code --format=vhd} runs only the VHD conversions, {@code --format=vhdx} only the VHDX ones;
 * without it both run. {@code dir} (default: a new temporary directory) needs about 5 GiB free.
 * Inputs are read once
 * before timing, so every run reads from the page cache; {@code sync} runs before every timed run,
 * so none pays for the dirty pages of the one before. Rounds alternate which tool goes first;
 * medians are reported after a warm-up round.
 *
 * <p>Durability differs by default: our conversion makes the result durable before it takes the
 * destination's name (that is what makes an interrupted or crashed convert leave nothing
 * half-written under it); {@code qemu-img convert} writes with cache mode {@code unsafe} and never
 * flushes. So qemu-img runs twice: as it comes, and with {@code -t writeback}, which flushes once
 * at the end, as we do. qemu-img's times include its process start (a few ms).
 */
public final class ConvertBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 1L << 30;
  private static final int BLOCK_SIZE = 2 * MIB;
  private static final int WARMUP_ROUNDS = 1;
  private static final int MEASURED_ROUNDS = 5;
  private static final int VHDX_BLOCK_SIZE = 32 * MIB;
  /** The tool's jar, as {@code ./vhd} runs it; the benchmark runs from the project directory. */
  private static final Path CLI_JAR = Path.of("target", "vhd.jar");

  private ConvertBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(List.of(args));
    String only = !rest.isEmpty() && rest.get(0).startsWith("--format=")
        ? rest.remove(0).substring("--format=".length()) : "";
    if (!List.of("", "vhd", "vhdx").contains(only)) {
      throw new IllegalArgumentException("--format=vhd or --format=vhdx, not " + only);
    }
    boolean ownDir = rest.isEmpty();
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-bench") : Path.of(rest.get(0));
    Files.createDirectories(dir);
    Path full = dir.resolve("full-1g.vhd");
    Path tenth = dir.resolve("tenth-1g.vhd");
    Path raw = dir.resolve("full-1g.raw");
    Path vhdx = dir.resolve("full-1g.vhdx");
    Path out = dir.resolve("out");
    try {
      System.out.printf(Locale.ROOT, "java %s, %d cores, files in %s; load average %s%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), dir,
          loadAverage());
      if (!run(List.of("qemu-img", "--version"))) {
        System.out.println("qemu-img not installed (Debian package qemu-utils): nothing to "
            + "compare with");
        return;
      }
      boolean vhdPart = !only.equals("vhdx");
      boolean vhdxPart = !only.equals("vhd");
      if (vhdxPart && !Files.isRegularFile(CLI_JAR)) {
        System.out.println(CLI_JAR.toAbsolutePath() + " missing (build it with mvn -B -q"
            + " -DskipTests package): VHDX part skipped");
        vhdxPart = false;
      }
      writeImage(full, 1);
      if (vhdPart) {
        writeImage(tenth, 10);
      }
      convert(full, raw, Format.RAW);
      if (vhdxPart) {
        convert(raw, vhdx, Format.VHDX);
      }
      for (Path p : List.of(full, tenth, raw, vhdx)) {
        if (Files.exists(p)) {
          warmPageCache(p);
        }
      }
      List<Workload> workloads = new ArrayList<>();
      if (vhdPart) {
        checkSameResults(full, raw, out);
        workloads.add(new Workload("full 1 GiB dynamic -> raw", full, Format.RAW, "vpc", "raw",
            ""));
        workloads.add(new Workload("raw 1 GiB -> dynamic", raw, Format.DYNAMIC, "raw", "vpc",
            "subformat=dynamic,force_size=on"));
        workloads.add(new Workload("10% of 1 GiB dynamic -> raw", tenth, Format.RAW, "vpc", "raw",
            ""));
      }
      if (vhdxPart) {
        checkSameVhdxResults(raw, vhdx, out);
        workloads.add(new Workload("raw 1 GiB -> vhdx (jar)", raw, Format.VHDX, "raw", "vhdx",
            "block_size=" + VHDX_BLOCK_SIZE).inProcess());
        workloads.add(new Workload("1 GiB vhdx -> raw (jar)", vhdx, Format.RAW, "vhdx", "raw", "")
            .inProcess());
      }
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d%-10s",
            round + 1, measured ? "" : " (warm-up)"));
        for (Workload w : workloads) {
          List<String> tools = w.tools();
          for (int k = 0; k < tools.size(); k++) {
            String tool = tools.get((round + k) % tools.size());
            long t = time(w, tool, out);
            if (measured) {
              w.times.computeIfAbsent(tool, x -> new ArrayList<>()).add(t);
            }
            line.append(String.format(Locale.ROOT, " %s %s %.0f ms;", w.shortName(), tool,
                t / 1e6));
          }
        }
        System.out.println(line);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "%-30s %9s %9s %9s %11s %11s %9s%n",
          "median of " + MEASURED_ROUNDS + " (ms)", "vhdfs", "qemu-img", "qemu -t wb",
          "vhdfs/qemu", "vhdfs/q-wb", "in JVM");
      for (Workload w : workloads) {
        double v = median(w.times.get("vhdfs")) / 1e6;
        double q = median(w.times.get("qemu")) / 1e6;
        double b = median(w.times.get("qemu-wb")) / 1e6;
        String inJvm = w.process
            ? String.format(Locale.ROOT, "%9.0f", median(w.times.get("vhdfs-jvm")) / 1e6)
            : String.format(Locale.ROOT, "%9s", "-");
        System.out.printf(Locale.ROOT, "%-30s %9.0f %9.0f %9.0f %11.2f %11.2f %s%n", w.name, v,
            q, b, v / q, v / b, inJvm);
      }
      for (Workload w : workloads) {
        if (w.process) {
          double n = median(w.times.get("vhdfs-nosync")) / 1e6;
          double q = median(w.times.get("qemu")) / 1e6;
          System.out.printf(Locale.ROOT, "%-30s --no-sync %.0f ms against plain qemu-img %.0f"
              + " ms: %.2f (target <= 1.0)%n", w.name, n, q, n / q);
        }
      }
      if (vhdPart) {
        double fullTime = median(workloads.get(0).times.get("vhdfs"));
        double tenthTime = median(workloads.get(2).times.get("vhdfs"));
        System.out.printf(Locale.ROOT, "10%%-allocated / full, to raw, vhdfs: %.2f%n",
            tenthTime / fullTime);
      }
      System.out.println("qemu-img: default cache (unsafe, no flush); qemu -t wb: -t writeback "
          + "(flushes at the end, as vhdfs does before its rename; for a vhdx target also at"
          + " every block's log entry). (jar) rows: vhdfs is the whole ./vhd process (java -jar "
          + CLI_JAR + " with the build's CDS archive); 'in JVM' is VhdImages.convert in this JVM"
          + " (no JVM start). Target for the"
          + " jar rows: vhdfs/q-wb <= 1.0.");
      System.out.println("load average at end: " + loadAverage());
    } finally {
      for (Path p : List.of(full, tenth, raw, vhdx, out)) {
        Files.deleteIfExists(p);
      }
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  /** One conversion: what from, into what, and how qemu-img is told the same. */
  private static final class Workload {
    final String name;
    final Path src;
    final Format to;
    final String qemuIn;
    final String qemuOut;
    final String qemuOptions;
    final Map<String, List<Long>> times = new LinkedHashMap<>();
    /** vhdfs runs as {@code java -jar} of the tool, timed as a whole process. */
    boolean process;

    Workload(String name, Path src, Format to, String qemuIn, String qemuOut,
        String qemuOptions) {
      this.name = name;
      this.src = src;
      this.to = to;
      this.qemuIn = qemuIn;
      this.qemuOut = qemuOut;
      this.qemuOptions = qemuOptions;
    }

    Workload inProcess() {
      process = true;
      return this;
    }

    /** What runs it, in turn: in-JVM beside the jar for a process workload. */
    List<String> tools() {
      return process ? List.of("vhdfs", "qemu", "qemu-wb", "vhdfs-jvm", "vhdfs-nosync")
          : List.of("vhdfs", "qemu", "qemu-wb");
    }

    String shortName() {
      if (process) {
        return to == Format.RAW ? "vhdx>raw" : "raw>vhdx";
      }
      return name.startsWith("full") ? "full" : name.startsWith("raw") ? "back" : "tenth";
    }

    /** The tool as users run it: {@code ./vhd}, with the build's class-data-sharing archive. */
    List<String> jarCommand(Path out) {
      List<String> c = new ArrayList<>(List.of("./vhd", "convert",
          "--to", to == Format.RAW ? "raw" : "vhdx"));
      c.addAll(List.of(src.toString(), out.toString()));
      return c;
    }

    List<String> qemuCommand(Path out, boolean writeback) {
      List<String> c = new ArrayList<>(List.of("qemu-img", "convert", "-f", qemuIn, "-O",
          qemuOut));
      if (writeback) {
        c.addAll(List.of("-t", "writeback"));
      }
      if (!qemuOptions.isEmpty()) {
        c.addAll(List.of("-o", qemuOptions));
      }
      c.addAll(List.of(src.toString(), out.toString()));
      return c;
    }
  }

  /** Nanoseconds for one conversion into {@code out}, which is deleted first and after. */
  private static long time(Workload w, String tool, Path out) throws Exception {
    Files.deleteIfExists(out);
    if (!run(List.of("sync"))) {
      throw new IOException("sync failed");
    }
    long t = System.nanoTime();
    if (tool.equals("vhdfs") && w.process) {
      if (!run(w.jarCommand(out))) {
        throw new IOException("vhd convert failed: " + w.jarCommand(out));
      }
    } else if (tool.equals("vhdfs-nosync")) {
      List<String> command = new ArrayList<>(w.jarCommand(out));
      command.add(2, "--no-sync");
      if (!run(command)) {
        throw new IOException("vhd convert failed: " + command);
      }
    } else if (tool.startsWith("vhdfs")) {
      convert(w.src, out, w.to);
    } else if (!run(w.qemuCommand(out, tool.equals("qemu-wb")))) {
      throw new IOException("qemu-img failed: " + w.qemuCommand(out, tool.equals("qemu-wb")));
    }
    long elapsed = System.nanoTime() - t;
    Files.deleteIfExists(out);
    return elapsed;
  }

  private static void convert(Path src, Path dst, Format to) throws IOException {
    VhdImages.convert(src, dst, ConvertOptions.DEFAULT.to(to), Map.of(),
        VhdImages.Progress.NONE);
  }

  /** The figures mean nothing unless both tools make the same disks. */
  private static void checkSameResults(Path full, Path raw, Path out) throws Exception {
    Path theirs = out.resolveSibling("theirs.raw");
    try {
      if (!run(List.of("qemu-img", "convert", "-f", "vpc", "-O", "raw", full.toString(),
          theirs.toString())) || Files.mismatch(theirs, raw) != -1) {
        throw new IllegalStateException("qemu-img and vhdfs convert " + full + " differently");
      }
      convert(raw, out, Format.DYNAMIC);
      if (!run(List.of("qemu-img", "compare", "-q", "-f", "vpc", "-F", "raw", out.toString(),
          raw.toString()))) {
        throw new IllegalStateException("qemu-img reads our dynamic result differently");
      }
    } finally {
      Files.deleteIfExists(theirs);
      Files.deleteIfExists(out);
    }
  }

  /**
   * Both tools must make the same disks from VHDX and into it: the jar's VHDX of the raw reads
   * as the raw in qemu-img, and qemu-img reads our VHDX input as the raw.
   */
  private static void checkSameVhdxResults(Path raw, Path vhdx, Path out) throws Exception {
    Path theirs = out.resolveSibling("theirs.raw");
    Workload toVhdx = new Workload("check", raw, Format.VHDX, "raw", "vhdx", "").inProcess();
    Workload toRaw = new Workload("check", vhdx, Format.RAW, "vhdx", "raw", "").inProcess();
    try {
      if (!run(List.of("qemu-img", "convert", "-f", "vhdx", "-O", "raw", vhdx.toString(),
          theirs.toString())) || Files.mismatch(theirs, raw) != -1) {
        throw new IllegalStateException("qemu-img reads " + vhdx + " differently from " + raw);
      }
      if (!run(toVhdx.jarCommand(out)) || !run(List.of("qemu-img", "compare", "-q", "-f", "vhdx",
          "-F", "raw", out.toString(), raw.toString()))) {
        throw new IllegalStateException("qemu-img reads the jar's vhdx differently");
      }
      Files.delete(out);
      if (!run(toRaw.jarCommand(out)) || Files.mismatch(out, raw) != -1) {
        throw new IllegalStateException("the jar converts " + vhdx + " to raw differently");
      }
    } finally {
      Files.deleteIfExists(theirs);
      Files.deleteIfExists(out);
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** A 1 GiB dynamic image with every {@code every}-th 2 MiB block of seeded random data. */
  private static void writeImage(Path image, int every) throws IOException {
    // 'qem2': every qemu-img version then takes the current size, so both read the same bytes.
    VhdImageBuilder b = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE).creator("qem2");
    for (int i = 0; i < DISK_SIZE / BLOCK_SIZE; i += every) {
      int index = i;
      b.block(index, () -> {
        byte[] block = new byte[BLOCK_SIZE];
        new Random(0x5EED_0000L + index).nextBytes(block);
        return block;
      });
    }
    b.writeTo(image);
  }
}
