package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How long {@code vhd map} takes over a fragmented differencing child: 262,145 extents, which
 * issue 11 found took 8.8 s to print and wants under 1 s.
 *
 * <p>Run from the project directory (not part of the test suite):
 *
 * <pre>
 * mvn -q -DskipTests package &amp;&amp; java -cp target/test-classes:target/vhd.jar io.vhdfs.bench.MapBenchmark [dir]
 * </pre>
 *
 * <p>The base, a 256 MiB dynamic image, holds its first 128 MiB; the child, written through the
 * provider, holds every other sector of them, so the map alternates the child's data and the
 * base's 262,144 times, then ends in zeros. Times are the whole command in this JVM (open, walk
 * the chain, format, write), to a sink that discards the text, for {@code --output=human} and
 * {@code --output=json}, after warm-up; medians of the measured rounds. The same runs also give
 * the time of the library's extent list alone, to tell where the time goes.
 */
public final class MapBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 256L * MIB;
  private static final int FRAGMENTED = 128 * MIB;
  private static final int SECTOR = 512;
  private static final int WARMUP_ROUNDS = 3;
  private static final int MEASURED_ROUNDS = 7;

  private MapBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean ownDir = args.length == 0;
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-map-bench") : Path.of(args[0]);
    Files.createDirectories(dir);
    Path base = dir.resolve("base.vhd");
    Path child = dir.resolve("child.vhd");
    try {
      long t0 = System.nanoTime();
      writeChain(base, child);
      System.out.printf(Locale.ROOT, "java %s; wrote the chain in %.1f s%n",
          System.getProperty("java.version"), (System.nanoTime() - t0) / 1e9);
      int extents = io.vhdfs.nio.VhdImages.extents(child, java.util.Map.of()).size();
      System.out.printf(Locale.ROOT, "%d extents%n", extents);
      for (String what : List.of("list", "human", "json")) {
        List<Long> times = new ArrayList<>();
        for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
          long start = System.nanoTime();
          run(what, child);
          if (round >= WARMUP_ROUNDS) {
            times.add(System.nanoTime() - start);
          }
        }
        System.out.printf(Locale.ROOT, "%-6s %7.3f s%n", what, median(times) / 1e9);
      }
    } finally {
      Files.deleteIfExists(child);
      Files.deleteIfExists(base);
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  private static void run(String what, Path child) throws IOException {
    if (what.equals("list")) {
      io.vhdfs.nio.VhdImages.extents(child, java.util.Map.of());
      return;
    }
    PrintWriter discard = new PrintWriter(Writer.nullWriter());
    PrintWriter err = new PrintWriter(System.err, true);
    String[] command = {"map", "--output=" + what, child.toString()};
    int code;
    try {
      // The tool is compiled apart from the library and the tests (testing/Cli says why).
      code = (Integer) Class.forName("io.vhdfs.cli.VhdCli")
          .getMethod("run", String[].class, PrintWriter.class, PrintWriter.class)
          .invoke(null, command, discard, err);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the vhd tool is not on the class path", e);
    }
    if (code != 0) {
      throw new IOException("vhd map exited with " + code);
    }
  }

  private static void writeChain(Path base, Path child) throws IOException {
    Chains.createDynamic(base, DISK_SIZE, 2 * MIB);
    try (FileSystem fs = Chains.open(base);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      ByteBuffer chunk = ByteBuffer.wrap(Chains.randomBytes(MIB, 1));
      for (long at = 0; at < FRAGMENTED; at += MIB) {
        Chains.writeFully(ch, at, chunk.array());
      }
    }
    Chains.createChild(child, base.getFileName().toString(), null);
    byte[] sector = Chains.randomBytes(SECTOR, 2);
    try (FileSystem fs = Chains.open(child);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      for (long at = 0; at < FRAGMENTED; at += 2 * SECTOR) {
        Chains.writeFully(ch, at, sector);
      }
    }
  }
}
