package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.readFully;
import static io.vhdfs.bench.BenchSupport.warmPageCache;

import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Read speed through a differencing chain of depth 3 (three children over a dynamic base) against
 * a raw {@link FileChannel} over the same bytes (ratio 1.00 = as fast as raw).
 *
 * <p>Run from the project directory (not part of the test suite):
 *
 * <pre>
 * mvn -q -DskipTests test-compile &amp;&amp; java -cp target/classes:target/test-classes io.vhdfs.bench.ChainReadBenchmark [dir]
 * </pre>
 *
 * <p>The base is a fully allocated 1 GiB dynamic image of 2 MiB blocks. Each child, created and
 * written through the provider, holds a quarter of the blocks whole (block {@code i} with
 * {@code i % 4 == level}) and, in a further sixteenth, 16 KiB of every 64 KiB, so reads meet whole
 * blocks at every depth, blocks that mix sectors of two images, and blocks only the base holds.
 * The raw twin holds what the chain must read. Everything is written into {@code dir} (default: a
 * new temporary directory), about 3 GiB, and deleted at the end. Files are read once before
 * timing; rounds alternate chain and raw in one JVM after warm-up, and medians are reported.
 */
public final class ChainReadBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 1L << 30;
  private static final int BLOCK_SIZE = 2 * MIB;
  private static final int BLOCKS = (int) (DISK_SIZE / BLOCK_SIZE);
  private static final int DEPTH = 3;
  private static final int PIECE = 16 * 1024;
  private static final int PIECE_STRIDE = 64 * 1024;
  private static final int RANDOM_READS = 100_000;
  private static final int RANDOM_READ_SIZE = 4096;
  private static final int WARMUP_ROUNDS = 2;
  private static final int MEASURED_ROUNDS = 7;

  private ChainReadBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean ownDir = args.length == 0;
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-chain-bench") : Path.of(args[0]);
    Files.createDirectories(dir);
    List<Path> images = new ArrayList<>();
    images.add(dir.resolve("base.vhd"));
    for (int level = 1; level <= DEPTH; level++) {
      images.add(dir.resolve("child-" + level + ".vhd"));
    }
    Path raw = dir.resolve("chain.raw");
    try {
      System.out.printf(Locale.ROOT, "java %s, %d cores, files in %s%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), dir);
      long t0 = System.nanoTime();
      writeChain(images);
      writeRaw(raw);
      long hostBytes = 0;
      for (Path p : images) {
        hostBytes += Files.size(p);
      }
      System.out.printf(Locale.ROOT, "wrote a depth-%d chain (%d MiB in %d files) and its raw "
          + "twin in %.1f s%n", DEPTH, hostBytes / MIB, images.size(),
          (System.nanoTime() - t0) / 1e9);
      for (Path p : images) {
        warmPageCache(p);
      }
      warmPageCache(raw);
      measure(images.get(DEPTH), raw);
    } finally {
      for (Path p : images) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(raw);
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  private static byte[] random(long seed, int length) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Whether child {@code level} holds block {@code i} whole. */
  private static boolean wholeAt(int level, int i) {
    return i % 4 == level;
  }

  /** Whether child {@code level} holds 16 KiB of every 64 KiB of block {@code i}. */
  private static boolean piecesAt(int level, int i) {
    return i % 4 == 0 && (i / 4) % 4 == level;
  }

  private static byte[] levelData(int level, int i, int length) {
    return random(((long) level << 32) + i, length);
  }

  /** The base with every block, then each child over the one before, written through vhd:. */
  private static void writeChain(List<Path> images) throws IOException {
    VhdImageBuilder base = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE)
        .creator("qem2");
    for (int i = 0; i < BLOCKS; i++) {
      int index = i;
      base.block(index, () -> levelData(0, index, BLOCK_SIZE));
    }
    base.writeTo(images.get(0));
    for (int level = 1; level <= DEPTH; level++) {
      Path child = images.get(level);
      Map<String, String> env = Map.of("create", "true", "type", "differencing",
          "parent", images.get(level - 1).getFileName().toString());
      try (FileSystem fs = FileSystems.newFileSystem(uriOf(child), env);
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        for (int i = 0; i < BLOCKS; i++) {
          long start = (long) i * BLOCK_SIZE;
          if (wholeAt(level, i)) {
            writeFully(ch, ByteBuffer.wrap(levelData(level, i, BLOCK_SIZE)), start);
          } else if (piecesAt(level, i)) {
            byte[] data = levelData(level, i, BLOCK_SIZE);
            for (int at = level * PIECE % PIECE_STRIDE; at < BLOCK_SIZE; at += PIECE_STRIDE) {
              writeFully(ch, ByteBuffer.wrap(data, at, PIECE), start + at);
            }
          }
        }
      }
    }
  }

  /** What the top of the chain reads, built from the same seeds. */
  private static void writeRaw(Path raw) throws IOException {
    try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      for (int i = 0; i < BLOCKS; i++) {
        byte[] block = levelData(0, i, BLOCK_SIZE);
        for (int level = 1; level <= DEPTH; level++) {
          if (wholeAt(level, i)) {
            block = levelData(level, i, BLOCK_SIZE);
          } else if (piecesAt(level, i)) {
            byte[] data = levelData(level, i, BLOCK_SIZE);
            for (int at = level * PIECE % PIECE_STRIDE; at < BLOCK_SIZE; at += PIECE_STRIDE) {
              System.arraycopy(data, at, block, at, PIECE);
            }
          }
        }
        writeFully(out, ByteBuffer.wrap(block), (long) i * BLOCK_SIZE);
      }
    }
  }

  private static void measure(Path top, Path raw) throws IOException {
    long[] offsets = new long[RANDOM_READS];
    Random random = new Random(42);
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) (random.nextDouble() * (DISK_SIZE / RANDOM_READ_SIZE)) * RANDOM_READ_SIZE;
    }
    try (FileChannel chain = FileChannel.open(Path.of(uriOf(top)));
        FileChannel plain = FileChannel.open(raw)) {
      ByteBuffer big = ByteBuffer.allocateDirect(MIB + 4096).alignedSlice(4096);
      ByteBuffer small = ByteBuffer.allocateDirect(RANDOM_READ_SIZE + 4096).alignedSlice(4096);
      verifySameBytes(chain, plain);
      FileChannel[] channels = {chain, plain};
      List<List<Long>> seq = List.of(new ArrayList<>(), new ArrayList<>());
      List<List<Long>> rnd = List.of(new ArrayList<>(), new ArrayList<>());
      long sink = 0;
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
            round + 1, measured ? "" : " (warm-up)"));
        for (int k = 0; k < 2; k++) {
          int which = (round + k) % 2;
          long t = System.nanoTime();
          for (long pos = 0; pos < DISK_SIZE; pos += MIB) {
            readFully(channels[which], big.clear(), pos);
            sink += big.get(0);
          }
          long s = System.nanoTime() - t;
          t = System.nanoTime();
          for (long offset : offsets) {
            readFully(channels[which], small.clear(), offset);
            sink += small.get(0);
          }
          long r = System.nanoTime() - t;
          if (measured) {
            seq.get(which).add(s);
            rnd.get(which).add(r);
          }
          line.append(String.format(Locale.ROOT, "  %s seq %6.1f rnd %6.1f ms",
              which == 0 ? "chain" : "raw", s / 1e6, r / 1e6));
        }
        System.out.println(line);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "%-34s %9s %9s %8s%n",
          "workload (median of " + MEASURED_ROUNDS + ", ms)", "chain-3", "raw", "ratio");
      row("sequential 1 MiB reads, 1 GiB", seq);
      row("random 4 KiB reads x " + RANDOM_READS, rnd);
      System.out.printf(Locale.ROOT, "sequential throughput: chain %.0f MiB/s, raw %.0f MiB/s "
          + "(sink %d)%n", DISK_SIZE / (double) MIB / (median(seq.get(0)) / 1e9),
          DISK_SIZE / (double) MIB / (median(seq.get(1)) / 1e9), sink & 0xF);
    }
  }

  private static void row(String name, List<List<Long>> times) {
    double c = median(times.get(0)) / 1e6;
    double r = median(times.get(1)) / 1e6;
    System.out.printf(Locale.ROOT, "%-34s %9.1f %9.1f %8.2f%n", name, c, r, c / r);
  }

  /** The benchmark means nothing if the chain does not read the raw twin's bytes. */
  private static void verifySameBytes(FileChannel chain, FileChannel raw) throws IOException {
    ByteBuffer a = ByteBuffer.allocate(MIB);
    ByteBuffer b = ByteBuffer.allocate(MIB);
    for (long pos = 0; pos < DISK_SIZE; pos += MIB) {
      readFully(chain, a.clear(), pos);
      readFully(raw, b.clear(), pos);
      if (!Arrays.equals(a.array(), b.array())) {
        throw new IllegalStateException("chain and raw differ in the MiB at " + pos);
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    int first = buf.position();
    while (buf.hasRemaining()) {
      ch.write(buf, pos + buf.position() - first);
    }
  }

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toUri().getRawPath());
  }
}
