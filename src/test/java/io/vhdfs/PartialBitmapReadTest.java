package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sector bitmaps with clear bits, which qemu never writes (it sets whole bitmaps) but Hyper-V,
 * blktap and other writers do. DESIGN.md §3: a clear bit reads as zeros. The image is made by
 * qemu-img from random content, then some bitmaps are rewritten while the data under clear bits
 * is left non-zero, so a reader that ignores the bitmap (as QEMU does) is caught.
 */
@ExtendWith(SeedExtension.class)
final class PartialBitmapReadTest {
  private static final int SECTOR = 512;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** A qemu-made image with rewritten bitmaps and the bytes a reader must show for it. */
  private record Fixture(Path disk, byte[] expected, String context) {}

  private Fixture build(SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    byte[] content = new byte[12 * MIB + 3 * SECTOR]; // seven 2 MiB blocks, the last one short
    random.nextBytes(content);
    Path raw = Files.write(dir.resolve("content.raw"), content);
    Path image = dir.resolve("bitmaps.vhd");
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", "-o", "force_size=on", raw.toString(),
        image.toString());
    byte[] expected = content.clone();
    List<String> layout = rewriteBitmaps(image, expected, random);
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    return new Fixture(disk, expected, random + ", bitmaps " + layout);
  }

  @Test
  void clearBitmapBitsReadAsZerosWhateverTheDataBehindThem(SeededRandom random)
      throws IOException {
    Fixture f = build(random);
    byte[] expected = f.expected();
    try (FileChannel ch = FileChannel.open(f.disk(), StandardOpenOption.READ)) {
      assertEquals(expected.length, ch.size());
      // Whole disk in 1 MiB steps, then short reads at odd offsets so runs start and end
      // inside sectors and inside bitmap bytes.
      for (int at = 0; at < expected.length; at += MIB) {
        check(ch, at, Math.min(MIB, expected.length - at), at % (2 * MIB) != 0, expected,
            f.context());
      }
      for (int i = 0; i < 2000; i++) {
        int at = random.nextInt(expected.length);
        int length = 1 + random.nextInt(random.nextBoolean() ? 5000 : 3 * MIB);
        check(ch, at, Math.min(length, expected.length - at), random.nextBoolean(), expected,
            f.context());
      }
    }
  }

  /** Bitmaps are loaded lazily and cached; first loads race when many readers start at once. */
  @Test
  @Timeout(120)
  void concurrentReadersOverPartialBitmapsSeeTheSameBytes(SeededRandom random) throws Exception {
    Fixture f = build(random);
    byte[] expected = f.expected();
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (FileChannel ch = FileChannel.open(f.disk(), StandardOpenOption.READ)) {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random own = new Random(random.nextLong());
        work.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 300; i++) {
            int at = own.nextInt(expected.length);
            int length = 1 + own.nextInt(own.nextBoolean() ? 5000 : 512 * 1024);
            check(ch, at, Math.min(length, expected.length - at), own.nextBoolean(), expected,
                f.context());
          }
          return null;
        }));
      }
      for (Future<?> w : work) {
        try {
          w.get(100, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Error err ? err : new AssertionError(e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * More partial bitmaps than the library keeps in memory (4 MiB of 512-byte bitmaps), so
   * bitmaps are evicted and read again while other threads use them. Small 4 KiB blocks make
   * that many blocks cheap; the reference is qemu's raw conversion of the same file.
   */
  @Test
  @Timeout(180)
  void moreIncompleteBlocksThanTheBitmapCacheHoldsStillReadRight(SeededRandom random)
      throws Exception {
    QemuTools qemu = QemuTools.require();
    int blockSize = 4096;
    int blocks = 9000;
    // "qem2" makes every reader (QEMU 7 and 10, libvhdi, vhdfs) use the current-size field.
    VhdImageBuilder builder = VhdImageBuilder.dynamic((long) blocks * blockSize)
        .blockSize(blockSize).creator("qem2");
    for (int b = 0; b < blocks; b++) {
      byte[] data = new byte[blockSize];
      random.nextBytes(data);
      builder.block(b, data).bitmap(b, new byte[] {(byte) random.nextInt(0xFF)}); // never 0xFF
    }
    Path image = dir.resolve("small-blocks.vhd");
    builder.writeTo(image);
    Path raw = dir.resolve("small-blocks.raw");
    qemu.convertToRaw(image, raw);
    byte[] expected = Files.readAllBytes(raw);
    String context = random + ", " + blocks + " blocks of " + blockSize;
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertEquals(expected.length, ch.size());
      for (int pass = 0; pass < 2; pass++) {
        for (int at = 0; at < expected.length; at += MIB) {
          check(ch, at, Math.min(MIB, expected.length - at), pass == 1, expected, context);
        }
      }
      int threads = 4;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Random own = new Random(random.nextLong());
          work.add(pool.submit(() -> {
            for (int i = 0; i < 400; i++) {
              int at = own.nextInt(expected.length);
              int length = 1 + own.nextInt(own.nextBoolean() ? 9000 : 2 * MIB);
              check(ch, at, Math.min(length, expected.length - at), own.nextBoolean(), expected,
                  context);
            }
            return null;
          }));
        }
        for (Future<?> w : work) {
          try {
            w.get(150, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw e.getCause() instanceof Error err ? err : new AssertionError(e.getCause());
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Direct buffers matter: zero runs are filled differently when there is no backing array. */
  private static void check(FileChannel ch, int at, int length, boolean direct, byte[] expected,
      String context) throws IOException {
    ByteBuffer dst = direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
    int n = ch.read(dst, at);
    assertEquals(length, n, "count of a read of " + length + " at " + at + ", " + context);
    byte[] got = new byte[length];
    dst.flip().get(got);
    int mismatch = Arrays.mismatch(expected, at, at + length, got, 0, length);
    if (mismatch >= 0) {
      long where = (long) at + mismatch;
      fail(String.format("byte %d (block %d, sector %d of it) differs: expected 0x%02x, got 0x%02x"
              + " in a read of %d at %d, %s", where, where / (2 * MIB), (where % (2 * MIB)) / SECTOR,
          expected[(int) where], got[mismatch], length, at, context));
    }
  }

  /**
   * Gives every allocated block a bitmap of a different shape and zeroes, in {@code expected},
   * the sectors whose bit is now clear. Returns the shape per block, for messages.
   */
  private static List<String> rewriteBitmaps(Path image, byte[] expected, Random random)
      throws IOException {
    List<String> shapes = new ArrayList<>(List.of("all-set", "all-clear", "first-sector-only",
        "random-bytes", "random-runs", "alternating", "all-but-last"));
    Collections.shuffle(shapes, random);
    List<String> layout = new ArrayList<>();
    try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      // Just enough of the format to find bitmaps: footer copy at 0 -> header -> BAT.
      long headerAt = readAt(file, 16, 8).getLong();
      ByteBuffer header = readAt(file, headerAt, 40);
      long batAt = header.getLong(16);
      int entries = header.getInt(28);
      int blockSize = header.getInt(32);
      int sectorsPerBlock = blockSize / SECTOR;
      int bitmapBytes = ((sectorsPerBlock / 8) + SECTOR - 1) / SECTOR * SECTOR;
      ByteBuffer bat = readAt(file, batAt, entries * 4);
      for (int block = 0; block < entries; block++) {
        long entry = Integer.toUnsignedLong(bat.getInt(block * 4));
        if (entry == 0xFFFF_FFFFL) {
          layout.add("unallocated");
          continue;
        }
        String shape = shapes.get(block % shapes.size());
        byte[] bitmap = bitmap(shape, sectorsPerBlock, bitmapBytes, random);
        file.write(ByteBuffer.wrap(bitmap), entry * SECTOR);
        layout.add(shape);
        for (int s = 0; s < sectorsPerBlock; s++) {
          long virtual = (long) block * blockSize + (long) s * SECTOR;
          boolean set = (bitmap[s >>> 3] & (0x80 >>> (s & 7))) != 0;
          if (!set && virtual < expected.length) {
            Arrays.fill(expected, (int) virtual, (int) virtual + SECTOR, (byte) 0);
          }
        }
      }
    }
    return layout;
  }

  private static byte[] bitmap(String shape, int sectors, int bytes, Random random) {
    byte[] b = new byte[bytes];
    int used = sectors / 8;
    switch (shape) {
      case "all-set" -> Arrays.fill(b, 0, used, (byte) 0xFF);
      case "all-clear" -> { }
      case "first-sector-only" -> b[0] = (byte) 0x80;
      case "random-bytes" -> {
        for (int i = 0; i < used; i++) {
          b[i] = (byte) random.nextInt(256);
        }
      }
      case "random-runs" -> {
        boolean set = random.nextBoolean();
        for (int s = 0; s < sectors; ) {
          int run = 1 + random.nextInt(random.nextBoolean() ? 9 : 400);
          for (int k = s; k < Math.min(sectors, s + run); k++) {
            if (set) {
              b[k >>> 3] |= (byte) (0x80 >>> (k & 7));
            }
          }
          s += run;
          set = !set;
        }
      }
      case "alternating" -> {
        for (int i = 0; i < used; i++) {
          b[i] = (byte) (i % 2 == 0 ? 0xAA : 0x55);
        }
      }
      case "all-but-last" -> {
        Arrays.fill(b, 0, used, (byte) 0xFF);
        b[used - 1] = (byte) 0xFE;
      }
      default -> throw new AssertionError(shape);
    }
    return b;
  }

  private static ByteBuffer readAt(FileChannel file, long at, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      assertTrue(file.read(b, at + b.position()) > 0, "image ended at " + (at + b.position()));
    }
    return b.flip();
  }
}
