package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;

import io.vhdfs.testing.S3TestBed;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
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
 * Reads of an image in S3 through the {@code vhd:} channel against the raw object read the same
 * way through the same provider (ratio 1.00 = as fast as the bare object), with a server that
 * takes 20 ms longer over every request, as a network to a real store does (issue 15): a 128 MiB
 * fully allocated dynamic VHD and its raw disk as objects of the in-process S3 server
 * ({@link S3TestBed}), read sequentially in 1 MiB reads and at 300 random 4 KiB offsets.
 *
 * <p>Run from the project directory (not part of the test suite; needs no peer):
 *
 * <pre>
 * mvn -q -DskipTests test-compile &amp;&amp; mvn -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt &amp;&amp; java -cp target/classes:target/test-classes:$(cat target/cp.txt) io.vhdfs.bench.S3ReadBenchmark [latencyMillis]
 * </pre>
 *
 * <p>The image is opened with {@code accessMode=readOnly}, held open for the whole file system
 * and read through the piece cache; each round opens it and the raw object anew, so nothing is
 * cached from a round before. Rounds alternate which goes first; medians of 3 after a warm-up.
 */
public final class S3ReadBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 128L * MIB;
  private static final int BLOCK_SIZE = 2 * MIB;
  private static final int RANDOM_READS = 300;
  private static final int RANDOM_READ_SIZE = 4096;
  private static final int WARMUP_ROUNDS = 1;
  private static final int MEASURED_ROUNDS = 3;

  private S3ReadBenchmark() {}

  public static void main(String[] args) throws Exception {
    long latency = args.length > 0 ? Long.parseLong(args[0]) : 20;
    Path dir = Files.createTempDirectory("vhdfs-s3-bench");
    S3TestBed s3 = S3TestBed.started();
    try {
      Path vhdFile = dir.resolve("disk.vhd");
      Path rawFile = dir.resolve("disk.raw");
      VhdImageBuilder b = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE);
      byte[] raw = new byte[(int) DISK_SIZE];
      new Random(0x5EED).nextBytes(raw);
      for (int i = 0; i < DISK_SIZE / BLOCK_SIZE; i++) {
        int index = i;
        b.block(index, () -> Arrays.copyOfRange(raw, index * BLOCK_SIZE,
            (index + 1) * BLOCK_SIZE));
      }
      b.writeTo(vhdFile);
      Files.write(rawFile, raw);
      Path vhdObject = s3.put(vhdFile, "bench/disk.vhd");
      Path rawObject = s3.put(rawFile, "bench/disk.raw");
      long[] offsets = new Random(7).longs(RANDOM_READS, 0, DISK_SIZE - RANDOM_READ_SIZE)
          .map(o -> o / 512 * 512).toArray();
      s3.requests().setLatencyMillis(latency);
      System.out.printf(Locale.ROOT, "java %s, %d cores; S3 server on loopback, +%d ms a request;"
          + " load average %s%n", System.getProperty("java.version"),
          Runtime.getRuntime().availableProcessors(), latency,
          Files.readString(Path.of("/proc/loadavg")).trim());

      List<Long> seqVhd = new ArrayList<>();
      List<Long> seqRaw = new ArrayList<>();
      List<Long> rndVhd = new ArrayList<>();
      List<Long> rndRaw = new ArrayList<>();
      URI vhdUri = URI.create("vhd:" + vhdObject.toUri());
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        long sv = 0;
        long sr = 0;
        long rv = 0;
        long rr = 0;
        for (int k = 0; k < 2; k++) {
          if ((round + k) % 2 == 0) {
            sv = timeVhd(vhdUri, raw, null);
            rv = timeVhd(vhdUri, raw, offsets);
          } else {
            sr = timeRaw(rawObject, raw, null);
            rr = timeRaw(rawObject, raw, offsets);
          }
        }
        System.out.printf(Locale.ROOT, "round %d%s: sequential vhd %.0f ms, raw %.0f ms; random"
            + " vhd %.0f ms, raw %.0f ms%n", round + 1, measured ? "" : " (warm-up)", sv / 1e6,
            sr / 1e6, rv / 1e6, rr / 1e6);
        if (measured) {
          seqVhd.add(sv);
          seqRaw.add(sr);
          rndVhd.add(rv);
          rndRaw.add(rr);
        }
      }
      double mib = DISK_SIZE / (double) MIB;
      double sv = median(seqVhd) / 1e9;
      double sr = median(seqRaw) / 1e9;
      double rv = median(rndVhd) / 1e9;
      double rr = median(rndRaw) / 1e9;
      System.out.printf(Locale.ROOT, "sequential 1 MiB reads: vhd %.0f MiB/s, raw object %.0f"
          + " MiB/s, time ratio %.2f%n", mib / sv, mib / sr, sv / sr);
      System.out.printf(Locale.ROOT, "random 4 KiB reads (%d): vhd %.0f reads/s, raw object %.0f"
          + " reads/s, time ratio %.2f%n", RANDOM_READS, RANDOM_READS / rv, RANDOM_READS / rr,
          rv / rr);
    } finally {
      s3.close();
      for (String name : List.of("disk.vhd", "disk.raw")) {
        Files.deleteIfExists(dir.resolve(name));
      }
      Files.deleteIfExists(dir);
    }
  }

  /** Nanoseconds to open the image and read its disk in order, or at {@code offsets}. */
  private static long timeVhd(URI image, byte[] expected, long[] offsets) throws IOException {
    long t = System.nanoTime();
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"));
        SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/disk"),
            StandardOpenOption.READ)) {
      read(ch, expected, offsets);
    }
    return System.nanoTime() - t;
  }

  /** The same of the raw object, through the provider's own channel. */
  private static long timeRaw(Path object, byte[] expected, long[] offsets) throws IOException {
    long t = System.nanoTime();
    try (SeekableByteChannel ch = Files.newByteChannel(object, StandardOpenOption.READ)) {
      read(ch, expected, offsets);
    }
    return System.nanoTime() - t;
  }

  private static void read(SeekableByteChannel ch, byte[] expected, long[] offsets)
      throws IOException {
    if (offsets == null) {
      ByteBuffer buf = ByteBuffer.allocate(MIB);
      long at = 0;
      while (at < expected.length) {
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          throw new IOException("ended at " + at);
        }
        check(buf.array(), n, expected, at);
        at += n;
      }
      return;
    }
    ByteBuffer buf = ByteBuffer.allocate(RANDOM_READ_SIZE);
    for (long offset : offsets) {
      buf.clear();
      ch.position(offset);
      while (buf.hasRemaining()) {
        if (ch.read(buf) < 0) {
          throw new IOException("ended at " + offset);
        }
      }
      check(buf.array(), RANDOM_READ_SIZE, expected, offset);
    }
  }

  /** The figures mean nothing unless both read the same bytes. */
  private static void check(byte[] got, int n, byte[] expected, long at) {
    if (Arrays.mismatch(got, 0, n, expected, (int) at, (int) at + n) != -1) {
      throw new IllegalStateException("wrong bytes at " + at);
    }
  }
}
