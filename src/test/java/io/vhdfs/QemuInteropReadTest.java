package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Extent;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Images made by qemu-img and written by qemu-io must read through {@code vhd:} exactly as
 * {@code qemu-img convert -O raw} shows them, on the default file system and on a Jimfs host;
 * where libvhdi is installed it must agree too.
 *
 * <p>Every fixture is generated in a temp directory. Writes sit at sector- but not block-aligned
 * offsets, straddle 2 MiB block boundaries, hit the last sector and the partial last block, and
 * are issued out of address order so the BAT is not monotonic. Comparison is in 1 MiB chunks so
 * the suite fits in -Xmx1g however large the virtual disk.
 */
@ExtendWith(SeedExtension.class)
final class QemuInteropReadTest {
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long BLOCK = 2 * MIB;
  private static final int CHUNK = (int) MIB;
  /** Chosen once per run and shown in the names of the random recipes, to replay them. */
  private static final long RECIPE_SEED = SeedExtension.newSeed();

  @TempDir Path dir;

  /**
   * How to build one image: qemu-img create options, and the qemu-io writes as a function of the
   * virtual size qemu chose (sizes are rounded to a CHS geometry unless force_size is on).
   */
  record Recipe(String name, long requestedSize, String options, LongFunction<List<Write>> writes) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** A built image with QEMU's raw rendering of it beside it. */
  record Fixture(Path image, Path raw, long virtualSize, List<Write> writes) {}

  // ---------------------------------------------------------------- recipes

  static Stream<Recipe> smallImages() {
    return Stream.of(
        new Recipe("dynamic 64 MiB", 64 * MIB, "", QemuInteropReadTest::scatteredWrites),
        new Recipe("fixed 32 MiB", 32 * MIB, "subformat=fixed", QemuInteropReadTest::scatteredWrites),
        new Recipe("dynamic 64 MiB force_size", 64 * MIB, "force_size=on",
            QemuInteropReadTest::scatteredWrites),
        new Recipe("fixed 32 MiB force_size", 32 * MIB, "subformat=fixed,force_size=on",
            QemuInteropReadTest::scatteredWrites),
        new Recipe("dynamic 5 MiB + 3 sectors (CHS-rounded)", 5 * MIB + 1536, "",
            QemuInteropReadTest::edgeWrites),
        new Recipe("fixed 5 MiB + 3 sectors (CHS-rounded)", 5 * MIB + 1536, "subformat=fixed",
            QemuInteropReadTest::edgeWrites),
        new Recipe("dynamic 5 MiB + 3 sectors force_size", 5 * MIB + 1536, "force_size=on",
            QemuInteropReadTest::edgeWrites),
        new Recipe("fixed 5 MiB + 3 sectors force_size", 5 * MIB + 1536,
            "subformat=fixed,force_size=on", QemuInteropReadTest::edgeWrites),
        new Recipe("dynamic 16 MiB nothing written", 16 * MIB, "", v -> List.of()),
        // The smallest disks: one sector, and one sector rounded up to the first CHS size.
        new Recipe("dynamic 1 sector force_size", 512, "force_size=on",
            v -> List.of(new Write(0xf6, 0, 512))),
        new Recipe("fixed 1 sector force_size", 512, "subformat=fixed,force_size=on",
            v -> List.of(new Write(0xf6, 0, 512))),
        new Recipe("dynamic 1 sector (CHS-rounded)", 512, "",
            v -> List.of(new Write(0xa1, 0, 512), new Write(0xf6, v - 512, 512))),
        new Recipe("fixed 1 sector (CHS-rounded)", 512, "subformat=fixed",
            v -> List.of(new Write(0xa1, 0, 512), new Write(0xf6, v - 512, 512))),
        new Recipe("dynamic 8 MiB every sector written", 8 * MIB, "",
            v -> List.of(new Write(0x5c, 0, v), new Write(0x00, BLOCK + 512, 4 * KIB),
                new Write(0xa5, v - 512, 512))),
        new Recipe("dynamic 24 MiB random writes seed=" + RECIPE_SEED, 24 * MIB, "",
            v -> randomWrites(v, RECIPE_SEED)),
        new Recipe("fixed 24 MiB random writes seed=" + RECIPE_SEED, 24 * MIB, "subformat=fixed",
            v -> randomWrites(v, RECIPE_SEED + 1)));
  }

  static Stream<Recipe> bigSparseImages() {
    return Stream.of(
        new Recipe("dynamic 1 GiB nothing written", GIB, "", v -> List.of()),
        new Recipe("dynamic 500 GiB sparse", 500 * GIB, "", v -> List.of(
            new Write(0xf6, v - 512, 512), // highest block allocated first
            new Write(0xa1, 1536, 4 * KIB),
            new Write(0xb2, BLOCK - 1536, 4 * KIB),
            new Write(0xc3, 123 * GIB, BLOCK),
            new Write(0xd4, 300 * GIB + 3584, 64 * KIB),
            new Write(0xe5, 499 * GIB - 1024, 2 * KIB))),
        // 0xFF000000 sectors: the format's ceiling, about a million BAT entries.
        new Recipe("dynamic 2040 GiB (largest) sparse", 2040 * GIB, "", v -> List.of(
            new Write(0xf6, v - 512, 512),
            new Write(0xa1, 3584, 1 * KIB),
            new Write(0xb2, 2000 * GIB - 1024, 2 * KIB),
            new Write(0xc3, v - BLOCK - 1536, 4 * KIB))),
        // Past the CHS ceiling qemu keeps the exact size, so the last block is short here.
        new Recipe("dynamic 200 GiB + 3 sectors sparse", 200 * GIB + 1536, "", v -> List.of(
            new Write(0xf6, v - 512, 512),
            new Write(0x7e, v - 1536 - 1024, 2 * KIB),
            new Write(0xa1, 150 * GIB - 512, 1024))),
        // Offsets past 4 GiB go straight to the host: catches int arithmetic in the fixed path.
        new Recipe("fixed 6 GiB sparse", 6 * GIB, "subformat=fixed", v -> List.of(
            new Write(0xa1, 1536, 4 * KIB),
            new Write(0xb2, 4 * GIB - 1024, 2 * KIB),
            new Write(0xc3, 5 * GIB + 3584, 64 * KIB),
            new Write(0xf6, v - 512, 512))));
  }

  /** For images of at least 20 MiB: a mix of the layouts that trip block mapping up. */
  private static List<Write> scatteredWrites(long v) {
    List<Write> writes = new ArrayList<>(List.of(
        new Write(0xf6, v - 512, 512), // last sector, and the highest block allocated first
        new Write(0xd4, 12 * MIB, BLOCK), // one whole block
        new Write(0xa1, 1536, 4 * KIB), // odd sectors inside block 0
        new Write(0xb2, BLOCK - 1536, 4 * KIB), // across the block 0/1 boundary
        new Write(0xe5, 6 * MIB - 512, BLOCK + 1024), // last sector of 2, all of 3, first of 4
        new Write(0xc3, 10 * MIB + 3584, 50 * KIB),
        new Write(0x11, 16 * MIB + 512, 64 * KIB),
        new Write(0x22, 16 * MIB + 8704, 4 * KIB), // overwrites part of the previous one
        new Write(0x00, 17 * MIB, 4 * KIB))); // zeros written into an allocated block
    if (v % BLOCK != 0) {
      long lastBlock = v - v % BLOCK;
      writes.add(new Write(0x7e, lastBlock - 1024, 2 * KIB)); // into the partial last block
    }
    return writes;
  }

  /** For images just over 5 MiB: every boundary of a three-block disk with a short last block. */
  private static List<Write> edgeWrites(long v) {
    return List.of(
        new Write(0xf6, v - 512, 512),
        new Write(0xa1, 0, 512),
        new Write(0xb2, BLOCK - 512, 1024),
        new Write(0xc3, 2 * BLOCK - 1536, 3 * KIB),
        new Write(0x5a, 2 * BLOCK + 1536, 2560));
  }

  private static List<Write> randomWrites(long v, long seed) {
    Random random = new Random(seed);
    long sectors = v / 512;
    List<Write> writes = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long start = random.nextInt((int) sectors);
      long length = 1 + random.nextInt(random.nextBoolean() ? 16 : 6000);
      length = Math.min(length, sectors - start);
      writes.add(new Write(random.nextInt(256), start * 512, length * 512));
    }
    return writes;
  }

  // ---------------------------------------------------------------- tests

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallImages")
  void everyByteMatchesQemuConvert(Recipe recipe) throws IOException {
    Fixture f = build(recipe);
    Path disk = diskOf(f.image());
    assertEquals(Files.size(f.raw()), Files.size(disk), "Files.size of the vhd: disk");
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      assertTrue(ch instanceof FileChannel, "newByteChannel must return a FileChannel, got "
          + ch.getClass().getName());
      assertEquals(f.virtualSize(), ch.size());
      compareSequentially(ch, f);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallImages")
  void everyByteMatchesQemuConvertOnJimfsHost(Recipe recipe) throws IOException {
    Fixture f = build(recipe);
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/images/qemu.vhd");
      Files.createDirectories(hosted.getParent());
      Files.copy(f.image(), hosted);
      try (FileSystem vhd = FileSystems.newFileSystem(hosted, Map.of())) {
        Path disk = vhd.getPath("/disk");
        assertEquals(Files.size(f.raw()), Files.size(disk), "Files.size of /disk on a Jimfs host");
        try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
          compareSequentially(ch, f);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallImages")
  void libvhdiReadsTheSameBytes(Recipe recipe) throws Exception {
    Path python = pythonWithPyvhdi();
    Fixture f = build(recipe);
    String ours;
    try (FileChannel ch = FileChannel.open(diskOf(f.image()), StandardOpenOption.READ)) {
      ours = ch.size() + " " + sha256(ch);
    }
    Path script = Files.writeString(dir.resolve("libvhdi_sha256.py"), LIBVHDI_SHA256);
    String theirs = QemuTools.run(Duration.ofMinutes(2),
        List.of(python.toString(), script.toString(), f.image().toString())).stdout().strip();
    if (!ours.equals(theirs)) {
      String qemu;
      try (FileChannel raw = FileChannel.open(f.raw())) {
        qemu = raw.size() + " " + sha256(raw);
      }
      fail("libvhdi and vhdfs disagree on " + recipe + ": vhdfs '" + ours + "', libvhdi '"
          + theirs + "', qemu-img convert '" + qemu + "'");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bigSparseImages")
  void sampledBytesMatchQemuConvert(Recipe recipe, SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    Fixture f = build(recipe);
    Path disk = diskOf(f.image());
    assertEquals(Files.size(f.raw()), Files.size(disk), "Files.size of the vhd: disk");

    List<long[]> ranges = new ArrayList<>();
    for (Extent e : qemu.map(f.image())) {
      if (e.data() && !e.zero()) {
        ranges.add(new long[] {e.start(), e.length()});
      } else if (e.data()) {
        // Data that qemu knows to be zeros (holes of a fixed image): whole extents can be many
        // GiB, so only their edges; the random windows below land inside them too.
        ranges.add(new long[] {e.start(), Math.min(e.length(), MIB)});
        ranges.add(new long[] {e.start() + e.length() - Math.min(e.length(), MIB),
            Math.min(e.length(), MIB)});
      }
    }
    for (Write w : f.writes()) {
      ranges.add(new long[] {w.offset(), w.length()});
    }
    for (int i = 0; i < 64; i++) {
      long at = (long) (random.nextDouble() * (f.virtualSize() - MIB));
      ranges.add(new long[] {at, MIB});
    }
    ranges.add(new long[] {f.virtualSize() - MIB, MIB});

    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel raw = FileChannel.open(f.raw(), StandardOpenOption.READ)) {
      assertEquals(f.virtualSize(), ch.size());
      // Alternate heap and direct buffers: zero runs are filled differently without an array.
      // Every third range goes through the channel position (relative reads), which is a long
      // that passes 2^31 and 2^32 here.
      for (int i = 0; i < ranges.size(); i++) {
        long[] range = ranges.get(i);
        compareRange(ch, raw, range[0], range[1], i % 2 == 1, i % 3 == 2, f, random.toString());
      }
      assertEquals(-1, ch.read(ByteBuffer.allocate(512), f.virtualSize()), "read at the end");

      // transferTo over written ranges, which sit at high offsets on the big disks.
      for (Write w : f.writes()) {
        long from = Math.max(0, w.offset() - 1536);
        long count = Math.min(w.length() + 3072, f.virtualSize() - from);
        ch.position(12_345);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        WritableByteChannel target = Channels.newChannel(sink);
        long done = 0;
        while (done < count) {
          long n = ch.transferTo(from + done, count - done, target);
          assertTrue(n > 0, "transferTo made no progress at " + (from + done));
          done += n;
        }
        assertEquals(12_345, ch.position(), "transferTo moved the position");
        ByteBuffer qemus = ByteBuffer.allocate((int) count);
        readFully(raw, qemus, from);
        assertSameChunk(qemus, ByteBuffer.wrap(sink.toByteArray()).position((int) count), from, f,
            "transferTo, " + random);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bigSparseImages")
  void libvhdiReadsTheSameSampledWindows(Recipe recipe, SeededRandom random) throws Exception {
    Path python = pythonWithPyvhdi();
    Fixture f = build(recipe);
    List<long[]> windows = new ArrayList<>();
    for (Write w : f.writes()) {
      windows.add(new long[] {w.offset(), Math.min(w.length(), MIB)});
    }
    for (int i = 0; i < 16; i++) {
      windows.add(new long[] {(long) (random.nextDouble() * (f.virtualSize() - MIB)), MIB});
    }
    windows.add(new long[] {f.virtualSize() - MIB, MIB});

    List<String> command = new ArrayList<>(List.of(python.toString(),
        Files.writeString(dir.resolve("libvhdi_windows.py"), LIBVHDI_WINDOWS).toString(),
        f.image().toString()));
    StringBuilder ours = new StringBuilder();
    try (FileChannel ch = FileChannel.open(diskOf(f.image()), StandardOpenOption.READ)) {
      ours.append(ch.size()).append('\n');
      for (long[] w : windows) {
        command.add(w[0] + ":" + w[1]);
        ByteBuffer window = ByteBuffer.allocate((int) w[1]);
        readFully(ch, window, w[0]);
        ours.append(w[0]).append(' ').append(sha256(window.array())).append('\n');
      }
    }
    String theirs = QemuTools.run(Duration.ofMinutes(2), command).stdout();
    assertEquals(ours.toString(), theirs, "vhdfs (expected) vs libvhdi (actual): media size, "
        + "then offset and sha256 of each window; " + random);
  }

  /** DESIGN.md §1: the URI is percent-encoded as in a file: URI, so any file name works. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"my disk.vhd", "100%.vhd", "a#b.vhd",
      "plus+sign.vhd", "caf\u00e9 \u65e5\u672c.vhd", "semi;colon?.vhd"})
  void awkwardImageNamesOpenThroughTheUri(String name) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve(name);
    qemu.create(image, 4 * MIB, "");
    qemu.write(image, List.of(new Write(0x6b, 1536, 3 * MIB)));
    Path raw = dir.resolve("awkward.raw");
    qemu.convertToRaw(image, raw);
    Path disk = diskOf(image);
    assertEquals(disk, Path.of(disk.toUri()), "Path.of(p.toUri()) must give p back");
    assertEquals(Files.size(raw), Files.size(disk));
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      compareSequentially(ch, new Fixture(image, raw, Files.size(raw), List.of()));
    }
  }

  // ---------------------------------------------------------------- building and comparing

  private Fixture build(Recipe recipe) {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("qemu.vhd");
    Path raw = dir.resolve("qemu.raw");
    qemu.create(image, recipe.requestedSize(), recipe.options());
    long virtualSize = qemu.virtualSize(image);
    List<Write> writes = recipe.writes().apply(virtualSize);
    qemu.write(image, writes);
    qemu.convertToRaw(image, raw);
    return new Fixture(image, raw, virtualSize, writes);
  }

  /** The public one-liner: the whole disk of an image on the default file system. */
  private static Path diskOf(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  /** Relative reads of 1 MiB through the whole disk against the raw file, then EOF. */
  private static void compareSequentially(SeekableByteChannel ch, Fixture f) throws IOException {
    try (FileChannel raw = FileChannel.open(f.raw(), StandardOpenOption.READ)) {
      ByteBuffer ours = ByteBuffer.allocate(CHUNK);
      ByteBuffer qemus = ByteBuffer.allocate(CHUNK);
      long at = 0;
      long size = raw.size();
      while (at < size) {
        int want = (int) Math.min(CHUNK, size - at);
        ours.clear().limit(want);
        while (ours.hasRemaining()) {
          if (ch.read(ours) < 0) {
            fail("vhd: channel ended at " + (at + ours.position()) + " of " + size);
          }
        }
        readFully(raw, qemus.clear().limit(want), at);
        assertSameChunk(qemus, ours, at, f, "");
        at += want;
      }
      assertEquals(-1, ch.read(ByteBuffer.allocate(512)), "read after the last byte");
    }
  }

  private static void compareRange(FileChannel ch, FileChannel raw, long start, long length,
      boolean direct, boolean relative, Fixture f, String context) throws IOException {
    long end = Math.min(start + length, f.virtualSize());
    ByteBuffer read = direct ? ByteBuffer.allocateDirect(CHUNK) : ByteBuffer.allocate(CHUNK);
    ByteBuffer ours = ByteBuffer.allocate(CHUNK);
    ByteBuffer qemus = ByteBuffer.allocate(CHUNK);
    if (relative) {
      ch.position(start);
    }
    for (long at = start; at < end; at += CHUNK) {
      int want = (int) Math.min(CHUNK, end - at);
      if (relative) {
        read.clear().limit(want);
        while (read.hasRemaining()) {
          if (ch.read(read) < 0) {
            fail("vhd: channel ended at " + ch.position() + " while reading at " + at);
          }
        }
        assertEquals(at + want, ch.position(), "position after a relative read");
      } else {
        readFully(ch, read.clear().limit(want), at);
      }
      ours.clear().put(read.flip());
      readFully(raw, qemus.clear().limit(want), at);
      assertSameChunk(qemus, ours, at, f, context);
    }
  }

  private static void assertSameChunk(ByteBuffer expected, ByteBuffer actual, long at, Fixture f,
      String context) {
    int mismatch = Arrays.mismatch(expected.array(), 0, expected.position(),
        actual.array(), 0, actual.position());
    if (mismatch >= 0) {
      long where = at + mismatch;
      fail(String.format("byte %d differs: qemu 0x%02x, vhd: 0x%02x (%s); writes %s %s", where,
          expected.get(mismatch), actual.get(mismatch), writeCovering(f.writes(), where),
          f.writes(), context));
    }
  }

  private static String writeCovering(List<Write> writes, long offset) {
    for (int i = writes.size() - 1; i >= 0; i--) {
      Write w = writes.get(i);
      if (offset >= w.offset() && offset < w.offset() + w.length()) {
        return "last written by " + w;
      }
    }
    return "never written";
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long at) throws IOException {
    long pos = at;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        fail("channel ended at " + pos + " while reading " + dst.limit() + " bytes at " + at);
      }
      pos += n;
    }
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(Chains.newSha256().digest(bytes));
  }

  private static String sha256(FileChannel ch) throws IOException {
    MessageDigest digest = Chains.newSha256();
    ByteBuffer chunk = ByteBuffer.allocate(CHUNK);
    long at = 0;
    long size = ch.size();
    while (at < size) {
      int want = (int) Math.min(CHUNK, size - at);
      readFully(ch, chunk.clear().limit(want), at);
      digest.update(chunk.array(), 0, want);
      at += want;
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  // ---------------------------------------------------------------- libvhdi

  /** Prints "media-size sha256" of the disk as libvhdi reads it. */
  private static final String LIBVHDI_SHA256 = String.join("\n",
      "import hashlib, sys, pyvhdi",
      "f = pyvhdi.file()",
      "f.open(sys.argv[1])",
      "size = f.get_media_size()",
      "h = hashlib.sha256()",
      "off = 0",
      "while off < size:",
      "    n = min(1 << 20, size - off)",
      "    h.update(f.read_buffer_at_offset(n, off))",
      "    off += n",
      "f.close()",
      "print(size, h.hexdigest())",
      "");

  /** Prints the media size, then "offset sha256" for each "offset:length" argument. */
  private static final String LIBVHDI_WINDOWS = String.join("\n",
      "import hashlib, sys, pyvhdi",
      "f = pyvhdi.file()",
      "f.open(sys.argv[1])",
      "print(f.get_media_size())",
      "for arg in sys.argv[2:]:",
      "    off, n = (int(x) for x in arg.split(':'))",
      "    print(off, hashlib.sha256(f.read_buffer_at_offset(n, off)).hexdigest())",
      "f.close()",
      "");

  /** A python3 that can import pyvhdi (Debian python3-libvhdi), or the test is skipped. */
  private static Path pythonWithPyvhdi() {
    return Libvhdi.require().python();
  }
}
