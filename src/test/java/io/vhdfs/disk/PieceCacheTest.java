package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link PieceCache} over a file whose every read is a request, as on an object store: bytes
 * always right, few requests for reads in order, one piece for a read out of order, nothing
 * fetched twice while held, never more held than asked, failures handed to the readers and
 * tried again.
 */
final class PieceCacheTest {
  private static final int MIB = 1 << 20;

  @Test
  void readsInOrderTakeOneRequestPerEightMib() throws IOException {
    byte[] file = random(40 * MIB + 1000, 1);
    AtomicLong requests = new AtomicLong();
    try (PieceCache cache = new PieceCache("f", file.length, 64L * MIB, null,
        opener(file, null), requests)) {
      byte[] read = readAll(cache, file.length, 64 * 1024);

      assertArrayEquals(file, read);
      // The first read, not yet known to be in order, fetches its piece alone; every later
      // request fetches up to 8 pieces, the reader's own or read-ahead's.
      long pieces = (file.length + PieceCache.PIECE - 1) / PieceCache.PIECE;
      assertTrue(requests.get() <= 1 + (pieces - 1 + PieceCache.MAX_SPAN - 1)
          / PieceCache.MAX_SPAN + 2, requests + " requests for " + pieces + " pieces");
    }
  }

  @Test
  void readsOutOfOrderFetchTheirPieceOnlyAndNeverTwiceWhileHeld() throws IOException {
    byte[] file = random(32 * MIB, 2);
    AtomicLong requests = new AtomicLong();
    try (PieceCache cache = new PieceCache("f", file.length, 64L * MIB, null,
        opener(file, null), requests)) {
      long[] at = {20L * MIB + 5, 3L * MIB + 7, 30L * MIB, 11L * MIB + 100, 3L * MIB + 4000};
      for (long position : at) {
        ByteBuffer b = ByteBuffer.allocate(512);
        assertEquals(512, cache.read(b, position));
        assertArrayEquals(slice(file, position, 512), b.array());
      }
      assertEquals(4, requests.get(), "one per piece; the second read of piece 3 fetches none");
      assertEquals(4L * MIB, cache.heldBytes());
    }
  }

  @Test
  void neverHoldsMoreThanItsCapacity() throws IOException {
    byte[] file = random(24 * MIB, 3);
    try (PieceCache cache = new PieceCache("f", file.length, 4L * MIB, null,
        opener(file, null), new AtomicLong())) {
      assertArrayEquals(file, readAll(cache, file.length, MIB / 2));
      assertTrue(cache.heldBytes() <= 4L * MIB, cache.heldBytes() + " bytes held");
      Random r = new Random(4);
      for (int i = 0; i < 200; i++) {
        long position = (long) (r.nextDouble() * (file.length - 100));
        ByteBuffer b = ByteBuffer.allocate(100);
        while (b.hasRemaining()) {
          cache.read(b, position + b.position());
        }
        assertArrayEquals(slice(file, position, 100), b.array());
        assertTrue(cache.heldBytes() <= 4L * MIB, cache.heldBytes() + " bytes held");
      }
    }
  }

  @Test
  void concurrentReadersAllGetTheirBytes() throws Exception {
    byte[] file = random(16 * MIB + 333, 5);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (PieceCache cache = new PieceCache("f", file.length, 6L * MIB, null,
        opener(file, null), new AtomicLong())) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        done.add(pool.submit(() -> {
          Random r = new Random(seed);
          for (int i = 0; i < 2000; i++) {
            int length = 1 + r.nextInt(300_000);
            long position = (long) (r.nextDouble() * (file.length - length));
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining()) {
              cache.read(b, position + b.position());
            }
            assertArrayEquals(slice(file, position, length), b.array());
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedRequestFailsItsReaderAndIsMadeAgainByTheNext() throws IOException {
    byte[] file = random(4 * MIB, 6);
    AtomicInteger failuresLeft = new AtomicInteger(1);
    try (PieceCache cache = new PieceCache("f", file.length, 64L * MIB, null,
        opener(file, failuresLeft), new AtomicLong())) {
      ByteBuffer b = ByteBuffer.allocate(4096);
      IOException e = assertThrows(IOException.class, () -> cache.read(b, 2L * MIB));
      assertTrue(e.getMessage().contains("host refused"), e.getMessage());

      assertEquals(4096, cache.read(b.clear(), 2L * MIB));
      assertArrayEquals(slice(file, 2L * MIB, 4096), b.array());
    }
  }

  @Test
  void theEndOfTheFileIsMinusOneAndTheLastPieceIsShort() throws IOException {
    byte[] file = random(3 * MIB + 10, 7);
    try (PieceCache cache = new PieceCache("f", file.length, 64L * MIB, null,
        opener(file, null), new AtomicLong())) {
      ByteBuffer b = ByteBuffer.allocate(100);
      assertEquals(10, cache.read(b, 3L * MIB));
      assertEquals(-1, cache.read(b.clear(), file.length));
      assertEquals(-1, cache.read(b.clear(), file.length + 5L));
    }
  }

  @Test
  void aClosedCacheRefusesReads() throws IOException {
    byte[] file = random(MIB, 8);
    PieceCache cache = new PieceCache("f", file.length, 64L * MIB, null,
        opener(file, null), new AtomicLong());
    cache.close();
    assertThrows(IOException.class, () -> cache.read(ByteBuffer.allocate(10), 0));
  }

  private static byte[] readAll(PieceCache cache, int length, int chunk) throws IOException {
    byte[] out = new byte[length];
    ByteBuffer b = ByteBuffer.wrap(out);
    while (b.hasRemaining()) {
      b.limit(Math.min(length, b.position() + chunk));
      cache.read(b, b.position());
      b.limit(length);
    }
    return out;
  }

  private static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] slice(byte[] b, long from, int length) {
    byte[] s = new byte[length];
    System.arraycopy(b, (int) from, s, 0, length);
    return s;
  }

  /** Channels onto {@code file}; while {@code failures} is above 0, a read fails and counts it. */
  private static PieceCache.Opener opener(byte[] file, AtomicInteger failures) {
    return () -> new SeekableByteChannel() {
      private long position;
      private boolean open = true;

      @Override
      public int read(ByteBuffer dst) throws IOException {
        if (!open) {
          throw new ClosedChannelException();
        }
        if (failures != null && failures.getAndDecrement() > 0) {
          throw new IOException("host refused the request");
        }
        if (position >= file.length) {
          return -1;
        }
        // Like a network stream: no more than 256 KiB a call.
        int n = (int) Math.min(Math.min(dst.remaining(), 256 * 1024), file.length - position);
        dst.put(file, (int) position, n);
        position += n;
        return n;
      }

      @Override
      public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
      }

      @Override
      public long position() {
        return position;
      }

      @Override
      public SeekableByteChannel position(long newPosition) {
        position = newPosition;
        return this;
      }

      @Override
      public long size() {
        return file.length;
      }

      @Override
      public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
      }

      @Override
      public boolean isOpen() {
        return open;
      }

      @Override
      public void close() {
        open = false;
      }
    };
  }
}
