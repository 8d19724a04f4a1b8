package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
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

  /** Made by the test-side builder, so the sharing rules are checked where QEMU is missing too. */
  @BeforeEach
  void makeImage() throws IOException {
    image = dir.resolve("shared.vhd");
    // 8 MiB: small enough to hold. Creator "qem2": QEMU 7 too takes the current size then.
    expected = writeImage(image, VhdImageBuilder.dynamic(8 * MIB).creator("qem2")
        .write(512, filled(0x3c, 3 * MIB)).write(6 * MIB - 1024, filled(0xc3, 4096)));
    disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  /** Writes {@code built} to {@code file}; returns its whole disk as the builder describes it. */
  private static byte[] writeImage(Path file, VhdImageBuilder built) throws IOException {
    built.writeTo(file);
    return built.expectedDisk();
  }

  private static byte[] filled(int value, long length) {
    byte[] b = new byte[Math.toIntExact(length)];
    Arrays.fill(b, (byte) value);
    return b;
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

  /**
   * DESIGN.md §3: an auto-created file system holds no host handle while no channel is open, or
   * every {@code Path.of(uri)} user would leak a descriptor. Counted through /proc/self/fd.
   */
  @Test
  @Timeout(60)
  void noHostHandleStaysOpenOnceEveryChannelIsClosed() throws Exception {
    Path fds = Path.of("/proc/self/fd");
    Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux) to count handles");
    Path real = image.toRealPath();
    assertEquals(0, handlesTo(fds, real), "handles before any use");

    assertEquals(expected.length, Files.size(disk));
    assertArrayEquals(expected, Files.readAllBytes(disk));
    try (FileChannel a = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel b = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(a);
      assertReadsWholeDisk(b);
      // Proves the counting works, so the final zero means something.
      assertTrue(handlesTo(fds, real) > 0, "no handle seen while channels are open");
    }
    // A channel closed by an interrupt in the middle of a read (which may reopen the host file).
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
        // The interrupt ends the loop; the handle count below is what this test is about.
      }
    });
    t.start();
    assertTrue(started.await(10, TimeUnit.SECONDS));
    t.interrupt();
    t.join(10_000);
    victim.close();

    assertEquals(0, handlesTo(fds, real), "host handles left open on " + real);
  }

  private static long handlesTo(Path fds, Path target) throws IOException {
    long count = 0;
    try (var entries = Files.list(fds)) {
      for (Path fd : (Iterable<Path>) entries::iterator) {
        try {
          if (Files.readSymbolicLink(fd).equals(target)) {
            count++;
          }
        } catch (IOException gone) {
          // The descriptor closed while we listed; it is not a leak.
        }
      }
    }
    return count;
  }

  /** Closing an image's file system closes the channels it handed out (Jimfs does the same). */
  @Test
  void closingTheFileSystemClosesItsChannels() throws IOException {
    FileChannel ch;
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ);
      assertReadsWholeDisk(ch);
    }
    assertFalse(ch.isOpen());
    assertThrows(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(512), 0));
    try (FileChannel other = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(other); // the URI's own file system is a different instance
    }
  }

  /**
   * The file system behind a {@code vhd:} URI outlives its channels (it is cached by path), so
   * once every channel is closed another program may change the image. The next channel must
   * show the new bytes, not a BAT remembered from before: that would be a silent wrong read.
   */
  @Test
  void imageChangedByQemuWhileNoChannelIsOpenReadsTheNewBytes() throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
    QemuTools qemu = QemuTools.require();
    // New blocks (BAT entries change, the file grows) and an overwrite inside an old block.
    qemu.write(image, List.of(new Write(0x5e, 7 * MIB + 512, 8192), new Write(0x77, 4096, 512),
        new Write(0x19, 4 * MIB - 1024, 2048)));
    Path raw = dir.resolve("changed.raw");
    qemu.convertToRaw(image, raw);
    expected = Files.readAllBytes(raw);
    assertEquals(expected.length, Files.size(disk));
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
  }

  /** A file-system close is an asynchronous close of every channel: same outcomes as one. */
  @Test
  @Timeout(60)
  void closingTheFileSystemWhileReadersLoopEndsThemWithClosedChannelExceptions() throws Exception {
    int readers = 4;
    ExecutorService pool = Executors.newFixedThreadPool(readers);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      // One count per reader, after its first read: the close must land while every thread loops.
      CountDownLatch reading = new CountDownLatch(readers);
      List<Future<Throwable>> endings = new ArrayList<>();
      for (int r = 0; r < readers; r++) {
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ);
        int seed = r;
        endings.add(pool.submit(() -> {
          ByteBuffer dst = ByteBuffer.allocate(256 * 1024);
          Random own = new Random(seed);
          boolean arrived = false;
          try {
            while (true) {
              int at = own.nextInt(expected.length);
              int n = ch.read(dst.clear(), at);
              assertArrayEquals(Arrays.copyOfRange(expected, at, at + n),
                  Arrays.copyOf(dst.array(), n), "bytes at " + at);
              if (!arrived) {
                arrived = true;
                reading.countDown();
              }
            }
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      assertTrue(reading.await(10, TimeUnit.SECONDS), "readers did not start");
      Thread.sleep(20);
      fs.close();
      for (Future<Throwable> ending : endings) {
        Throwable t = ending.get(10, TimeUnit.SECONDS);
        if (t.getClass() != AsynchronousCloseException.class
            && t.getClass() != ClosedChannelException.class) {
          throw new AssertionError("a reader ended with " + t, t);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** JDK rule: locks belong to the JVM, so an overlap from another channel of the file conflicts. */
  @Test
  void overlappingLocksFromTwoChannelsOnOneImageConflict() throws IOException {
    try (FileChannel a = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel b = FileChannel.open(disk, StandardOpenOption.READ);
        FileLock held = a.lock(0, 4096, true)) {
      assertTrue(held.isValid());
      assertThrows(OverlappingFileLockException.class, () -> b.lock(1024, 4096, true));
      try (FileLock apart = b.lock(4096, 4096, true)) {
        assertTrue(apart.isValid(), "a lock on a disjoint range must be granted");
      }
    }
  }

  /**
   * The same rule when the two channels come from two file systems on one image (the URI's and
   * one from {@code newFileSystem(Path)}): the JDK keys its lock table by file, not by channel
   * factory, so the second lock must conflict here too.
   */
  @Test
  void overlappingLocksFromTwoFileSystemsOnOneImageConflict() throws IOException {
    try (FileSystem other = FileSystems.newFileSystem(image, Map.of());
        FileChannel a = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel b = FileChannel.open(other.getPath("/disk"), StandardOpenOption.READ);
        FileLock held = a.lock(0, 4096, true)) {
      assertTrue(held.isValid());
      assertThrows(OverlappingFileLockException.class, () -> b.lock(1024, 4096, true));
    }
  }

  /** Closing a file system closes its channels, and with them their locks. */
  @Test
  void locksOfAClosedFileSystemAreReleased() throws IOException {
    FileLock orphan;
    try (FileSystem other = FileSystems.newFileSystem(image, Map.of())) {
      FileChannel b = FileChannel.open(other.getPath("/disk"), StandardOpenOption.READ);
      orphan = b.lock(0, 4096, true);
    }
    assertFalse(orphan.isValid());
    try (FileChannel a = FileChannel.open(disk, StandardOpenOption.READ);
        FileLock lock = a.lock(0, 4096, true)) {
      assertTrue(lock.isValid(), "a lock of a closed file system still blocks the range");
    }
  }

  /**
   * Regenerating an image at the same path (as build scripts do) while no channel is open: the
   * cached file system must not keep answering with the old image's size or bytes.
   */
  @Test
  void imageReplacedAtTheSamePathShowsTheNewSizeAndBytes() throws IOException {
    assertEquals(expected.length, Files.size(disk));
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
    Files.delete(image);
    expected = writeImage(image, VhdImageBuilder.dynamic(20 * MIB)
        .write(17 * MIB + 512, filled(0xd1, 4096)));

    assertEquals(expected.length, Files.size(disk), "Files.size after the image was replaced");
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
    assertEquals(expected.length, Files.size(disk), "Files.size after reopening");
  }

  /**
   * The hard case of a replaced image: the new file has the same length and carries the same
   * modification time (tar extraction and reproducible builds pin mtimes), yet is another file
   * with another virtual size. Only the file's identity (its file key) gives the change away.
   */
  @Test
  void imageReplacedBySameLengthFileWithSameTimeShowsTheNewSize() throws IOException {
    Path first = dir.resolve("pinned.vhd");
    VhdImageBuilder.dynamic(64 * MIB).writeTo(first);
    Path pinnedDisk = Path.of(URI.create("vhd:" + first.toUri().getRawPath()));
    assertEquals(64 * MIB, Files.size(pinnedDisk));
    FileTime pinned = Files.getLastModifiedTime(first);
    long length = Files.size(first);

    Files.delete(first);
    VhdImageBuilder.dynamic(63 * MIB).writeTo(first); // 32 BAT entries each: same file length
    Files.setLastModifiedTime(first, pinned);
    assertEquals(length, Files.size(first), "fixture: the two images must have the same length");

    assertEquals(63 * MIB, Files.size(pinnedDisk), "Files.size after the image was replaced");
  }

  /** Once the image is gone the cached file system must not pretend the disk still exists. */
  @Test
  void deletedImageIsNoLongerThere() throws IOException {
    assertEquals(expected.length, Files.size(disk));
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertReadsWholeDisk(ch);
    }
    Files.delete(image);
    assertFalse(Files.exists(disk), "Files.exists after the image was deleted");
    assertThrows(NoSuchFileException.class, () -> Files.size(disk));
    assertThrows(NoSuchFileException.class,
        () -> FileChannel.open(disk, StandardOpenOption.READ).close());
  }

  /**
   * {@code Path.of(uri)} creates the image's file system on first use; many threads doing that
   * at once for a fresh image must all get the one file system (it is keyed by the real path)
   * and all read the disk, with no FileSystemAlreadyExistsException from a registry race.
   */
  @Test
  @Timeout(60)
  void manyThreadsFirstUsingAnImageAtOnceShareOneFileSystem() throws Exception {
    Path fresh = dir.resolve("fresh.vhd");
    byte[] want = writeImage(fresh, VhdImageBuilder.dynamic(4 * MIB)
        .write(1536, filled(0x2f, 3 * MIB)));
    URI uri = URI.create("vhd:" + fresh.toUri().getRawPath());

    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<FileSystem>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          start.await();
          Path p = Path.of(uri);
          try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer all = ByteBuffer.allocate(want.length);
            long at = 0;
            while (all.hasRemaining()) {
              int n = ch.read(all, at);
              assertTrue(n > 0, "disk ended early at " + at);
              at += n;
            }
            assertArrayEquals(want, all.array());
          }
          return p.getFileSystem();
        }));
      }
      FileSystem first = null;
      for (Future<FileSystem> r : results) {
        FileSystem fs;
        try {
          fs = r.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new AssertionError("a thread failed to use the fresh image", e.getCause());
        }
        if (first == null) {
          first = fs;
        }
        assertSame(first, fs, "two file systems for one image");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** DESIGN.md §1: the disk's times are the host file's, also after another program wrote it. */
  @Test
  void lastModifiedTimeFollowsTheHostFile() throws IOException {
    assertEquals(Files.getLastModifiedTime(image), Files.getLastModifiedTime(disk));
    Files.setLastModifiedTime(image, FileTime.from(Instant.parse("2001-02-03T04:05:06Z")));
    assertEquals(Files.getLastModifiedTime(image), Files.getLastModifiedTime(disk),
        "after the host file's time changed");
  }

  /**
   * A writable open that writes nothing changes nothing: the host file is only written when the
   * guest writes (or the image lost its end footer), and APPEND, which could only write past the
   * end of a disk, is refused before anything happens.
   */
  @Test
  void writableOpenWithoutWritesLeavesImageUnchanged() throws IOException {
    byte[] before = Files.readAllBytes(image);
    FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE).close();
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    assertThrows(UnsupportedOperationException.class,
        () -> Files.newByteChannel(disk, StandardOpenOption.APPEND).close());
    assertArrayEquals(before, Files.readAllBytes(image), "an open without writes changed the image");
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
