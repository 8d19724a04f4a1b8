package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.run;
import static io.vhdfs.bench.BenchSupport.warmPageCache;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Copying a 1 GiB dynamic disk that holds 30% data out to a raw file, the standard Java ways and
 * ours, against {@code qemu-img convert -O raw} (issue 11, item 2): {@code Files.copy(disk, raw)},
 * {@code FileChannel.transferTo} from the disk, {@code vhd convert} ({@link VhdImages#convert}),
 * and, as the physical floor, {@code transferTo} between two plain files holding the same bytes
 * (sparse source, so that copy writes every zero). Each result's bytes and the space it takes
 * ({@code stat}, as {@code du}) are printed beside its time.
 *
 * <p>Run from the project directory (not part of the test suite); run it with JDK 21 or later to
 * see {@code Files.copy} reach {@code transferTo} (JDK 17 copies across providers through a
 * stream buffer):
 *
 * <pre>
 * mvn -q -DskipTests test-compile &amp;&amp; java -cp target/classes:target/test-classes io.vhdfs.bench.SparseCopyBenchmark [dir]
 * </pre>
 *
 * <p>Inputs are read once before timing; {@code sync} runs before every timed run; rounds rotate
 * which way goes first; medians after a warm-up round. qemu-img runs with its defaults (cache
 * {@code unsafe}, no flush), as {@code Files.copy} and {@code transferTo} do not force either,
 * and with {@code -t writeback}, one flush at the end, as {@code vhd convert} makes its result
 * durable before giving it the destination's name.
 */
public final class SparseCopyBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 1L << 30;
  private static final int BLOCK_SIZE = 2 * MIB;
  private static final int WARMUP_ROUNDS = 1;
  private static final int MEASURED_ROUNDS = 5;
  private static final List<String> WAYS =
      List.of("Files.copy", "transferTo", "vhd convert", "qemu-img", "qemu-img -t wb",
          "raw transferTo");

  private SparseCopyBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean ownDir = args.length == 0;
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-bench") : Path.of(args[0]);
    Files.createDirectories(dir);
    Path image = dir.resolve("thirty-1g.vhd");
    Path raw = dir.resolve("thirty-1g.raw");
    Path out = dir.resolve("out.raw");
    try {
      System.out.printf(Locale.ROOT, "java %s, %d cores, files in %s%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), dir);
      if (!run(List.of("qemu-img", "--version"))) {
        System.out.println("qemu-img not installed (Debian package qemu-utils): nothing to "
            + "compare with");
        return;
      }
      long stored = writeImage(image);
      VhdImages.convert(image, raw, ConvertOptions.DEFAULT.to(Format.RAW), Map.of(),
          VhdImages.Progress.NONE);
      warmPageCache(image);
      warmPageCache(raw);
      System.out.printf(Locale.ROOT, "1 GiB disk, %d MiB stored in %d MiB blocks%n",
          stored / MIB, BLOCK_SIZE / MIB);

      Map<String, List<Long>> times = new LinkedHashMap<>();
      Map<String, Long> space = new LinkedHashMap<>();
      Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
      try {
        for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
          boolean measured = round >= WARMUP_ROUNDS;
          StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %d%-10s",
              round + 1, measured ? "" : " (warm-up)"));
          for (int k = 0; k < WAYS.size(); k++) {
            String way = WAYS.get((round + k) % WAYS.size());
            Files.deleteIfExists(out);
            if (!run(List.of("sync"))) {
              throw new IOException("sync failed");
            }
            long t = System.nanoTime();
            copy(way, image, disk, raw, out);
            long elapsed = System.nanoTime() - t;
            if (Files.mismatch(out, raw) != -1) {
              throw new IllegalStateException(way + " made different bytes");
            }
            space.put(way, allocated(out));
            if (measured) {
              times.computeIfAbsent(way, x -> new ArrayList<>()).add(elapsed);
            }
            line.append(String.format(Locale.ROOT, " %s %.0f ms;", way, elapsed / 1e6));
          }
          System.out.println(line);
        }
      } finally {
        disk.getFileSystem().close();
      }
      System.out.println();
      double qemu = median(times.get("qemu-img"));
      System.out.printf(Locale.ROOT, "%-16s %10s %10s %12s%n", "median of " + MEASURED_ROUNDS,
          "ms", "/qemu-img", "space (MiB)");
      for (String way : WAYS) {
        double m = median(times.get(way));
        System.out.printf(Locale.ROOT, "%-16s %10.0f %10.2f %12.1f%n", way, m / 1e6, m / qemu,
            space.get(way) / (double) MIB);
      }
    } finally {
      for (Path p : List.of(image, raw, out)) {
        Files.deleteIfExists(p);
      }
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  private static void copy(String way, Path image, Path disk, Path raw, Path out)
      throws Exception {
    switch (way) {
      case "Files.copy" -> Files.copy(disk, out);
      case "transferTo" -> transfer(disk, out);
      case "vhd convert" -> VhdImages.convert(image, out,
          ConvertOptions.DEFAULT.to(Format.RAW), Map.of(), VhdImages.Progress.NONE);
      case "qemu-img" -> qemuConvert(List.of(), image, out);
      case "qemu-img -t wb" -> qemuConvert(List.of("-t", "writeback"), image, out);
      case "raw transferTo" -> transfer(raw, out);
      default -> throw new IllegalArgumentException(way);
    }
  }

  private static void qemuConvert(List<String> options, Path image, Path out) throws Exception {
    List<String> command = new ArrayList<>(List.of("qemu-img", "convert", "-f", "vpc", "-O",
        "raw"));
    command.addAll(options);
    command.addAll(List.of(image.toString(), out.toString()));
    if (!run(command)) {
      throw new IOException("failed: " + command);
    }
  }

  private static void transfer(Path from, Path to) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long size = in.size();
      for (long p = 0; p < size; ) {
        p += in.transferTo(p, size - p, out);
      }
    }
  }

  /** A 1 GiB dynamic image with 30% of its 2 MiB blocks, chosen by a fixed seed, random data. */
  private static long writeImage(Path image) throws IOException {
    VhdImageBuilder b = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE).creator("qem2");
    Random pick = new Random(0x5EED);
    long stored = 0;
    for (int i = 0; i < DISK_SIZE / BLOCK_SIZE; i++) {
      if (pick.nextInt(10) < 3) {
        int index = i;
        b.block(index, () -> {
          byte[] block = new byte[BLOCK_SIZE];
          new Random(0x5EED_0000L + index).nextBytes(block);
          return block;
        });
        stored += BLOCK_SIZE;
      }
    }
    b.writeTo(image);
    return stored;
  }

  /** The bytes {@code file} takes on its file system, by {@code stat}. */
  private static long allocated(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      String[] f = r.readLine().trim().split(" ");
      p.waitFor();
      return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
  }
}
