package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes through {@code vhd:} channels into VHDX images (issue 13 items 1, 2 and 5): random
 * writes (unaligned, straddling blocks, tiny and multi-MiB, all-zero) into images qemu-img made
 * and images this library made, with 1, 32 and 256 MiB blocks, compared after the close with a raw
 * mirror that took the same writes, by qemu-img ({@code compare}, {@code check}), by libvhdi and
 * by this library; the headers then carry no LogGuid, agree, and have a new DataWriteGuid.
 */
@ExtendWith(SeedExtension.class)
final class VhdxWriteTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** An image to write into: who makes it and how. */
  record Source(String name, boolean byQemu, String options, long size, int blockSize,
      String type, int logicalSectorSize) {
    static Source qemu(String name, String options, long size, int blockSize) {
      return new Source(name, true, options, size, blockSize, null, 512);
    }

    static Source ours(String name, String type, long size, int blockSize, int logical) {
      return new Source(name, false, null, size, blockSize, type, logical);
    }

    void create(Path image) throws IOException {
      if (byQemu) {
        VhdxTools.require().create(image, size, options);
      } else {
        VhdImages.create(image, Map.of("type", type, "size", Long.toString(size), "blockSize",
            Integer.toString(blockSize), "logicalSectorSize", Integer.toString(logicalSectorSize)));
      }
    }

    /** qemu-img refuses 4096-byte logical sectors. */
    boolean qemuReads() {
      return logicalSectorSize == 512;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Source> images() {
    return Stream.of(
        Source.qemu("qemu-img dynamic 40 MiB, 1 MiB blocks", "block_size=1M", 40L * MIB, MIB),
        Source.qemu("qemu-img dynamic 96 MiB, 32 MiB blocks", "block_size=32M", 96L * MIB,
            32 * MIB),
        Source.qemu("qemu-img dynamic 600 MiB, 256 MiB blocks", "block_size=256M", 600L * MIB,
            256 * MIB),
        Source.qemu("qemu-img dynamic, NOT_PRESENT blocks", "block_size=2M,block_state_zero=off",
            24L * MIB, 2 * MIB),
        Source.qemu("qemu-img fixed 24 MiB (ZERO blocks)", "subformat=fixed,block_size=8M",
            24L * MIB, 8 * MIB),
        Source.ours("vhdfs dynamic 64 MiB, 32 MiB blocks", "dynamic", 64L * MIB, 32 * MIB, 512),
        Source.ours("vhdfs fixed 20 MiB, 1 MiB blocks", "fixed", 20L * MIB, MIB, 512),
        Source.ours("vhdfs dynamic 4096-byte sectors, 1 MiB blocks", "dynamic", 24L * MIB, MIB,
            4096));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void randomWritesReadTheSameInQemuLibvhdiAndVhdfs(Source source, SeededRandom random)
      throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    Path image = dir.resolve("image.vhdx");
    source.create(image);
    VhdxHeaders before = VhdxHeaders.read(image);
    Path mirror = dir.resolve("mirror.raw");
    try (FileChannel m = FileChannel.open(mirror, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      m.truncate(source.size);
      m.write(ByteBuffer.allocate(1), source.size - 1);
    }
    writeRandomly(image, mirror, source.size, source.blockSize, random, 40);

    VhdxHeaders after = VhdxHeaders.read(image);
    after.assertClosedCleanly();
    assertNotEquals(before.dataWriteGuid(), after.dataWriteGuid(),
        "a write changes the DataWriteGuid");
    assertNotEquals(before.fileWriteGuid(), after.fileWriteGuid());
    assertSameAsMirror(image, mirror, "vhdfs");
    if (source.qemuReads()) {
      VhdxTools qemu = VhdxTools.require();
      QemuTools.Exit check = qemu.check(image, false);
      assertEquals(0, check.code(), check.describe());
      QemuTools.Exit compare = qemu.compare(image, mirror);
      assertEquals(0, compare.code(), compare.describe());
    }
    List<Libvhdi.Window> windows = Libvhdi.chunks(source.size, 4L * MIB);
    Libvhdi.Reading reading = libvhdi.read(image, windows, source.blockSize, dir);
    try (FileChannel m = FileChannel.open(mirror)) {
      assertEquals(Libvhdi.hashes(m, windows), reading.lines(), "libvhdi");
    }
  }

  @Test
  void readWriteOpenThatOnlyReadsLeavesTheFileByteIdentical() throws IOException {
    Path image = dir.resolve("image.vhdx");
    VhdxTools qemu = VhdxTools.require();
    qemu.create(image, 16L * MIB, "block_size=1M");
    qemu.write(image, List.of(new QemuTools.Write(0x42, 3 * MIB, 5000)));
    String sha = Chains.sha256(image);
    try (FileChannel ch = FileChannel.open(Path.of(Chains.uriOf(image)), StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ch.read(ByteBuffer.allocate(8192), 3 * MIB);
      ch.force(true);
    }
    assertEquals(sha, Chains.sha256(image));
  }

  @Test
  void qemuWritesAfterOursAndWeReadItsWrites(SeededRandom random) throws IOException {
    VhdxTools qemu = VhdxTools.require();
    long size = 48L * MIB;
    Path image = dir.resolve("image.vhdx");
    qemu.create(image, size, "block_size=4M");
    Path mirror = dir.resolve("mirror.raw");
    try (FileChannel m = FileChannel.open(mirror, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      m.write(ByteBuffer.allocate(1), size - 1);
    }
    for (int round = 0; round < 3; round++) {
      writeRandomly(image, mirror, size, 4 * MIB, random, 12);
      List<QemuTools.Write> theirs = new ArrayList<>();
      Random r = random;
      for (int i = 0; i < 4; i++) {
        long at = r.nextInt((int) (size / 512 - 64)) * 512L;
        theirs.add(new QemuTools.Write(0x10 + round * 4 + i, at, 512L * (1 + r.nextInt(48))));
      }
      qemu.write(image, theirs);
      try (FileChannel m = FileChannel.open(mirror, StandardOpenOption.WRITE)) {
        for (QemuTools.Write w : theirs) {
          byte[] b = new byte[(int) w.length()];
          java.util.Arrays.fill(b, (byte) w.pattern());
          Chains.writeFully(m, w.offset(), b);
        }
      }
      assertSameAsMirror(image, mirror, "round " + round);
      QemuTools.Exit compare = qemu.compare(image, mirror);
      assertEquals(0, compare.code(), compare.describe());
    }
  }

  /**
   * Eight threads over three channels write disjoint stripes of 1500 bytes (neighbours share
   * sectors, so partial-sector merges race) across allocated and unallocated 1 MiB blocks, and
   * read anywhere meanwhile; each block is allocated once and the disk reads as the model, in
   * vhdfs and in qemu-img.
   */
  @Test
  void concurrentWritersThroughSeveralChannelsSeeOneDiskAndAllocateEachBlockOnce(
      SeededRandom random) throws Exception {
    long size = 24L * MIB;
    Path image = dir.resolve("shared.vhdx");
    VhdImages.create(image, Map.of("size", Long.toString(size), "blockSize", "1M"));
    Path disk = Path.of(Chains.uriOf(image));
    byte[] model = new byte[(int) size];
    byte[] prefill = new byte[3 * MIB];
    random.nextBytes(prefill);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 0, prefill);
    }
    System.arraycopy(prefill, 0, model, 0, prefill.length);
    int threads = 8;
    int stripe = 1500;
    long start = 2L * MIB + 7;
    int stripes = 8000; // about 11.4 MiB: past the written 3 MiB, over a dozen new blocks
    byte[] stripeBytes = new byte[stripes * stripe];
    random.nextBytes(stripeBytes);
    List<FileChannel> channels = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      channels.add(FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        FileChannel ch = channels.get(t % channels.size());
        Random own = new Random(random.nextLong());
        done.add(pool.submit(() -> {
          List<Integer> mine = new ArrayList<>();
          for (int s = thread; s < stripes; s += threads) {
            mine.add(s);
          }
          java.util.Collections.shuffle(mine, own);
          for (int s : mine) {
            long at = start + (long) s * stripe;
            Chains.writeFully(ch, at, java.util.Arrays.copyOfRange(stripeBytes, s * stripe,
                (s + 1) * stripe));
            if (own.nextInt(4) == 0) {
              int length = 1 + own.nextInt(100_000);
              Chains.read(ch, own.nextInt((int) size - length), length);
            }
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    System.arraycopy(stripeBytes, 0, model, (int) start, stripeBytes.length);
    for (FileChannel ch : channels) {
      Chains.assertSameBytes(model, Chains.readAll(ch), 0, "a channel of the run");
      ch.close();
    }
    long touched = (start + (long) stripes * stripe + MIB - 1) / MIB;
    Map<?, ?> states = (Map<?, ?>) ((Map<?, ?>) VhdImages.describe(image, Map.of()).get("bat"))
        .get("states");
    assertEquals(touched, states.get("FULLY_PRESENT"), "each block allocated once: " + states);
    assertEquals(touched * MIB + 4L * MIB, Files.size(image),
        "the file holds the 4 MiB of structures and each block once");
    Path mirror = Files.write(dir.resolve("model.raw"), model);
    VhdxHeaders.read(image).assertClosedCleanly();
    QemuTools.Exit compare = VhdxTools.require().compare(image, mirror);
    assertEquals(0, compare.code(), compare.describe());
  }

  /**
   * A 64 TiB dynamic VHDX (a 512 MiB BAT at 1 MiB blocks, read in pages) takes writes near its
   * start, in the middle and at its last sector; they read back here and in qemu-io, and the
   * file stays a few MiB.
   */
  @Test
  void writesAcrossASixtyFourTebibyteVhdxReadBackHereAndInQemu() throws IOException {
    long size = 64L << 40;
    Path image = dir.resolve("huge.vhdx");
    VhdImages.create(image, Map.of("size", "64T", "blockSize", "1M"));
    long[] offsets = {4096, 37L << 40, size - 4096};
    try (FileChannel ch = FileChannel.open(Path.of(Chains.uriOf(image)),
        StandardOpenOption.WRITE)) {
      for (int i = 0; i < offsets.length; i++) {
        byte[] b = new byte[4096];
        java.util.Arrays.fill(b, (byte) (0x61 + i));
        Chains.writeFully(ch, offsets[i], b);
      }
    }
    VhdxHeaders.read(image).assertClosedCleanly();
    try (FileChannel ch = FileChannel.open(Path.of(Chains.uriOf(image)))) {
      assertEquals(size, ch.size());
      for (int i = 0; i < offsets.length; i++) {
        byte[] b = new byte[4096];
        java.util.Arrays.fill(b, (byte) (0x61 + i));
        assertArrayEquals(b, Chains.read(ch, offsets[i], 4096), "at " + offsets[i]);
      }
    }
    assertTrue(QemuTools.allocatedBytes(image) < 32L * MIB, "sparse: "
        + QemuTools.allocatedBytes(image));
    VhdxTools qemu = VhdxTools.require();
    for (int i = 0; i < offsets.length; i++) {
      QemuTools.Exit read = qemu.readPattern(image, 0x61 + i, offsets[i], 4096);
      assertEquals(0, read.code(), read.describe());
      assertTrue(!read.stdout().contains("Pattern verification failed"), read.stdout());
    }
  }

  /**
   * A raw backup restored onto a written VHDX reads as the backup, and its zero runs store
   * nothing where the disk read as zeros: only blocks with data in the backup or in the disk
   * before are present.
   */
  @Test
  void restoreOfARawBackupOntoAVhdxAllocatesNothingForZerosOverZeros(SeededRandom random)
      throws IOException {
    long size = 16L * MIB;
    Path image = dir.resolve("restored.vhdx");
    VhdImages.create(image, Map.of("size", Long.toString(size), "blockSize", "1M"));
    try (FileChannel ch = FileChannel.open(Path.of(Chains.uriOf(image)),
        StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 5L * MIB + 100, Chains.randomBytes(3000, random.nextLong()));
    }
    byte[] backup = new byte[(int) size];
    byte[] data = Chains.randomBytes(MIB + 4096, random.nextLong());
    System.arraycopy(data, 0, backup, 2 * MIB, data.length);
    Path raw = Files.write(dir.resolve("backup.raw"), backup);

    VhdImages.restore(raw, Path.of(Chains.uriOf(image)));

    assertArrayEquals(backup, Chains.readDisk(image));
    Map<?, ?> states = (Map<?, ?>) ((Map<?, ?>) VhdImages.describe(image, Map.of()).get("bat"))
        .get("states");
    assertEquals(3L, states.get("FULLY_PRESENT"), "blocks 2 and 3 for the backup's data, 5 "
        + "zeroed where it held data before: " + states);
    QemuTools.Exit compare = VhdxTools.require().compare(image, raw);
    assertEquals(0, compare.code(), compare.describe());
  }

  /** The disk of {@code image} reads as {@code mirror}, compared 4 MiB at a time. */
  static void assertSameAsMirror(Path image, Path mirror, String who) throws IOException {
    try (FileChannel disk = FileChannel.open(Path.of(Chains.uriOf(image)));
        FileChannel raw = FileChannel.open(mirror)) {
      assertEquals(raw.size(), disk.size(), who + ": size");
      for (long at = 0; at < raw.size(); at += 4 * MIB) {
        int n = (int) Math.min(4 * MIB, raw.size() - at);
        byte[] expected = Chains.read(raw, at, n);
        byte[] actual = Chains.read(disk, at, n);
        Chains.assertSameBytes(expected, actual, at, who);
      }
    }
  }

  /**
   * {@code count} writes through one or two channels, some tiny, some multi-MiB, some straddling
   * blocks, some all zeros, mirrored onto {@code mirror}; a force now and then; all closed.
   */
  static void writeRandomly(Path image, Path mirror, long size, int blockSize, Random r,
      int count) throws IOException {
    try (FileChannel a = FileChannel.open(Path.of(Chains.uriOf(image)), StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        FileChannel b = FileChannel.open(Path.of(Chains.uriOf(image)), StandardOpenOption.WRITE);
        FileChannel m = FileChannel.open(mirror, StandardOpenOption.WRITE)) {
      for (int i = 0; i < count; i++) {
        int length = switch (r.nextInt(5)) {
          case 0 -> 1 + r.nextInt(700);
          case 1 -> 512 * (1 + r.nextInt(16));
          case 2 -> 1 + r.nextInt(64 * KIB);
          case 3 -> MIB + r.nextInt(3 * MIB);
          default -> 4096;
        };
        length = (int) Math.min(length, size);
        long at;
        if (r.nextInt(3) == 0) {
          // Across a block boundary.
          long boundary = blockSize * (1 + (long) r.nextInt((int) Math.max(1,
              size / blockSize - 1)));
          at = Math.max(0, Math.min(size - length, boundary - length / 2));
        } else {
          at = (long) (r.nextDouble() * (size - length));
        }
        byte[] data = new byte[length];
        if (r.nextInt(6) != 0) {
          r.nextBytes(data);
        }
        FileChannel ch = r.nextBoolean() ? a : b;
        ByteBuffer src = r.nextBoolean() ? ByteBuffer.wrap(data)
            : ByteBuffer.allocateDirect(length).put(data).flip();
        while (src.hasRemaining()) {
          ch.write(src, at + src.position());
        }
        Chains.writeFully(m, at, data);
        if (r.nextInt(8) == 0) {
          ch.force(r.nextBoolean());
        }
      }
    }
  }
}
