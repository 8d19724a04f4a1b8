package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.readFully;

import io.vhdfs.nio.VhdImages;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Write speed of the {@code vhd:} channel against the physical limit, a raw {@link FileChannel}
 * writing the same bytes (ratio 1.00 = as fast as raw), and {@code qemu-img convert -O vpc} of the
 * same 1 GiB as the peer.
 *
 * <p>Run from the project directory (not part of the test suite):
 *
 * <pre>
 * mvn -q -DskipTests test-compile &amp;&amp; java -cp target/classes:target/test-classes io.vhdfs.bench.WriteBenchmark [--format=vhdx] [dir]
 * </pre>
 *
 * <p>{@code --format=vhdx} runs the same three parts on VHDX instead of VHD: (a) creates the image
 * with {@code format=vhdx} (default block size 32 MiB) and adds a run with {@code blockSize=1M}
 * and {@code force(true)}, timed against the same raw runs; (c) runs {@code qemu-img convert
 * -O vhdx} (its default block size, 8 MiB for 1 GiB, with its default cache {@code unsafe} and
 * with {@code -t writeback}, and with {@code block_size} 32 MiB and {@code -t writeback}), and
 * the images are compared with {@code qemu-img compare -f vhdx}.
 *
 * <p>Three parts, all in {@code dir} (default: a new temporary directory), which needs about
 * 5 GiB free (at most four 1 GiB files exist at once; each is deleted as soon as it is done):
 *
 * <ol>
 *   <li>(a) <b>allocating writes</b>: a new dynamic image is created through the provider (env
 *       {@code create=true, size=1G, type=dynamic}) and 1 GiB of non-zero data is written into it
 *       with sequential (relative) 1 MiB writes; the time includes closing the channel and the
 *       file system, so all metadata is on disk. The raw side creates a new file and writes the
 *       same bytes with a {@link FileChannel}, closed as well. Both are run without and with
 *       {@code force(true)} before the close (the same on both sides).
 *   <li>(b) <b>overwrites</b> of a fully allocated 1 GiB dynamic image (made by the provider as in
 *       (a)) and of its raw twin: sequential 1 MiB and random 4 KiB positional writes, each timed
 *       on its own and again including a {@code force(true)} after it.
 *   <li>(c) the peer: {@code qemu-img convert -f raw -O vpc} of the same raw 1 GiB, timed as a
 *       process (start included), with its default cache mode for the target ({@code unsafe}: no
 *       flush, like (a) without force) and with {@code -t writeback} (it flushes), plus
 *       {@code -o subformat=fixed} and {@code -O raw} for reference. Skipped with a message if
 *       qemu-img is missing.
 * </ol>
 *
 * <p>Every raw workload also runs on a second raw file holding the same bytes 4096 bytes into
 * it ({@code raw+4096}). The vhd's blocks hold their data on 4 KiB boundaries that are not 2 MiB
 * boundaries (the first at 4096, then every 2 MiB + 4 KiB), and on some kernels (seen on Linux 6.18,
 * ext4) the page cache handles a file whose data starts at offset 0 very differently (e.g. large
 * folios), which makes raw at 0 up to several times slower for appends and random 4 KiB writes;
 * {@code vhd/raw+4096} leaves that out and shows the writer's own overhead, as {@code raw+2560}
 * does in {@link ReadBenchmark}. A VHDX's blocks start on 1 MiB boundaries of its file (the
 * first at 4 MiB), as raw's data does, so for VHDX {@code vhdx/raw} is the like-for-like ratio
 * and {@code raw+4096} shows how much the host's page cache alone makes of the offset: random
 * 4 KiB overwrites of 1 MiB-aligned data took 2-3 times as long as at 4096 on Linux 6.18, ext4.
 *
 * <p>The data is 64 MiB of seeded random bytes in page-aligned direct buffers, used in turn, so no
 * sector is zero (qemu-img would skip zero areas) and generating data costs nothing while timing.
 * Rounds alternate vhd and raw (and which goes first) in one JVM after warm-up rounds, a
 * {@code sync} runs untimed before each run of (a) and (c) so no run pays for an earlier run's
 * write-back, and medians are reported. The images are checked against the raw twin byte for
 * byte (and with {@code qemu-img compare} where installed). Absolute times on a shared machine
 * mean little; the ratio is the figure to watch. The load average is printed at start and end.
 */
public final class WriteBenchmark {
  private static final int MIB = 1 << 20;
  private static final long GIB = 1L << 30;
  private static final long DATA_SIZE = GIB;
  private static final int CHUNK = MIB;
  private static final int CHUNKS = (int) (DATA_SIZE / CHUNK);
  private static final int POOL = 64;
  private static final int RANDOM_WRITES = 100_000;
  private static final int RANDOM_WRITE_SIZE = 4096;
  private static final int SMALL_POOL = 256;
  private static final int WARMUP_ROUNDS = 2;
  private static final int MEASURED_ROUNDS = 5;
  private static final int QEMU_ROUNDS = 3;
  private static final long NEEDED_SPACE = 5 * GIB;
  /** Where the second raw twin keeps its data, like the vhd's first block. */
  private static final long SHIFT = 4096;
  private static final String[] SIDES = {"vhd", "raw", "raw+4096"};

  /**
   * The image format measured: what the provider is told to create and how qemu-img names and
   * makes it. {@code smallBlockEnv}, where not null, makes the extra (a) run with 1 MiB blocks.
   */
  private record Kind(String label, String extension, String qemuFormat,
      Map<String, String> createEnv, Map<String, String> smallBlockEnv, String[][] qemuVariants,
      String[] qemuShortLabels) {
    static final Kind VHD = new Kind("vhd", ".vhd", "vpc",
        Map.of("create", "true", "size", "1G", "type", "dynamic"), null,
        new String[][] {
            {"-O", "vpc"},
            {"-O", "vpc", "-t", "writeback"},
            {"-O", "vpc", "-o", "subformat=fixed"},
            {"-O", "raw"}},
        new String[] {"vpc", "vpc wb", "vpc fixed", "raw"});
    static final Kind VHDX = new Kind("vhdx", ".vhdx", "vhdx",
        Map.of("create", "true", "size", "1G", "type", "dynamic", "format", "vhdx"),
        Map.of("create", "true", "size", "1G", "type", "dynamic", "format", "vhdx",
            "blockSize", "1M"),
        new String[][] {
            {"-O", "vhdx"},
            {"-O", "vhdx", "-t", "writeback"},
            {"-O", "vhdx", "-t", "writeback", "-o", "block_size=33554432"},
            {"-O", "raw"}},
        new String[] {"vhdx", "vhdx wb", "vhdx 32M wb", "raw"});

    String qemuLabel(int variant) {
      return "qemu-img convert " + String.join(" ", qemuVariants[variant]);
    }
  }

  /** Page-aligned 1 MiB chunks of seeded random data; chunk {@code i} of the data is {@code i % POOL}. */
  private static final ByteBuffer[] CHUNK_POOL = new ByteBuffer[POOL];
  /** 4 KiB pieces of the pool for the random overwrites. */
  private static final ByteBuffer[] SMALL = new ByteBuffer[SMALL_POOL];

  private WriteBenchmark() {}

  public static void main(String[] args) throws Exception {
    Kind kind = Kind.VHD;
    List<String> rest = new ArrayList<>(List.of(args));
    if (!rest.isEmpty() && rest.get(0).startsWith("--format=")) {
      String f = rest.remove(0).substring("--format=".length());
      kind = switch (f) {
        case "vhd" -> Kind.VHD;
        case "vhdx" -> Kind.VHDX;
        default -> throw new IllegalArgumentException("--format=vhd or --format=vhdx, not " + f);
      };
    }
    boolean ownDir = rest.isEmpty();
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-wbench") : Path.of(rest.get(0));
    Files.createDirectories(dir);
    Path image = dir.resolve("wbench-1g" + kind.extension());
    Path raw = dir.resolve("wbench-1g.raw");
    Path shifted = dir.resolve("wbench-1g-at-4096.raw");
    try {
      long free = Files.getFileStore(dir).getUsableSpace();
      System.out.printf(Locale.ROOT, "java %s (%s), %s %s %s, %d cores, max heap %d MiB, files in"
          + " %s (%.1f GiB free)%n", System.getProperty("java.version"),
          System.getProperty("java.vm.name"), System.getProperty("os.name"),
          System.getProperty("os.version"), System.getProperty("os.arch"),
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / MIB, dir,
          free / (double) GIB);
      System.out.println("format: " + kind.label() + ", created with " + kind.createEnv());
      System.out.println("load average at start: " + loadAverage());
      if (free < NEEDED_SPACE) {
        System.out.printf(Locale.ROOT, "not enough free space in %s: %.1f GiB, need %.1f GiB;"
            + " pass a directory with room as the argument%n", dir, free / (double) GIB,
            NEEDED_SPACE / (double) GIB);
        return;
      }
      fillPools();
      Results allocating = allocatingWrites(kind, dir);
      long[] setup = makeAllocatedPair(kind, image, raw, shifted);
      Qemu qemu = qemuPeer(kind, raw, dir);
      Results overwrites = overwrites(kind, image, raw, shifted);
      report(kind, allocating, setup, qemu, overwrites, image, raw);
      writerOverhead(kind, image);
      System.out.println("load average at end: " + loadAverage());
    } finally {
      Files.deleteIfExists(image);
      Files.deleteIfExists(raw);
      Files.deleteIfExists(shifted);
      if (ownDir) {
        try (var left = Files.list(dir)) {
          for (Path p : (Iterable<Path>) left::iterator) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(dir);
      }
    }
  }

  private static void fillPools() {
    Random random = new Random(0x5EED_0001L);
    byte[] bytes = new byte[CHUNK];
    for (int i = 0; i < POOL; i++) {
      random.nextBytes(bytes);
      CHUNK_POOL[i] = ByteBuffer.allocateDirect(CHUNK + 4096).alignedSlice(4096).put(bytes)
          .clear();
    }
    for (int j = 0; j < SMALL_POOL; j++) {
      int at = (j * RANDOM_WRITE_SIZE) % CHUNK;
      SMALL[j] = CHUNK_POOL[j % POOL].duplicate().position(at).limit(at + RANDOM_WRITE_SIZE)
          .slice();
    }
  }

  /** Data chunk {@code i} in round {@code shift}: the same on both sides. */
  private static ByteBuffer chunk(int i, int shift) {
    return CHUNK_POOL[(i + shift) % POOL].clear();
  }

  // ---------------------------------------------------------------- (a) allocating writes

  /** Times per workload and side (index into {@link #SIDES}). */
  private static final class Results {
    final List<String> names = new ArrayList<>();
    final List<List<List<Long>>> times = new ArrayList<>();
    /** The workload whose raw sides each workload is compared with: itself, or one before. */
    final List<Integer> rawOf = new ArrayList<>();

    int add(String name) {
      return add(name, names.size());
    }

    int add(String name, int rawWorkload) {
      rawOf.add(rawWorkload);
      names.add(name);
      List<List<Long>> perSide = new ArrayList<>();
      for (int i = 0; i < SIDES.length; i++) {
        perSide.add(new ArrayList<>());
      }
      times.add(perSide);
      return names.size() - 1;
    }

    List<Long> of(int workload, int side) {
      return times.get(workload).get(side);
    }

    double medianMs(int workload, int side) {
      return median(of(side == 0 ? workload : rawOf.get(workload), side)) / 1e6;
    }
  }

  private static Results allocatingWrites(Kind kind, Path dir)
      throws IOException, InterruptedException {
    System.out.println();
    System.out.println("(a) allocating sequential 1 MiB writes of 1 GiB into a new file, closed");
    Results results = new Results();
    int plain = results.add("(a) new image, 1 MiB writes, close");
    int forced = results.add("(a) same + force(true) before close");
    // The 1 MiB-block image is timed against the raw runs of the row above.
    int small = kind.smallBlockEnv() == null ? -1
        : results.add("(a) 1 MiB blocks + force(true)", forced);
    // Each side without and with force; the start rotates each round.
    List<String> runList = new ArrayList<>(List.of("vhd", "raw", "raw+4096", "vhd+force",
        "raw+force", "raw+4096+force"));
    if (small >= 0) {
      runList.add("vhd-1M+force");
    }
    String[] runs = runList.toArray(new String[0]);
    for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
      boolean measured = round >= WARMUP_ROUNDS;
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
          round + 1, measured ? "" : " (warm-up)"));
      for (int k = 0; k < runs.length; k++) {
        String run = runs[(round + k) % runs.length];
        boolean vhd = run.startsWith("vhd");
        boolean force = run.endsWith("force");
        boolean smallBlocks = run.startsWith("vhd-1M");
        int side = vhd ? 0 : run.startsWith("raw+4096") ? 2 : 1;
        Path file = dir.resolve("new-" + round + "-" + run + (vhd ? kind.extension() : ".raw"));
        sync();
        long t = vhd ? newImage(file, smallBlocks ? kind.smallBlockEnv() : kind.createEnv(),
            force, round) : newRaw(file, side == 2 ? SHIFT : 0, force, round);
        long hostSize = Files.size(file);
        Files.delete(file);
        if (measured) {
          results.of(smallBlocks ? small : force ? forced : plain, side).add(t);
        }
        line.append(String.format(Locale.ROOT, "  %s %6.0f ms",
            run.replace("vhd", kind.label()), t / 1e6));
        if (round == 0 && vhd && !force) {
          System.out.printf(Locale.ROOT, "new image: host file %d bytes%n", hostSize);
        }
      }
      System.out.println(line);
    }
    return results;
  }

  /** Creates the image, writes 1 GiB, closes channel and file system; returns nanoseconds. */
  private static long newImage(Path image, Map<String, String> env, boolean force, int shift)
      throws IOException {
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    long t = System.nanoTime();
    try (FileSystem fs = FileSystems.newFileSystem(uri, env)) {
      try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        if (ch.size() < DATA_SIZE) {
          throw new IllegalStateException("created disk has " + ch.size() + " bytes");
        }
        writeSequentially(ch, shift);
        if (force) {
          ch.force(true);
        }
      }
    }
    return System.nanoTime() - t;
  }

  private static long newRaw(Path file, long base, boolean force, int shift) throws IOException {
    long t = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ch.position(base);
      writeSequentially(ch, shift);
      if (force) {
        ch.force(true);
      }
    }
    return System.nanoTime() - t;
  }

  /** Relative writes, as a stream or {@code Files.copy} would make them. */
  private static void writeSequentially(FileChannel ch, int shift) throws IOException {
    for (int i = 0; i < CHUNKS; i++) {
      ByteBuffer b = chunk(i, shift);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }

  // ---------------------------------------------------------------- setup for (b) and (c)

  /**
   * A fully allocated image made by the provider exactly as in (a) (round 0's data) and its raw
   * twins, checked against each other; returns their times in nanoseconds.
   */
  private static long[] makeAllocatedPair(Kind kind, Path image, Path raw, Path shifted)
      throws IOException, InterruptedException {
    sync();
    long v = newImage(image, kind.createEnv(), false, 0);
    sync();
    long r = newRaw(raw, 0, false, 0);
    sync();
    newRaw(shifted, SHIFT, false, 0);
    sync();
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    Object blocks = Files.getAttribute(disk, "vhd:allocatedBlocks");
    Object blockSize = Files.getAttribute(disk, "vhd:blockSize");
    System.out.println();
    System.out.printf(Locale.ROOT, "allocated pair for (b)/(c): %s host file %d bytes, disk %d"
        + " bytes, vhd:allocatedBlocks %s, vhd:blockSize %s; %s %d bytes%n",
        image.getFileName(), Files.size(image), Files.size(disk), blocks, blockSize,
        raw.getFileName(), Files.size(raw));
    verify(kind, image, raw, shifted, "after the allocating pass");
    return new long[] {v, r};
  }

  /**
   * Our reader and qemu-img (where installed) must see the raw twin's bytes in the image, and the
   * shifted twin must hold them too.
   */
  private static void verify(Kind kind, Path image, Path raw, Path shifted, String when)
      throws IOException, InterruptedException {
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    ByteBuffer a = ByteBuffer.allocateDirect(CHUNK);
    ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
    ByteBuffer c = ByteBuffer.allocateDirect(CHUNK);
    try (FileChannel v = FileChannel.open(disk); FileChannel r = FileChannel.open(raw);
        FileChannel m = FileChannel.open(shifted)) {
      for (long pos = 0; pos < DATA_SIZE; pos += CHUNK) {
        readFully(v, a.clear(), pos);
        readFully(r, b.clear(), pos);
        readFully(m, c.clear(), SHIFT + pos);
        if (!a.flip().equals(b.flip()) || !c.flip().equals(b)) {
          throw new IllegalStateException("image and raw twins differ in the MiB at " + pos + " "
              + when);
        }
      }
      for (long pos = DATA_SIZE; pos < v.size(); pos += CHUNK) {
        a.clear().limit((int) Math.min(CHUNK, v.size() - pos));
        readFully(v, a, pos);
        for (a.flip(); a.hasRemaining();) {
          if (a.get() != 0) {
            throw new IllegalStateException("disk tail beyond 1 GiB not zero at " + pos);
          }
        }
      }
    }
    String qemu = "";
    if (commandSucceeds("qemu-img", "--version")) {
      // Sizes differ (the disk is rounded up to a CHS geometry): qemu-img checks the tail is zero.
      if (!commandSucceeds("qemu-img", "compare", "-f", kind.qemuFormat(), "-F", "raw",
          image.toString(), raw.toString())) {
        throw new IllegalStateException("qemu-img compare: " + image + " and " + raw
            + " differ " + when);
      }
      qemu = ", and qemu-img compare agrees";
    }
    System.out.println("verified " + when + ": the image reads as the raw twin" + qemu);
  }

  // ---------------------------------------------------------------- (b) overwrites

  private static Results overwrites(Kind kind, Path image, Path raw, Path shifted)
      throws IOException {
    System.out.println();
    System.out.println("(b) overwrites of allocated blocks (positional, into the page cache;"
        + " '+f' adds force(true))");
    Results results = new Results();
    int seq = results.add("(b) seq 1 MiB overwrites, 1 GiB");
    int seqForce = results.add("(b) same + force(true)");
    int rnd = results.add("(b) random 4 KiB overwrites x " + RANDOM_WRITES);
    int rndForce = results.add("(b) same + force(true)");
    long[] offsets = new long[RANDOM_WRITES];
    Random random = new Random(42);
    long slots = DATA_SIZE / RANDOM_WRITE_SIZE;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) (random.nextDouble() * slots) * RANDOM_WRITE_SIZE;
    }
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try (FileChannel vhd = FileChannel.open(disk, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
        FileChannel plain = FileChannel.open(raw, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        FileChannel moved = FileChannel.open(shifted, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      FileChannel[] sides = {vhd, plain, moved};
      long[] bases = {0, 0, SHIFT};
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
            round + 1, measured ? "" : " (warm-up)"));
        int shift = round + 1; // new bytes every round, the same on both sides
        for (int k = 0; k < sides.length; k++) {
          int side = (round + k) % sides.length;
          FileChannel ch = sides[side];
          long base = bases[side];
          long t = System.nanoTime();
          for (int i = 0; i < CHUNKS; i++) {
            writeFully(ch, chunk(i, shift), base + (long) i * CHUNK);
          }
          long s = System.nanoTime() - t;
          ch.force(true);
          long sf = System.nanoTime() - t;
          t = System.nanoTime();
          for (int i = 0; i < offsets.length; i++) {
            writeFully(ch, SMALL[(i + shift) % SMALL_POOL].clear(), base + offsets[i]);
          }
          long r = System.nanoTime() - t;
          ch.force(true);
          long rf = System.nanoTime() - t;
          if (measured) {
            results.of(seq, side).add(s);
            results.of(seqForce, side).add(sf);
            results.of(rnd, side).add(r);
            results.of(rndForce, side).add(rf);
          }
          line.append(String.format(Locale.ROOT, "  %s seq %4.0f +f %4.0f rnd %4.0f +f %4.0f",
              side == 0 ? kind.label() : SIDES[side], s / 1e6, sf / 1e6, r / 1e6, rf / 1e6));
        }
        System.out.println(line);
      }
    }
    Object blocks = Files.getAttribute(disk, "vhd:allocatedBlocks");
    System.out.printf(Locale.ROOT, "after the overwrites: host file %d bytes, "
        + "vhd:allocatedBlocks %s%n", Files.size(image), blocks);
    try {
      verify(kind, image, raw, shifted, "after the overwrites");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return results;
  }

  // ---------------------------------------------------------------- (b') the writer's own cost

  /**
   * The random overwrites of (b) through the {@code vhd:} channel against the same bytes written
   * straight into the image file, at the host offsets its blocks map them to, with a plain
   * {@link FileChannel}: the same file, the same page-cache pages, so the ratio is the writer's
   * own cost per write, whatever the host's page cache makes of the file (which the raw sides of
   * (b) show can be a factor of two between two files of the same size).
   */
  private static void writerOverhead(Kind kind, Path image) throws IOException {
    long[] offsets = new long[RANDOM_WRITES];
    Random random = new Random(43);
    long slots = DATA_SIZE / RANDOM_WRITE_SIZE;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) (random.nextDouble() * slots) * RANDOM_WRITE_SIZE;
    }
    List<VhdImages.Extent> extents = VhdImages.extents(image, Map.of());
    long[] hostOffsets = new long[offsets.length];
    for (int i = 0; i < offsets.length; i++) {
      long at = offsets[i];
      int lo = 0;
      int hi = extents.size() - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (extents.get(mid).offset() <= at) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      VhdImages.Extent e = extents.get(lo);
      if (!e.data() || at + RANDOM_WRITE_SIZE > e.offset() + e.length()) {
        throw new IllegalStateException("offset " + at + " is not inside one stored extent: " + e);
      }
      hostOffsets[i] = e.hostOffset() + (at - e.offset());
    }
    System.out.println();
    System.out.println("(b') the random 4 KiB overwrites through the vhd channel against the same"
        + " bytes written straight into the image file at their host offsets (ms)");
    List<Long> viaDisk = new ArrayList<>();
    List<Long> straight = new ArrayList<>();
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try (FileChannel vhd = FileChannel.open(disk, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
        FileChannel file = FileChannel.open(image, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
            round + 1, round < WARMUP_ROUNDS ? " (warm-up)" : ""));
        for (int k = 0; k < 2; k++) {
          boolean throughDisk = (round + k) % 2 == 0;
          FileChannel ch = throughDisk ? vhd : file;
          long[] at = throughDisk ? offsets : hostOffsets;
          int shift = round + 7;
          long t = System.nanoTime();
          for (int i = 0; i < at.length; i++) {
            writeFully(ch, SMALL[(i + shift) % SMALL_POOL].clear(), at[i]);
          }
          long r = System.nanoTime() - t;
          ch.force(true);
          if (round >= WARMUP_ROUNDS) {
            (throughDisk ? viaDisk : straight).add(r);
          }
          line.append(String.format(Locale.ROOT, "  %s %5.0f", throughDisk ? kind.label()
              : "file", r / 1e6));
        }
        System.out.println(line);
      }
    }
    double d = median(viaDisk) / 1e6;
    double f = median(straight) / 1e6;
    System.out.printf(Locale.ROOT, "median: through the %s channel %.0f ms, straight into the "
        + "file %.0f ms: %.2f (the writer's own cost per write)%n", kind.label(), d, f, d / f);
  }

  // ---------------------------------------------------------------- (c) qemu-img convert

  private static final class Qemu {
    final List<String> names = new ArrayList<>();
    final List<List<Long>> times = new ArrayList<>();
    final List<Long> sizes = new ArrayList<>();
    String skipped;
  }

  private static Qemu qemuPeer(Kind kind, Path raw, Path dir)
      throws IOException, InterruptedException {
    System.out.println();
    Qemu qemu = new Qemu();
    if (!commandSucceeds("qemu-img", "--version")) {
      qemu.skipped = "qemu-img not installed (Debian package qemu-utils): peer skipped";
      System.out.println(qemu.skipped);
      return qemu;
    }
    System.out.println("(c) qemu-img convert of the same raw 1 GiB, timed as a process");
    String[][] variants = kind.qemuVariants();
    for (int v = 0; v < variants.length; v++) {
      qemu.names.add(kind.qemuLabel(v));
      qemu.times.add(new ArrayList<>());
      qemu.sizes.add(0L);
    }
    Path out = dir.resolve("qemu-out.img");
    for (int round = 0; round < 1 + QEMU_ROUNDS; round++) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
          round + 1, round == 0 ? " (warm-up)" : ""));
      for (int k = 0; k < variants.length; k++) {
        int v = (round + k) % variants.length;
        List<String> command = new ArrayList<>(List.of("qemu-img", "convert", "-f", "raw"));
        command.addAll(List.of(variants[v]));
        command.add(raw.toString());
        command.add(out.toString());
        sync();
        long t = System.nanoTime();
        if (!commandSucceeds(command.toArray(new String[0]))) {
          throw new IOException("failed: " + String.join(" ", command));
        }
        t = System.nanoTime() - t;
        qemu.sizes.set(v, Files.size(out));
        Files.delete(out);
        if (round > 0) {
          qemu.times.get(v).add(t);
        }
        line.append(String.format(Locale.ROOT, "  %s %6.0f ms", kind.qemuShortLabels()[v],
            t / 1e6));
      }
      System.out.println(line);
    }
    return qemu;
  }

  // ---------------------------------------------------------------- report

  private static void report(Kind kind, Results a, long[] setup, Qemu qemu, Results b,
      Path image, Path raw) {
    String v = kind.label();
    System.out.println();
    System.out.printf(Locale.ROOT, "%-40s %8s %8s %8s %8s %9s %7s%n",
        "workload (median of " + MEASURED_ROUNDS + ", ms)", v, "raw", "raw+4096", v + "/raw",
        v + "/+4096", "target");
    for (Results r : List.of(a, b)) {
      for (int i = 0; i < r.names.size(); i++) {
        double m0 = r.medianMs(i, 0);
        double w = r.medianMs(i, 1);
        double m = r.medianMs(i, 2);
        String target = r.names.get(i).startsWith("(a)") ? "1.30" : "1.10";
        System.out.printf(Locale.ROOT, "%-40s %8.1f %8.1f %8.1f %8.2f %9.2f %7s%n",
            r.names.get(i), m0, w, m, m0 / w, m0 / m, "<= " + target);
      }
    }
    if (kind == Kind.VHD) {
      System.out.println("raw+4096: the raw file with its data 4096 bytes in (a vhd's blocks are"
          + " 4 KiB- but not 2 MiB-aligned); vhd/+4096 leaves out how the host page cache treats"
          + " offset-0 files.");
    } else {
      System.out.println("raw+4096: the raw file with its data 4096 bytes in, for reference: a"
          + " vhdx's blocks are 1 MiB-aligned in its file, as raw's data is, so vhdx/raw compares"
          + " like with like.");
    }
    System.out.println("(a) without force: before it writes new BAT entries (at close) the writer"
        + " forces the data they point at, so the " + v + " time includes a flush the raw sides"
        + " skip; the force row compares like with like.");
    if (a.names.size() > 2) {
      System.out.println("(a) 1 MiB blocks: compared with the raw runs of the force row.");
    }
    double aPlain = a.medianMs(0, 0) / 1e3;
    double aForce = a.medianMs(1, 0) / 1e3;
    System.out.println();
    System.out.println("making a 1 GiB dynamic " + kind.qemuFormat() + " image from 1 GiB of"
        + " non-zero data (median, s):");
    System.out.printf(Locale.ROOT, "  %-52s %6.2f s  (%.0f MiB/s; raw %.2f s, raw+4096 %.2f s)%n",
        "vhdfs (a), closed, no force", aPlain, DATA_SIZE / (double) MIB / aPlain,
        a.medianMs(0, 1) / 1e3, a.medianMs(0, 2) / 1e3);
    System.out.printf(Locale.ROOT, "  %-52s %6.2f s  (raw %.2f s, raw+4096 %.2f s)%n",
        "vhdfs (a), force(true) + closed", aForce, a.medianMs(1, 1) / 1e3,
        a.medianMs(1, 2) / 1e3);
    if (a.names.size() > 2) {
      System.out.printf(Locale.ROOT, "  %-52s %6.2f s%n", "vhdfs (a), 1 MiB blocks, force(true)"
          + " + closed", a.medianMs(2, 0) / 1e3);
    }
    System.out.printf(Locale.ROOT, "  %-52s %6.2f s  (raw %.2f s; host file %d bytes)%n",
        "vhdfs, the one pass making (b)'s image", setup[0] / 1e9, setup[1] / 1e9,
        sizeOrZero(image));
    if (qemu.skipped != null) {
      System.out.println("  " + qemu.skipped);
    } else {
      for (int i = 0; i < qemu.names.size(); i++) {
        double q = median(qemu.times.get(i)) / 1e9;
        boolean flushes = List.of(kind.qemuVariants()[i]).contains("writeback");
        String note = i == 0
            ? String.format(Locale.ROOT, "(target cache=unsafe, no flush; vhdfs/qemu %.2f)",
                aPlain / q)
            : flushes && !kind.qemuVariants()[i][1].equals("raw")
                ? String.format(Locale.ROOT, "(flushes; vhdfs force/qemu %.2f)", aForce / q)
                : "(reference)";
        System.out.printf(Locale.ROOT, "  %-52s %6.2f s  %s, file %d bytes%n", qemu.names.get(i),
            q, note, qemu.sizes.get(i));
      }
      System.out.printf(Locale.ROOT, "  (qemu-img: median of %d, process start included)%n",
          QEMU_ROUNDS);
    }
    System.out.println("raw twin: " + sizeOrZero(raw) + " bytes");
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** Flushes everyone's dirty pages untimed, so a run does not pay for earlier write-back. */
  private static void sync() throws InterruptedException {
    try {
      commandSucceeds("sync");
    } catch (IOException e) {
      // no sync command: runs are just noisier
    }
  }

  private static boolean commandSucceeds(String... command)
      throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      if (command.length <= 2) {
        return false; // not installed
      }
      throw e;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    int first = buf.position();
    while (buf.hasRemaining()) {
      ch.write(buf, pos + buf.position() - first);
    }
  }

}
