package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several channels on one image share one open disk (DESIGN.md §3, "Sharing"). What one channel
 * suffers (an interrupt, a close) must not reach the others: with zipfs an interrupted reader
 * closed the shared host channel and broke the whole file system (JDK-8316882).
 */
@ExtendWith(SeedExtension.class)
final class SharedImageChannelsTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;
  private Path image;
  private Path disk;
  private byte[] expected;

  @BeforeEach
  void makeImage() throws IOException {
    QemuTools qemu = QemuTools.require();
    image = dir.resolve("shared.vhd");
    Path raw = dir.resolve("shared.raw");
    qemu.create(image, 8 * MIB, "");
    qemu.write(image, List.of(new Write(0x3c, 512, 3 * MIB), new Write(0xc3, 6 * MIB - 1024, 4096)));
    qemu.convertToRaw(image, raw);
    expected = Files.readAllBytes(raw); // 8 MiB: small enough to hold
    disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  @Test
  @Timeout(30)
  void interruptedReaderLeavesOtherChannelsOnTheSameImageReadable() throws Exception {
    try (FileChannel victim = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel bystander = FileChannel.open(disk, StandardOpenOption.READ)) {
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread t = new Thread(() -> {
        Thread.currentThread().interrupt();
        try {
          victim.read(ByteBuffer.allocate(4096), 0);
        } catch (Throwable e) {
          thrown.set(e);
        }
      });
      t.start();
      t.join(10_000);
      assertTrue(thrown.get() instanceof ClosedByInterruptException, "got " + thrown.get());
      assertFalse(victim.isOpen());

      assertTrue(bystander.isOpen(), "an interrupt on another channel closed this one");
      assertReadsWholeDisk(bystander);
      try (FileChannel later = FileChannel.open(disk, StandardOpenOption.READ)) {
        assertReadsWholeDisk(later);
      }
    }
  }

  @Test
  @Timeout(60)
  void readersOnOtherChannelsSurviveInterruptsThatLandMidRead(SeededRandom random)
      throws Exception {
    AtomicReference<Throwable> bystanderFailure = new AtomicReference<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong bystanderReads = new AtomicLong();
    try (FileChannel bystander = FileChannel.open(disk, StandardOpenOption.READ)) {
      Random own = new Random(random.nextLong());
      Thread reader = new Thread(() -> {
        try {
          while (!stop.get()) {
            int at = own.nextInt(expected.length);
            ByteBuffer dst = ByteBuffer.allocate(1 + own.nextInt(128 * 1024));
            int n = bystander.read(dst, at);
            int want = Math.min(dst.capacity(), expected.length - at);
            assertEquals(want, n, "count at " + at + ", " + random);
            assertArrayEquals(Arrays.copyOfRange(expected, at, at + want),
                Arrays.copyOf(dst.array(), want), "bytes at " + at + ", " + random);
            bystanderReads.incrementAndGet();
          }
        } catch (Throwable t) {
          bystanderFailure.set(t);
        }
      }, "bystander");
      reader.start();
      // Each round: a victim thread loops over big reads on its own channel and is interrupted
      // while (most likely) inside the host read that both channels share.
      for (int round = 0; round < 20 && bystanderFailure.get() == null; round++) {
        FileChannel victim = FileChannel.open(disk, StandardOpenOption.READ);
        CountDownLatch started = new CountDownLatch(1);
        Thread t = new Thread(() -> {
          ByteBuffer dst = ByteBuffer.allocate(1 << 20);
          try {
            for (long i = 0; ; i++) {
              victim.read(dst.clear(), (i << 20) % expected.length);
              started.countDown();
            }
          } catch (IOException expectedEnding) {
            // ClosedByInterruptException, checked by the contract tests; here only the bystander matters.
          }
        }, "victim");
        t.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        t.interrupt();
        t.join(10_000);
        assertFalse(t.isAlive(), "victim did not stop");
        victim.close();
      }
      stop.set(true);
      reader.join(10_000);
      if (bystanderFailure.get() != null) {
        throw new AssertionError("a reader on another channel failed after an interrupt, "
            + random, bystanderFailure.get());
      }
      assertTrue(bystanderReads.get() > 0);
      assertTrue(bystander.isOpen());
      assertReadsWholeDisk(bystander);
    }
  }

  @Test
  void closingOneChannelLeavesOtherChannelsOnTheSameImageReadable() throws IOException {
    try (FileChannel bystander = FileChannel.open(disk, StandardOpenOption.READ)) {
      FileChannel closed = FileChannel.open(disk, StandardOpenOption.READ);
      closed.read(ByteBuffer.allocate(4096), 0);
      closed.close();
      assertReadsWholeDisk(bystander);
    }
  }

  @Test
  @Timeout(120)
  void channelsOnTheSameImageReadConcurrently(SeededRandom random) throws Exception {
    int channels = 3;
    int threadsPerChannel = 3;
    List<FileChannel> open = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(channels * threadsPerChannel);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int c = 0; c < channels; c++) {
        FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ);
        open.add(ch);
        for (int t = 0; t < threadsPerChannel; t++) {
          Random own = new Random(random.nextLong());
          work.add(pool.submit(() -> {
            for (int i = 0; i < 200; i++) {
              int at = own.nextInt(expected.length);
              int length = 1 + own.nextInt(256 * 1024);
              ByteBuffer dst = ByteBuffer.allocate(length);
              int n = ch.read(dst, at);
              int want = Math.min(length, expected.length - at);
              assertEquals(want, n, "count at " + at + ", " + random);
              assertArrayEquals(Arrays.copyOfRange(expected, at, at + want),
                  Arrays.copyOf(dst.array(), want), "bytes at " + at + ", " + random);
            }
            return null;
          }));
        }
      }
      for (Future<?> f : work) {
        f.get(100, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      for (FileChannel ch : open) {
        ch.close();
      }
    }
  }

  /** DESIGN.md: opening the disk for writing is refused until write support lands. */
  @Test
  void openingForWriteIsRefusedAndLeavesImageUnchanged() throws IOException {
    byte[] before = Files.readAllBytes(image);
    assertThrows(UnsupportedOperationException.class,
        () -> FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE).close());
    assertThrows(UnsupportedOperationException.class,
        () -> Files.newByteChannel(disk, StandardOpenOption.WRITE).close());
    assertArrayEquals(before, Files.readAllBytes(image), "a refused open changed the image");
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
  }

  private void assertReadsWholeDisk(FileChannel ch) throws IOException {
    assertEquals(expected.length, ch.size());
    ByteBuffer all = ByteBuffer.allocate(expected.length);
    long at = 0;
    while (all.hasRemaining()) {
      int n = ch.read(all, at);
      assertTrue(n > 0, "disk ended early at " + at);
      at += n;
    }
    assertArrayEquals(expected, all.array());
  }
}
