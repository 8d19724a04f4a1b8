package io.vhdfs.bench;

import static io.vhdfs.bench.BenchSupport.median;
import static io.vhdfs.bench.BenchSupport.readFully;
import static io.vhdfs.bench.BenchSupport.warmPageCache;

import io.vhdfs.nio.DiskExtents;
import io.vhdfs.nio.VhdImages;
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
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

/**
 * Read speed of the {@code vhd:} channel against the physical limit, a raw {@link FileChannel}
 * over the same bytes (ratio 1.00 = as fast as raw), for a VHD and a VHDX, plus the cost of
 * opening a 2040 GiB image.
 *
 * <p>Run from the project directory (not part of the test suite):
 *
 * <pre>
 * mvn -q -DskipTests test-compile &amp;&amp; java -cp target/classes:target/test-classes io.vhdfs.bench.ReadBenchmark [dir]
 * </pre>
 *
 * <p>It writes a fully allocated 1 GiB dynamic image (2 MiB blocks of seeded random data, in
 * block order), its raw twin, and the raw twin again 2560 bytes into a file (where the vhd's
 * first block starts) into {@code dir} (default: a new temporary directory), about 3 GiB in
 * all, and, where qemu-img is installed, a fully allocated VHDX that {@code qemu-img convert -O
 * vhdx} makes of the raw twin (1 GiB more; issue 12's targets for it: at most 1.10 of raw
 * sequentially and 1.25 at random), and deletes them at the end. Every file is dropped from the
 * page cache and read once before timing (see {@link #cacheAlike}), so all runs read from the
 * page cache, and from pages cached alike; rounds then alternate the targets (and which goes
 * first) in one JVM after warm-up rounds, and the medians are reported.
 *
 * <p>Two targets read the image files themselves through a plain {@link FileChannel}, at the
 * host offsets the disk maps each read to ({@code vhd@host}, {@code vhdx@host}): the same pages
 * at the same alignment, with no reader in between. So {@code vhd/vhd@host} is what the reader
 * costs, and {@code vhd@host/raw} what the image's layout costs in the kernel's copy (the qemu
 * layout puts a block's data 512 bytes further into a page for every block before it, so a
 * 4 KiB read touches two pages where raw touches one).
 *
 * <p>Every run is timed twice: wall time, and the CPU time of the reading thread. On a shared
 * machine (two cores, other builds running) a 60 ms run's wall time includes whatever else ran on
 * its core meanwhile, which moves ratios by 20% from run to run; its thread's CPU time does not,
 * and is the figure to watch there. Absolute times mean little either way.
 */
public final class ReadBenchmark {
  private static final int MIB = 1 << 20;
  private static final long DISK_SIZE = 1L << 30;
  private static final int BLOCK_SIZE = 2 * MIB;
  private static final int RANDOM_READS = 100_000;
  private static final int SEQUENTIAL_READ_SIZE = MIB;
  private static final int RANDOM_READ_SIZE = 4096;
  private static final int WARMUP_ROUNDS = 3;
  private static final int MEASURED_ROUNDS = 11;
  private static final int OPEN_REPEATS = 25;
  /** Where the vhd's first data block starts: footer copy, header, one BAT sector, bitmap. */
  private static final long SHIFT = 2560;

  private ReadBenchmark() {}

  public static void main(String[] args) throws Exception {
    boolean ownDir = args.length == 0;
    Path dir = ownDir ? Files.createTempDirectory("vhdfs-bench") : Path.of(args[0]);
    Files.createDirectories(dir);
    Path image = dir.resolve("bench-1g.vhd");
    Path aligned = dir.resolve("bench-1g-aligned.vhd");
    Path raw = dir.resolve("bench-1g.raw");
    Path shifted = dir.resolve("bench-1g-at-2560.raw");
    Path huge = dir.resolve("bench-2040g.vhd");
    Path vhdx = dir.resolve("bench-1g.vhdx");
    try {
      System.out.printf(Locale.ROOT, "java %s, %d cores, max heap %d MiB, files in %s%n",
          System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
          Runtime.getRuntime().maxMemory() / MIB, dir);
      long t0 = System.nanoTime();
      writeImages(image, aligned, raw, shifted);
      System.out.printf(Locale.ROOT, "wrote %s (%d bytes) and %s (%d bytes) in %.1f s%n",
          image.getFileName(), Files.size(image), raw.getFileName(), Files.size(raw),
          (System.nanoTime() - t0) / 1e9);
      boolean withVhdx = writeVhdx(raw, vhdx);
      List<Path> read = new ArrayList<>(List.of(image, aligned, raw, shifted));
      if (withVhdx) {
        read.add(vhdx);
      }
      cacheAlike(read);
      readBenchmarks(image, aligned, raw, shifted, withVhdx ? vhdx : null);
      qemuPeer(image, raw);
      openBenchmark(huge);
    } finally {
      for (Path p : List.of(image, aligned, raw, shifted, huge, vhdx)) {
        Files.deleteIfExists(p);
      }
      if (ownDir) {
        Files.deleteIfExists(dir);
      }
    }
  }

  /**
   * Puts every file in the page cache the same way: dropped from it ({@code dd iflag=nocache
   * count=0}, which asks the kernel to drop a file's cached pages) and read through once. How pages
   * got into the cache (written in 2 MiB pieces, at odd offsets, by qemu-img) decides the size of
   * the kernel's page groups (folios), and copies from a file cached as written measured 6% slower
   * than from the same file dropped and read again; comparing files cached in different ways
   * measured that, not the reader. Without dd the files stay as written, and a line says so.
   */
  private static void cacheAlike(List<Path> files) throws IOException, InterruptedException {
    boolean dropped = true;
    for (Path p : files) {
      try {
        dropped &= commandSucceeds("dd", "if=" + p, "iflag=nocache", "count=0", "status=none");
      } catch (IOException e) {
        dropped = false; // no dd
      }
    }
    if (!dropped) {
      System.out.println("dd iflag=nocache failed: files stay cached as written, so ratios "
          + "between them include how each was written");
    }
    for (Path p : files) {
      warmPageCache(p);
    }
  }

  /** Block {@code i} of both files: repeatable, so neither file needs holding in memory. */
  private static byte[] blockContent(int index) {
    byte[] b = new byte[BLOCK_SIZE];
    new Random(0x5EED_0000L + index).nextBytes(b);
    return b;
  }

  /**
   * Two layouts of the same disk: blocks packed one after the other as qemu-img writes them (each
   * block's data then starts 2560 bytes into a page), and blocks whose data starts on a 4 KiB
   * boundary, as blktap writes them and as vhdfs's writer will, leaving 7 spare sectors a block.
   */
  private static void writeImages(Path image, Path aligned, Path raw, Path shifted)
      throws IOException {
    int blocks = (int) (DISK_SIZE / BLOCK_SIZE);
    // 'qem2': every qemu-img version then takes the current size, so the peer reads the same bytes.
    VhdImageBuilder packed = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE)
        .creator("qem2");
    VhdImageBuilder paged = VhdImageBuilder.dynamic(DISK_SIZE).blockSize(BLOCK_SIZE)
        .creator("qem2");
    long stride = (BLOCK_SIZE / 512 + 8); // sectors: bitmap + data, rounded up to 4 KiB
    for (int i = 0; i < blocks; i++) {
      int index = i;
      packed.block(index, () -> blockContent(index));
      // The BAT ends at sector 7 (1536 + 2048 bytes), so bitmaps at 7 + k*stride put data on 4 KiB.
      paged.block(index, () -> blockContent(index)).blockAt(index, 7 + index * stride);
    }
    packed.writeTo(image);
    paged.writeTo(aligned);
    writeRaw(raw, 0);
    writeRaw(shifted, SHIFT);
  }

  /**
   * The raw twin as qemu-img makes a dynamic VHDX of it (every block FULLY_PRESENT, since the
   * data is random); false, with a line saying so, where qemu-img is not installed.
   */
  private static boolean writeVhdx(Path raw, Path vhdx) throws IOException, InterruptedException {
    if (!commandSucceeds("qemu-img", "--version")) {
      System.out.println("qemu-img not installed (Debian package qemu-utils): VHDX skipped");
      return false;
    }
    long t = System.nanoTime();
    if (!commandSucceeds("qemu-img", "convert", "-f", "raw", "-O", "vhdx", raw.toString(),
        vhdx.toString())) {
      throw new IOException("qemu-img convert -O vhdx failed on " + raw);
    }
    System.out.printf(Locale.ROOT, "qemu-img made %s (%d bytes) in %.1f s%n",
        vhdx.getFileName(), Files.size(vhdx), (System.nanoTime() - t) / 1e9);
    return true;
  }

  private static void writeRaw(Path file, long base) throws IOException {
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      for (int i = 0; i < DISK_SIZE / BLOCK_SIZE; i++) {
        ByteBuffer src = ByteBuffer.wrap(blockContent(i));
        while (src.hasRemaining()) {
          out.write(src, base + (long) i * BLOCK_SIZE + src.position());
        }
      }
    }
  }

  /** @param vhdx the qemu-made VHDX of the raw twin, or null to leave VHDX out */
  private static void readBenchmarks(Path image, Path aligned, Path raw, Path shifted, Path vhdx)
      throws IOException {
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    Path alignedDisk = Path.of(URI.create("vhd:" + aligned.toUri().getRawPath()));
    Path vhdxDisk = vhdx == null ? null : Path.of(URI.create("vhd:" + vhdx.toUri().getRawPath()));
    long[] offsets = new long[RANDOM_READS];
    Random random = new Random(42);
    long slots = DISK_SIZE / RANDOM_READ_SIZE;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = (long) (random.nextDouble() * slots) * RANDOM_READ_SIZE;
    }
    LongUnaryOperator same = p -> p;
    try (FileChannel vhd = (FileChannel) Files.newByteChannel(disk);
        FileChannel vhdFile = FileChannel.open(image);
        FileChannel vhd4k = FileChannel.open(alignedDisk);
        FileChannel plain = FileChannel.open(raw);
        FileChannel moved = FileChannel.open(shifted);
        FileChannel vx = vhdx == null ? null : FileChannel.open(vhdxDisk);
        FileChannel vxFile = vhdx == null ? null : FileChannel.open(vhdx)) {
      if (vhd.size() != plain.size()) {
        throw new IllegalStateException("sizes differ: vhd " + vhd.size() + ", raw "
            + plain.size());
      }
      List<Target> all = new ArrayList<>(List.of(
          new Target("vhd", vhd, same, offsets),
          new Target("vhd@host", vhdFile, hostOffsets(disk), offsets),
          new Target("vhd-4k", vhd4k, same, offsets),
          new Target("raw", plain, same, offsets),
          new Target("raw+2560", moved, p -> p + SHIFT, offsets)));
      if (vx != null) {
        all.add(new Target("vhdx", vx, same, offsets));
        all.add(new Target("vhdx@host", vxFile, hostOffsets(vhdxDisk), offsets));
      }
      Target[] targets = all.toArray(Target[]::new);
      verifySameBytes(targets);
      // Page-aligned buffers: on some kernels/VMs a copy from the page cache into a buffer whose
      // address is misaligned relative to the file offset runs several times slower, which would
      // favour whichever file happens to have its data at an odd offset (the vhd's blocks start
      // 2560 bytes into a page). Aligned destinations make every run take the fast path.
      ByteBuffer big = ByteBuffer.allocateDirect(SEQUENTIAL_READ_SIZE + 4096).alignedSlice(4096);
      ByteBuffer small = ByteBuffer.allocateDirect(RANDOM_READ_SIZE + 4096).alignedSlice(4096);
      long sink = 0;
      for (int round = 0; round < WARMUP_ROUNDS + MEASURED_ROUNDS; round++) {
        boolean measured = round >= WARMUP_ROUNDS;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d%-10s",
            round + 1, measured ? "" : " (warm-up)"));
        // Rotate which channel goes first so none always runs on a warmer cache or CPU.
        for (int k = 0; k < targets.length; k++) {
          Target target = targets[(round + k) % targets.length];
          long c = ThreadCpu.nanos();
          long t = System.nanoTime();
          sink += readAll(target.channel, big, target.sequentialAt);
          long seq = System.nanoTime() - t;
          long seqCpu = ThreadCpu.nanos() - c;
          c = ThreadCpu.nanos();
          t = System.nanoTime();
          sink += readAll(target.channel, small, target.randomAt);
          long rnd = System.nanoTime() - t;
          long rndCpu = ThreadCpu.nanos() - c;
          if (measured) {
            target.sequential.add(seq);
            target.random.add(rnd);
            target.sequentialCpu.add(seqCpu);
            target.randomCpu.add(rndCpu);
          }
          line.append(String.format(Locale.ROOT, "  %s %.1f/%.1f", target.name, seq / 1e6,
              rnd / 1e6));
        }
        System.out.println(line);
      }
      System.out.println("(per target: sequential/random wall ms)");
      report("wall time", targets, t -> t.sequential, t -> t.random);
      if (ThreadCpu.AVAILABLE) {
        report("the reading thread's CPU time (what the machine's other load cannot add; the"
            + " figure on a shared machine)", targets, t -> t.sequentialCpu, t -> t.randomCpu);
      }
      Target raw0 = find(targets, "raw");
      System.out.printf(Locale.ROOT, "%nsequential throughput: vhd %.0f MiB/s, raw %.0f MiB/s%n",
          DISK_SIZE / (double) MIB / (median(targets[0].sequential) / 1e9),
          DISK_SIZE / (double) MIB / (median(raw0.sequential) / 1e9));
      System.out.printf(Locale.ROOT, "random reads: vhd %.0f, vhd-4k %.0f, raw %.0f reads/s "
          + "(sink %d)%n", RANDOM_READS / (median(targets[0].random) / 1e9),
          RANDOM_READS / (median(find(targets, "vhd-4k").random) / 1e9),
          RANDOM_READS / (median(raw0.random) / 1e9), sink & 0xF);
      System.out.printf(Locale.ROOT, "vhd: blocks packed as qemu-img writes them, data 2560 bytes"
          + " into a page; vhd-4k: block data on 4 KiB boundaries (blktap's layout).%n"
          + "raw+2560: the raw twin stored 2560 bytes into its file. X@host: a FileChannel on the"
          + " image file X itself, reading the same bytes at the host offsets the disk maps them"
          + " to (the same pages, the same alignment), so X/X@host is the reader's own cost and"
          + " X@host/raw what the format's layout costs in the kernel's copy.%n");
      if (vx != null) {
        System.out.println("vhdx: made by qemu-img convert -O vhdx from the raw twin (qemu's"
            + " default block size, every block present); issue 12's targets against raw:"
            + " sequential <= 1.10, random <= 1.25.");
      }
    }
  }

  /** Prints one table: the medians of every target and the ratios that matter. */
  private static void report(String what, Target[] targets,
      Function<Target, List<Long>> sequential, Function<Target, List<Long>> random) {
    System.out.printf(Locale.ROOT, "%n%s, median of %d rounds, ms:%n", what, MEASURED_ROUNDS);
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-22s", "workload"));
    for (Target t : targets) {
      head.append(String.format(Locale.ROOT, " %9s", t.name));
    }
    List<String[]> ratios = new ArrayList<>();
    ratios.add(new String[] {"vhd", "raw"});
    ratios.add(new String[] {"vhd", "vhd@host"});
    ratios.add(new String[] {"vhd@host", "raw"});
    ratios.add(new String[] {"vhd-4k", "raw"});
    if (find(targets, "vhdx") != null) {
      ratios.add(new String[] {"vhdx", "raw"});
      ratios.add(new String[] {"vhdx", "vhdx@host"});
    }
    for (String[] r : ratios) {
      head.append(String.format(Locale.ROOT, " %14s", r[0] + "/" + r[1]));
    }
    System.out.println(head);
    for (boolean seq : new boolean[] {true, false}) {
      Function<Target, List<Long>> times = seq ? sequential : random;
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-22s",
          seq ? "sequential 1 MiB x1024" : "random 4 KiB x" + RANDOM_READS));
      for (Target t : targets) {
        row.append(String.format(Locale.ROOT, " %9.1f", median(times.apply(t)) / 1e6));
      }
      for (String[] r : ratios) {
        row.append(String.format(Locale.ROOT, " %14.3f", median(times.apply(find(targets, r[0])))
            / median(times.apply(find(targets, r[1])))));
      }
      System.out.println(row);
    }
  }

  private static Target find(Target[] targets, String name) {
    for (Target t : targets) {
      if (t.name.equals(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * Where each disk offset lies in the image file of a fully allocated {@code disk}, from its
   * extents; every extent starts and ends on a whole sequential read, so no read crosses one.
   */
  private static LongUnaryOperator hostOffsets(Path disk) throws IOException {
    List<VhdImages.Extent> extents;
    try (Stream<VhdImages.Extent> s = DiskExtents.stream(disk, 0, DISK_SIZE)) {
      extents = s.toList();
    }
    long[] starts = new long[extents.size()];
    long[] hosts = new long[extents.size()];
    for (int i = 0; i < starts.length; i++) {
      VhdImages.Extent e = extents.get(i);
      if (e.kind() != VhdImages.Extent.Kind.DATA || e.offset() % SEQUENTIAL_READ_SIZE != 0
          || e.length() % SEQUENTIAL_READ_SIZE != 0) {
        throw new IllegalStateException(disk + ": extent " + e + " is not whole stored MiBs");
      }
      starts[i] = e.offset();
      hosts[i] = e.hostOffset();
    }
    return p -> {
      int i = Arrays.binarySearch(starts, p);
      int at = i >= 0 ? i : -i - 2;
      return hosts[at] + (p - starts[at]);
    };
  }

  /**
   * A channel to read the disk bytes from, and where in it the bytes of each read are: the same
   * offset for a vhd: channel or the raw twin, a shifted or mapped one elsewhere. Positions are
   * worked out before timing, so every target runs the same loop.
   */
  private static final class Target {
    final String name;
    final FileChannel channel;
    final long[] sequentialAt;
    final long[] randomAt;
    final List<Long> sequential = new ArrayList<>();
    final List<Long> random = new ArrayList<>();
    final List<Long> sequentialCpu = new ArrayList<>();
    final List<Long> randomCpu = new ArrayList<>();

    Target(String name, FileChannel channel, LongUnaryOperator at, long[] randomOffsets) {
      this.name = name;
      this.channel = channel;
      this.sequentialAt = new long[(int) (DISK_SIZE / SEQUENTIAL_READ_SIZE)];
      for (int i = 0; i < sequentialAt.length; i++) {
        sequentialAt[i] = at.applyAsLong((long) i * SEQUENTIAL_READ_SIZE);
      }
      this.randomAt = new long[randomOffsets.length];
      for (int i = 0; i < randomAt.length; i++) {
        randomAt[i] = at.applyAsLong(randomOffsets[i]);
      }
    }
  }

  /**
   * CPU time of the calling thread, read through java.management by reflection: the test classes
   * are compiled into the library's module, which does not read it; run from the class path (as
   * the javadoc says) it is there. On a shared machine a run's wall time includes whatever else
   * ran on its core meanwhile; its thread's CPU time does not.
   */
  private static final class ThreadCpu {
    private static final Object BEAN;
    private static final java.lang.reflect.Method TIME;
    static final boolean AVAILABLE;

    static {
      Object bean = null;
      java.lang.reflect.Method time = null;
      try {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        bean = factory.getMethod("getThreadMXBean").invoke(null);
        time = Class.forName("java.lang.management.ThreadMXBean")
            .getMethod("getCurrentThreadCpuTime");
        if ((long) time.invoke(bean) < 0) {
          time = null;
        }
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        time = null;
      }
      BEAN = bean;
      TIME = time;
      AVAILABLE = time != null;
    }

    static long nanos() {
      if (!AVAILABLE) {
        return 0;
      }
      try {
        return (long) TIME.invoke(BEAN);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * The peer from the design notes: {@code qemu-img convert} of the same image into QEMU's null
   * driver, against the same command on the raw twin (process start included in both).
   */
  private static void qemuPeer(Path image, Path raw) throws IOException, InterruptedException {
    System.out.println();
    if (!commandSucceeds("qemu-img", "--version")) {
      System.out.println("qemu-img not installed (Debian package qemu-utils): peer skipped");
      return;
    }
    List<Long> vpc = new ArrayList<>();
    List<Long> plain = new ArrayList<>();
    for (int round = 0; round < 1 + 5; round++) {
      long t = System.nanoTime();
      convertToNull("vpc", image);
      long v = System.nanoTime() - t;
      t = System.nanoTime();
      convertToNull("raw", raw);
      long r = System.nanoTime() - t;
      if (round > 0) {
        vpc.add(v);
        plain.add(r);
      }
    }
    row("qemu-img convert to null-co", vpc, plain);
  }

  private static void convertToNull(String format, Path file)
      throws IOException, InterruptedException {
    if (!commandSucceeds("qemu-img", "convert", "-n", "-f", format, "--target-image-opts",
        file.toString(), "driver=null-co,size=" + DISK_SIZE)) {
      throw new IOException("qemu-img convert failed on " + file);
    }
  }

  private static boolean commandSucceeds(String... command)
      throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      if (command.length == 2) {
        return false; // not installed
      }
      throw e;
    }
  }

  /** The benchmark is meaningless if the targets do not read the same bytes. */
  private static void verifySameBytes(Target[] targets) throws IOException {
    ByteBuffer first = ByteBuffer.allocate(RANDOM_READ_SIZE);
    ByteBuffer other = ByteBuffer.allocate(RANDOM_READ_SIZE);
    for (int i = 0; i < 2000; i++) {
      for (boolean seq : new boolean[] {true, false}) {
        int slot = seq ? i % targets[0].sequentialAt.length : i;
        readFully(targets[0].channel, first.clear(),
            seq ? targets[0].sequentialAt[slot] : targets[0].randomAt[slot]);
        for (int k = 1; k < targets.length; k++) {
          readFully(targets[k].channel, other.clear(),
              seq ? targets[k].sequentialAt[slot] : targets[k].randomAt[slot]);
          if (!Arrays.equals(first.array(), other.array())) {
            throw new IllegalStateException(targets[0].name + " and " + targets[k].name
                + " differ at " + (seq ? "sequential" : "random") + " read " + slot);
          }
        }
      }
    }
  }

  /** Fills {@code buf} at each of {@code positions}; a sum of bytes keeps the reads alive. */
  private static long readAll(FileChannel channel, ByteBuffer buf, long[] positions)
      throws IOException {
    long sum = 0;
    for (long pos : positions) {
      readFully(channel, buf.clear(), pos);
      sum += buf.get(0);
    }
    return sum;
  }

  /**
   * Open + size + close of a 2040 GiB image with a handful of blocks, the same with a channel
   * (which makes the reader load and check the BAT), and the heap an open channel keeps.
   */
  private static void openBenchmark(Path huge) throws IOException {
    long size = VhdImageBuilder.MAX_DYNAMIC_SIZE;
    int lastBlock = (int) (size / VhdImageBuilder.DEFAULT_BLOCK_SIZE) - 1;
    VhdImageBuilder.dynamic(size).block(0, new byte[] {1}).block(lastBlock / 2, new byte[] {2})
        .block(lastBlock, new byte[] {3}).writeTo(huge);
    List<Long> sizeTimes = new ArrayList<>();
    List<Long> channelTimes = new ArrayList<>();
    ByteBuffer one = ByteBuffer.allocate(1);
    for (int i = 0; i < OPEN_REPEATS; i++) {
      long t = System.nanoTime();
      try (FileSystem fs = FileSystems.newFileSystem(huge, Map.of())) {
        if (Files.size(fs.getPath("/disk")) != size) {
          throw new IllegalStateException("2040 GiB image has size "
              + Files.size(fs.getPath("/disk")));
        }
      }
      sizeTimes.add(System.nanoTime() - t);
      t = System.nanoTime();
      try (FileSystem fs = FileSystems.newFileSystem(huge, Map.of());
          FileChannel ch = (FileChannel) Files.newByteChannel(fs.getPath("/disk"))) {
        ch.read(one.clear(), size - 1);
      }
      channelTimes.add(System.nanoTime() - t);
    }
    long before = settledHeapUsed();
    long withFs;
    long withChannel;
    try (FileSystem fs = FileSystems.newFileSystem(huge, Map.of())) {
      Files.size(fs.getPath("/disk"));
      withFs = settledHeapUsed() - before;
      try (FileChannel ch = (FileChannel) Files.newByteChannel(fs.getPath("/disk"))) {
        ch.read(one.clear(), size - 1);
        withChannel = settledHeapUsed() - before;
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "2040 GiB dynamic image (%d bytes on the host, %d BAT "
        + "entries, %d runs):%n", Files.size(huge), lastBlock + 1, OPEN_REPEATS);
    System.out.printf(Locale.ROOT, "  newFileSystem + Files.size + close: median %.2f ms "
        + "(min %.2f)%n", median(sizeTimes) / 1e6, min(sizeTimes) / 1e6);
    System.out.printf(Locale.ROOT, "  newFileSystem + open channel + 1-byte read + close: "
        + "median %.2f ms (min %.2f)%n", median(channelTimes) / 1e6, min(channelTimes) / 1e6);
    System.out.printf(Locale.ROOT, "  heap held: %.2f MiB with the file system open, %.2f MiB "
        + "with a channel open (GC noise clamped at 0)%n", Math.max(0, withFs) / (double) MIB,
        Math.max(0, withChannel) / (double) MIB);
  }

  private static double min(List<Long> nanos) {
    return nanos.stream().mapToLong(Long::longValue).min().orElse(0);
  }

  /** Heap in use after a few full collections (test classes are patched into the module,
   * which does not read java.management, so no MemoryMXBean). */
  private static long settledHeapUsed() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static void row(String name, List<Long> vhd, List<Long> raw) {
    double v = median(vhd) / 1e6;
    double r = median(raw) / 1e6;
    System.out.printf(Locale.ROOT, "%-34s %9.1f %9.1f %9s %8.2f%n", name, v, r, "", v / r);
  }


}
