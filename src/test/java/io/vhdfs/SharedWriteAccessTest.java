package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.Interrupts;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3, item 5: one {@code VirtualDisk} per image, shared by every channel. Many threads
 * writing and reading through one channel and through several see one consistent disk; racing
 * first writes to an unallocated block allocate it once; one writer's interrupt closes only its
 * channel; thousands of open/write/close cycles leak no host handle. Every test checks the result
 * against a model of the disk, after closing, through a fresh file system, by parsing the BAT, and
 * with qemu-img where it is installed.
 */
@ExtendWith(SeedExtension.class)
final class SharedWriteAccessTest {
  private static final int SECTOR = 512;
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** A new dynamic image made through the public API; returns {image, Path.of(vhd URI)}. */
  private Path[] newDynamicImage(String name, long size, int blockSize) throws IOException {
    Path image = dir.resolve(name + ".vhd");
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    Map<String, String> env = Map.of("create", "true", "size", Long.toString(size),
        "exactSize", "true", "type", "dynamic", "blockSize", Integer.toString(blockSize));
    FileSystems.newFileSystem(uri, env).close();
    Path disk = Path.of(uri);
    assertEquals(size, Files.size(disk), "fixture: size of the new disk");
    assertEquals(0, allocatedBlocks(disk), "fixture: a new dynamic disk has no blocks");
    return new Path[] {image, disk};
  }

  // ---------------------------------------------------------------- mixed workloads

  @Test
  @Timeout(180)
  void manyThreadsWritingAndReadingThroughOneChannelSeeOneConsistentDisk(SeededRandom random)
      throws Exception {
    mixedWorkload(random, 1);
  }

  @Test
  @Timeout(180)
  void manyThreadsWritingAndReadingThroughSeveralChannelsAtOnceSeeOneConsistentDisk(
      SeededRandom random) throws Exception {
    mixedWorkload(random, 3);
  }

  /**
   * Eight threads over {@code channels} channels (thread t uses channel t % channels), on a disk
   * whose first 4 MiB are written and the rest unallocated, 64 KiB blocks:
   * <ul>
   * <li>disjoint stripes of 1500 bytes, interleaved by thread, across the allocated/unallocated
   *     edge: neighbours share sectors, so partial-sector writes race; each thread reads its own
   *     stripes back exactly;
   * <li>an overlap region every thread writes with whole stamped sectors and reads: afterwards
   *     each sector holds one of the writes that covered it, intact;
   * <li>reads anywhere, which must return full counts.
   * </ul>
   */
  private void mixedWorkload(SeededRandom random, int channelCount) throws Exception {
    int blockSize = 64 * KIB;
    long size = 16L * MIB;
    Path[] made = newDynamicImage("mixed", size, blockSize);
    Path image = made[0];
    Path disk = made[1];
    byte[] model = new byte[(int) size];
    byte[] prefill = new byte[4 * MIB];
    random.nextBytes(prefill);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      writeFully(ch, ByteBuffer.wrap(prefill), 0);
    }
    System.arraycopy(prefill, 0, model, 0, prefill.length);

    int threads = 8;
    int stripe = 1500;
    long stripesStart = 3L * MIB + 7;
    int stripes = 1600; // to about 5.3 MiB: past the allocated 4 MiB
    long overlapStart = 8L * MIB + 3 * SECTOR; // unallocated, not block-aligned
    int overlapSectors = 512; // 256 KiB: crosses four block edges
    byte[] stripeBytes = new byte[stripes * stripe];
    random.nextBytes(stripeBytes);
    // Which writes covered each overlap sector: stamps (thread << 20 | seq) per sector.
    List<Set<Integer>> coverage = new ArrayList<>();
    for (int s = 0; s < overlapSectors; s++) {
      coverage.add(java.util.Collections.synchronizedSet(new HashSet<>()));
    }
    BitSet touchedBlocks = new BitSet();
    touchedBlocks.set(0, prefill.length / blockSize);

    List<FileChannel> channels = new ArrayList<>();
    for (int c = 0; c < channelCount; c++) {
      channels.add(FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, Interrupts.DAEMON_THREADS);
    CyclicBarrier go = new CyclicBarrier(threads);
    try {
      List<Future<BitSet>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        FileChannel ch = channels.get(t % channelCount);
        Random own = new Random(random.nextLong());
        results.add(pool.submit(() -> {
          BitSet touched = new BitSet();
          List<Integer> mine = new ArrayList<>();
          for (int s = thread; s < stripes; s += threads) {
            mine.add(s);
          }
          java.util.Collections.shuffle(mine, own);
          go.await();
          int seq = 0;
          for (int s : mine) {
            // 1. a disjoint stripe, read back at once
            long at = stripesStart + (long) s * stripe;
            byte[] bytes = Arrays.copyOfRange(stripeBytes, s * stripe, (s + 1) * stripe);
            writeFully(ch, buffer(own, bytes), at);
            touch(touched, at, stripe, blockSize);
            ByteBuffer back = ByteBuffer.allocate(stripe);
            readFully(ch, back, at);
            if (!Arrays.equals(bytes, back.array())) {
              fail("thread " + thread + " read back other bytes than it wrote in stripe " + s
                  + " at " + at + ", " + random);
            }
            // 2. every third step, stamped whole sectors into the shared overlap region
            if (seq % 3 == 0) {
              int first = own.nextInt(overlapSectors);
              int count = 1 + own.nextInt(Math.min(40, overlapSectors - first));
              int stamp = thread << 20 | seq;
              ByteBuffer src = ByteBuffer.allocate(count * SECTOR);
              for (int k = 0; k < count; k++) {
                src.put(stampedSector(stamp, first + k));
                coverage.get(first + k).add(stamp);
              }
              long where = overlapStart + (long) first * SECTOR;
              writeFully(ch, src.flip(), where);
              touch(touched, where, count * SECTOR, blockSize);
            }
            // 3. a read anywhere: must be full (contents are checked after the run)
            if (seq % 2 == 0) {
              int length = 1 + own.nextInt(200_000);
              long from = (long) own.nextInt((int) size - length);
              ByteBuffer dst = own.nextBoolean() ? ByteBuffer.allocate(length)
                  : ByteBuffer.allocateDirect(length);
              readFully(ch, dst, from);
            }
            seq++;
          }
          return touched;
        }));
      }
      for (Future<BitSet> r : results) {
        touchedBlocks.or(getOrRethrow(r));
      }
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
    }
    System.arraycopy(stripeBytes, 0, model, (int) stripesStart, stripeBytes.length);

    // Everything reads back through each channel: the model, and an intact write per sector.
    byte[] seen = null;
    for (FileChannel ch : channels) {
      assertTrue(ch.isOpen());
      byte[] now = readAll(ch);
      checkOverlap(now, overlapStart, overlapSectors, coverage, random);
      System.arraycopy(now, (int) overlapStart, model, (int) overlapStart, overlapSectors * SECTOR);
      assertSameBytes(model, now, "whole disk through a channel of the run, " + random);
      if (seen != null) {
        assertSameBytes(seen, now, "two channels of one image disagree, " + random);
      }
      seen = now;
    }
    assertEquals(touchedBlocks.cardinality(), allocatedBlocks(disk),
        "vhd:allocatedBlocks: blocks touched by writes, each allocated once, " + random);
    for (FileChannel ch : channels) {
      ch.close();
    }
    checkStoredImage(image, disk, model, touchedBlocks.cardinality());
  }

  private static void checkOverlap(byte[] now, long overlapStart, int sectors,
      List<Set<Integer>> coverage, Random random) {
    for (int s = 0; s < sectors; s++) {
      byte[] got = Arrays.copyOfRange(now, (int) overlapStart + s * SECTOR,
          (int) overlapStart + (s + 1) * SECTOR);
      Set<Integer> stamps = coverage.get(s);
      if (stamps.isEmpty()) {
        assertArrayEquals(new byte[SECTOR], got, "overlap sector " + s + " was never written, "
            + random);
        continue;
      }
      int stamp = ByteBuffer.wrap(got).getInt(0);
      if (!stamps.contains(stamp) || !Arrays.equals(stampedSector(stamp, s), got)) {
        fail("overlap sector " + s + " holds " + (stamps.contains(stamp) ? "a garbled copy of "
            : "no write that covered it: stamp ") + Integer.toHexString(stamp) + ", " + random);
      }
    }
  }

  // ---------------------------------------------------------------- racing allocations

  /**
   * Two threads make the first writes to one unallocated block at the same moment, in many
   * blocks: through one channel, through two, in separate sectors, and in the same sector (a
   * read-modify-write of a sector of a block that does not exist yet). Each block is allocated
   * once (attribute, file growth, distinct BAT entries) and both writes are there.
   */
  @Test
  @Timeout(180)
  void firstWritesToTheSameUnallocatedBlockFromTwoThreadsAllocateItOnce(SeededRandom random)
      throws Exception {
    int blockSize = 2 * MIB; // the default
    int blocks = 32;
    Path[] made = newDynamicImage("race", (long) blocks * blockSize, blockSize);
    Path image = made[0];
    Path disk = made[1];
    byte[] model = new byte[blocks * blockSize];
    FileChannel a = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileChannel b = FileChannel.open(disk, StandardOpenOption.WRITE);
    ExecutorService pool = Executors.newFixedThreadPool(2, Interrupts.DAEMON_THREADS);
    try {
      // Two blocks allocated alone measure what one more block adds to the file.
      byte[] warm = randomBytes(4096, random.nextLong());
      writeFully(a, ByteBuffer.wrap(warm), 0);
      System.arraycopy(warm, 0, model, 0, warm.length);
      long afterOne = Files.size(image);
      writeFully(a, ByteBuffer.wrap(warm), blockSize);
      System.arraycopy(warm, 0, model, blockSize, warm.length);
      long afterTwo = Files.size(image);
      long perBlock = afterTwo - afterOne;
      assertTrue(perBlock >= blockSize, "one block grew the file by only " + perBlock);
      assertEquals(2, allocatedBlocks(disk));

      int raced = 0;
      for (int block = 2; block < blocks; block++) {
        long base = (long) block * blockSize;
        long first;
        long second;
        int firstLength;
        int secondLength;
        switch (block % 3) {
          case 0 -> { // separate sectors
            first = base + 8 * SECTOR;
            firstLength = 4 * SECTOR;
            second = base + 100 * SECTOR + 17;
            secondLength = 3000;
          }
          case 1 -> { // the same sector, different bytes
            first = base + 5 * SECTOR + 10;
            firstLength = 100;
            second = base + 5 * SECTOR + 300;
            secondLength = 150;
          }
          default -> { // adjacent: the first ends in the sector the second starts in
            first = base + blockSize / 2 - 1000;
            firstLength = 1000 - 7;
            second = base + blockSize / 2 - 7;
            secondLength = 5000;
          }
        }
        byte[] x = randomBytes(firstLength, random.nextLong());
        byte[] y = randomBytes(secondLength, random.nextLong());
        FileChannel other = block % 2 == 0 ? a : b; // one shared channel, or two channels
        CyclicBarrier go = new CyclicBarrier(2);
        Future<?> fx = pool.submit(() -> {
          go.await();
          writeFully(a, ByteBuffer.wrap(x), first);
          return null;
        });
        Future<?> fy = pool.submit(() -> {
          go.await();
          writeFully(other, ByteBuffer.wrap(y), second);
          return null;
        });
        getOrRethrow(fx);
        getOrRethrow(fy);
        System.arraycopy(x, 0, model, (int) first, x.length);
        System.arraycopy(y, 0, model, (int) second, y.length);
        raced++;
        assertEquals(2 + raced, allocatedBlocks(disk),
            "vhd:allocatedBlocks after racing first writes to block " + block + ", " + random);
        ByteBuffer back = ByteBuffer.allocate(blockSize);
        readFully(a, back, base);
        assertSameBytes(Arrays.copyOfRange(model, (int) base, (int) base + blockSize), back.array(),
            "block " + block + " after two racing first writes (both must be there), " + random);
      }
      assertEquals(afterTwo + raced * perBlock, Files.size(image),
          "image file size: each raced block must add one block's room, " + random);
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
      a.close();
      b.close();
    }
    checkStoredImage(image, disk, model, blocks);
  }

  // ---------------------------------------------------------------- interrupts

  /**
   * Five writers, each on its own channel of one image. One is interrupted in the middle of its
   * writes (into unallocated blocks, so the interrupt may land in an allocation): it ends with
   * ClosedByInterruptException and a closed channel, its completed writes are there. The others
   * notice nothing: their channels stay open, they keep writing, and their data is intact.
   */
  @Test
  @Timeout(180)
  void interruptOfOneWriterClosesOnlyItsChannelWhileOthersKeepWritingIntact(SeededRandom random)
      throws Exception {
    int blockSize = 64 * KIB;
    long size = 32L * MIB;
    Path[] made = newDynamicImage("interrupt", size, blockSize);
    Path image = made[0];
    Path disk = made[1];
    int others = 4;
    int regionLength = MIB;
    int chunk = 16 * KIB + 5;
    long victimRegion = 20L * MIB + 77;
    int victimChunks = (int) ((size - victimRegion) / chunk);

    FileChannel victimChannel = FileChannel.open(disk, StandardOpenOption.WRITE);
    List<FileChannel> otherChannels = new ArrayList<>();
    for (int w = 0; w < others; w++) {
      otherChannels.add(FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }
    CountDownLatch everyoneWrote = new CountDownLatch(others + 1);
    AtomicBoolean victimGone = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(others, Interrupts.DAEMON_THREADS);
    byte[][] regionModels = new byte[others][regionLength];
    AtomicLong completedChunks = new AtomicLong();
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int w = 0; w < others; w++) {
        FileChannel ch = otherChannels.get(w);
        long region = w * 4L * MIB + 333;
        byte[] mine = regionModels[w];
        Random own = new Random(random.nextLong());
        results.add(pool.submit(() -> {
          int afterInterrupt = 0;
          int writes = 0;
          while (afterInterrupt < 50) {
            int off = own.nextInt(regionLength - chunk);
            byte[] bytes = randomBytes(chunk, own.nextLong());
            writeFully(ch, buffer(own, bytes), region + off);
            System.arraycopy(bytes, 0, mine, off, chunk);
            if (writes++ == 3) {
              everyoneWrote.countDown();
            }
            if (victimGone.get()) {
              afterInterrupt++;
            }
          }
          return writes;
        }));
      }
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean interruptedAfterwards = new AtomicBoolean();
      Thread victim = new Thread(() -> {
        try {
          for (long i = 0; ; i++) {
            long c = Math.min(i, victimChunks - 1); // past the region: rewrite the last chunk
            ByteBuffer src = ByteBuffer.allocate(chunk);
            Arrays.fill(src.array(), victimPattern(c));
            writeFully(victimChannel, src, victimRegion + c * chunk);
            completedChunks.set(c + 1);
            if (i == 3) {
              everyoneWrote.countDown();
            }
          }
        } catch (Throwable t) {
          thrown.set(t);
        }
        interruptedAfterwards.set(Thread.currentThread().isInterrupted());
      }, "victim-writer");
      victim.setDaemon(true);
      victim.start();
      assertTrue(everyoneWrote.await(30, TimeUnit.SECONDS), "writers did not start");
      Interrupts.interruptWithin(victim, 30_000);
      victim.join(30_000);
      assertFalse(victim.isAlive(), "the interrupted writer did not stop");
      if (!(thrown.get() instanceof ClosedByInterruptException)) {
        throw new AssertionError("the interrupted writer ended with " + thrown.get(), thrown.get());
      }
      assertTrue(interruptedAfterwards.get(), "the victim must keep its interrupt status");
      assertFalse(victimChannel.isOpen(), "the victim's channel must be closed");
      victimGone.set(true);
      for (Future<Integer> r : results) {
        assertTrue(getOrRethrow(r) > 50, "a writer stopped early");
      }
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
    }

    for (int w = 0; w < others; w++) {
      FileChannel ch = otherChannels.get(w);
      assertTrue(ch.isOpen(), "writer " + w + "'s channel was closed by another thread's interrupt");
      ByteBuffer back = ByteBuffer.allocate(regionLength);
      readFully(ch, back, w * 4L * MIB + 333);
      assertSameBytes(regionModels[w], back.array(), "writer " + w + "'s region through its own "
          + "channel, " + random);
    }
    byte[] now = readAll(otherChannels.get(0));
    // Chunks before the last completed one are whole, the interrupted one may be partial, and
    // nothing comes after it.
    long done = completedChunks.get();
    for (long c = 0; c < victimChunks; c++) {
      long from = victimRegion + c * chunk;
      byte pattern = victimPattern(c);
      for (int i = 0; i < chunk; i++) {
        byte got = now[(int) from + i];
        boolean ok = c < done ? got == pattern : c == done ? got == pattern || got == 0 : got == 0;
        if (!ok) {
          fail("byte " + i + " of the victim's chunk " + c + " is " + got + " after " + done
              + " completed chunks (pattern " + pattern + "), " + random);
        }
      }
    }
    byte[] model = new byte[(int) size];
    for (int w = 0; w < others; w++) {
      System.arraycopy(regionModels[w], 0, model, (int) (w * 4L * MIB + 333), regionLength);
    }
    System.arraycopy(now, (int) victimRegion, model, (int) victimRegion,
        (int) (size - victimRegion));
    assertSameBytes(model, now, "whole disk after the interrupt, " + random);
    for (FileChannel ch : otherChannels) {
      ch.close();
    }
    // The interrupted chunk may be partly written, but never under clear bits (bits go first),
    // so qemu-img, which ignores sector bitmaps, reads exactly what this library reads.
    checkStoredImage(image, disk, model, -1);
  }

  private static byte victimPattern(long chunk) {
    return (byte) (1 + chunk % 250);
  }

  // ---------------------------------------------------------------- handles

  /**
   * 10,000 channels opened, written and closed one after another, in every way a user opens
   * one, leave no descriptor on the image open; the image then holds every write and opens in
   * qemu-img.
   */
  @Test
  @Timeout(300)
  void tenThousandOpenWriteCloseCyclesLeaveNoHostHandleOpen(SeededRandom random) throws Exception {
    Path fds = Path.of("/proc/self/fd");
    Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux) to count handles");
    int blockSize = 64 * KIB;
    long size = 64L * MIB;
    Path[] made = newDynamicImage("cycles", size, blockSize);
    Path image = made[0];
    Path disk = made[1];
    Path real = image.toRealPath();
    assertEquals(0, handlesTo(fds, real), "handles before any channel");
    byte[] model = new byte[(int) size];
    BitSet touched = new BitSet();
    for (int i = 0; i < 10_000; i++) {
      int length = 1 + random.nextInt(3000);
      long at = random.nextInt((int) size - length);
      byte[] bytes = randomBytes(length, random.nextLong());
      switch (i % 5) {
        case 0 -> {
          try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(bytes), at);
            if (i == 0) {
              assertTrue(handlesTo(fds, real) > 0, "no handle seen while a channel is open: the "
                  + "count below would prove nothing");
            }
          }
        }
        case 1 -> {
          try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.READ,
              StandardOpenOption.WRITE)) {
            ch.position(at);
            ByteBuffer src = ByteBuffer.wrap(bytes);
            while (src.hasRemaining()) {
              ch.write(src);
            }
          }
        }
        case 2 -> {
          try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ,
              StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.allocateDirect(length).put(bytes).flip(), at);
            ByteBuffer back = ByteBuffer.allocate(length);
            readFully(ch, back, at);
            assertArrayEquals(bytes, back.array(), "cycle " + i + ", " + random);
          }
        }
        case 3 -> {
          if (i % 1000 == 3) { // now and then the stream form, which writes from 0
            at = 0;
            try (OutputStream out = Files.newOutputStream(disk)) {
              out.write(bytes);
            }
          } else {
            try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE,
                StandardOpenOption.DSYNC)) {
              writeFully(ch, ByteBuffer.wrap(bytes), at);
            }
          }
        }
        default -> {
          // Two channels at once, closed in the opposite order.
          FileChannel first = FileChannel.open(disk, StandardOpenOption.READ);
          try (FileChannel second = FileChannel.open(disk, StandardOpenOption.WRITE)) {
            writeFully(second, ByteBuffer.wrap(bytes), at);
            ByteBuffer back = ByteBuffer.allocate(length);
            readFully(first, back, at);
            assertArrayEquals(bytes, back.array(), "cycle " + i + ", " + random);
          } finally {
            first.close();
          }
        }
      }
      System.arraycopy(bytes, 0, model, (int) at, length);
      touch(touched, at, length, blockSize);
    }
    assertEquals(0, handlesTo(fds, real), "host handles left open on " + real + " after 10,000 "
        + "open/write/close cycles");
    assertEquals(touched.cardinality(), allocatedBlocks(disk), "vhd:allocatedBlocks, " + random);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertSameBytes(model, readAll(ch), "the disk after 10,000 cycles, " + random);
    }
    assertEquals(0, handlesTo(fds, real), "host handles left open after the final read");
    checkStoredImage(image, disk, model, touched.cardinality());
    QemuTools.find().ifPresent(qemu ->
        assertEquals(size, qemu.virtualSize(image), "qemu-img info: virtual size"));
    assertEquals(0, handlesTo(fds, real), "host handles left open after the checks");
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

  // ---------------------------------------------------------------- checks of the stored image

  /**
   * With every channel closed: a new channel and a new, unregistered file system read
   * {@code model}; the BAT has {@code blocks} entries (unless negative) that are distinct and lie
   * inside the file; qemu-img, where installed, reads {@code model} too.
   */
  private void checkStoredImage(Path image, Path disk, byte[] model, long blocks)
      throws IOException {
    try {
      checkStoredImageOrFail(image, disk, model, blocks);
    } catch (AssertionError e) {
      // Keep the evidence: the temp dir is deleted after the test.
      Path kept = Path.of("target", "failed-images", image.getFileName() + "-" + System.nanoTime());
      Files.createDirectories(kept);
      Files.copy(image, kept.resolve("image.vhd"));
      Files.write(kept.resolve("expected-disk.bin"), model);
      e.addSuppressed(new AssertionError("image and expected disk kept in "
          + kept.toAbsolutePath()));
      throw e;
    }
  }

  private void checkStoredImageOrFail(Path image, Path disk, byte[] model, long blocks)
      throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertSameBytes(model, readAll(ch), "a new channel after every channel was closed");
    }
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
        assertSameBytes(model, readAll(ch), "a new file system on the image");
      }
    }
    checkBat(image, blocks);
    Optional<QemuTools> qemuTools = QemuTools.find();
    if (qemuTools.isPresent()) {
      Path raw = dir.resolve(image.getFileName() + ".raw");
      qemuTools.get().convertToRaw(image, raw);
      byte[] qemu = Files.readAllBytes(raw);
      assertEquals(model.length, qemu.length, "qemu-img's disk length");
      assertSameBytes(model, qemu, "qemu-img convert of the image");
      Files.delete(raw);
    }
  }

  /** Parses the footer, header and BAT straight from the file (the format, not the library). */
  private static void checkBat(Path image, long expectedBlocks) throws IOException {
    long fileSize = Files.size(image);
    long headerAt = HostBytes.readLong(image, fileSize - 512 + 16);
    long tableAt = HostBytes.readLong(image, headerAt + 16);
    int entries = HostBytes.readInt(image, headerAt + 28);
    int blockSize = HostBytes.readInt(image, headerAt + 32);
    int bitmapBytes = ((blockSize / SECTOR + 7) / 8 + SECTOR - 1) / SECTOR * SECTOR;
    ByteBuffer bat = ByteBuffer.wrap(HostBytes.read(image, tableAt, entries * 4));
    Map<Long, Integer> owners = new HashMap<>();
    long used = 0;
    for (int i = 0; i < entries; i++) {
      long sector = bat.getInt(i * 4) & 0xFFFF_FFFFL;
      if (sector == 0xFFFF_FFFFL) {
        continue;
      }
      used++;
      Integer before = owners.put(sector, i);
      if (before != null) {
        fail("BAT entries " + before + " and " + i + " both point at sector " + sector);
      }
      long end = sector * SECTOR + bitmapBytes + blockSize;
      assertTrue(end <= fileSize - 512, "block " + i + " ends at " + end + ", past the footer at "
          + (fileSize - 512));
    }
    if (expectedBlocks >= 0) {
      assertEquals(expectedBlocks, used, "BAT entries in use on disk");
    }
    long end = owners.keySet().stream().mapToLong(s -> s * SECTOR + bitmapBytes + blockSize)
        .max().orElse(0);
    // Blocks overlapping would show as entries closer than a block apart.
    List<Long> starts = new ArrayList<>(owners.keySet());
    starts.sort(null);
    for (int k = 1; k < starts.size(); k++) {
      long gap = (starts.get(k) - starts.get(k - 1)) * SECTOR;
      assertTrue(gap >= bitmapBytes + blockSize, "blocks at sectors " + starts.get(k - 1) + " and "
          + starts.get(k) + " overlap");
    }
    assertTrue(end <= fileSize - 512, "blocks pass the end footer");
  }

  // ---------------------------------------------------------------- helpers

  private static long allocatedBlocks(Path disk) throws IOException {
    return ((Number) Files.getAttribute(disk, "vhd:allocatedBlocks")).longValue();
  }

  private static void touch(BitSet touched, long at, int length, int blockSize) {
    touched.set((int) (at / blockSize), (int) ((at + length - 1) / blockSize) + 1);
  }

  private static byte[] randomBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** A sector stamped with the write that made it and the overlap sector it belongs to. */
  private static byte[] stampedSector(int stamp, int sector) {
    byte[] bytes = randomBytes(SECTOR, (long) stamp * 1_000_003L + sector);
    ByteBuffer.wrap(bytes).putInt(0, stamp).putInt(4, sector);
    return bytes;
  }

  private static ByteBuffer buffer(Random random, byte[] bytes) {
    switch (random.nextInt(3)) {
      case 0:
        return ByteBuffer.wrap(bytes);
      case 1:
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
      default: {
        byte[] backing = new byte[bytes.length + 20];
        System.arraycopy(bytes, 0, backing, 13, bytes.length);
        return ByteBuffer.wrap(backing, 10, bytes.length + 5).slice().position(3)
            .limit(3 + bytes.length);
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer src, long at) throws IOException {
    long pos = at;
    while (src.hasRemaining()) {
      pos += ch.write(src, pos);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long at) throws IOException {
    long pos = at;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new IOException("EOF at " + pos + " with " + dst.remaining() + " bytes wanted");
      }
      pos += n;
    }
  }

  private static byte[] readAll(FileChannel ch) throws IOException {
    ByteBuffer all = ByteBuffer.allocate((int) ch.size());
    readFully(ch, all, 0);
    return all.array();
  }

  private static void assertSameBytes(byte[] expected, byte[] actual, String where) {
    assertEquals(expected.length, actual.length, "length, " + where);
    int mismatch = Arrays.mismatch(expected, actual);
    if (mismatch >= 0) {
      fail("byte " + mismatch + " is " + actual[mismatch] + ", expected " + expected[mismatch]
          + ", " + where);
    }
  }

  private static <T> T getOrRethrow(Future<T> future) throws Exception {
    try {
      return future.get(150, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw (Exception) cause;
    }
  }
}
