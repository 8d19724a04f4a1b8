package io.vhdfs.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a source disk's stored ranges chunk by chunk on a thread of its own, ahead of the caller
 * that writes them, and finds the runs in each chunk that are not all zeros: reading, scanning and
 * writing are each a memory copy or pass, so on more than one core they overlap. Chunks outside
 * the stored ranges are not read and not returned.
 *
 * <p>The reading thread is never interrupted (an interrupt would close a host channel other users
 * of the source share); {@link #close} asks it to stop and waits for it.
 */
final class ReadAhead implements Closeable {
  /** Chunks read ahead of the one being written. */
  private static final int DEPTH = 3;
  private static final long POLL_MILLIS = 50;

  /**
   * One chunk of the disk.
   *
   * @param at its disk offset
   * @param length its bytes, in {@code buf[0, length)}
   * @param read bytes of it read from the source (the rest is not stored there: zeros)
   * @param runs start and end offsets in {@code buf} of the runs of grains that are not all zero
   */
  record Chunk(long at, int length, ByteBuffer buf, long read, int[] runs) {}

  /** Ends the stream of chunks: normally, or with the reader's failure. */
  private record End(Throwable failure) {}

  private final ImageSource source;
  private final List<long[]> ranges;
  private final long end;
  private final int chunkSize;
  private final int grain;
  private final ByteBuffer zeros;
  private final BlockingQueue<ByteBuffer> free = new LinkedBlockingQueue<>();
  private final BlockingQueue<Object> filled = new LinkedBlockingQueue<>();
  private final Thread reader;
  private volatile boolean stopped;
  private boolean ended;

  /**
   * Starts reading {@code [0, end)} of {@code source}, of which {@code ranges} ({start, end}
   * pairs, in order) are stored, in chunks of {@code chunkSize} bytes, scanned for zeros in
   * grains of {@code grain} bytes (a divisor of {@code chunkSize}).
   */
  ReadAhead(ImageSource source, List<long[]> ranges, long end, int chunkSize, int grain) {
    this.source = source;
    this.ranges = ranges;
    this.end = end;
    this.chunkSize = chunkSize;
    this.grain = grain;
    this.zeros = ByteBuffer.allocateDirect(grain);
    for (int i = 0; i < DEPTH + 1; i++) {
      free.add(ByteBuffer.allocateDirect(chunkSize + 4096).alignedSlice(4096));
    }
    this.reader = new Thread(this::readAll, "vhdfs convert: read-ahead");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * The next chunk holding stored ranges, in disk order, or null after the last; give its buffer
   * back with {@link #release} once written.
   *
   * @throws InterruptedIOException if the calling thread is interrupted (its interrupt is kept)
   */
  Chunk next() throws IOException {
    if (ended) {
      return null;
    }
    Object o;
    try {
      o = filled.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("conversion interrupted");
    }
    if (o instanceof End e) {
      ended = true;
      if (e.failure() instanceof IOException x) {
        throw x;
      }
      if (e.failure() instanceof RuntimeException x) {
        throw x;
      }
      if (e.failure() instanceof Error x) {
        throw x;
      }
      return null;
    }
    return (Chunk) o;
  }

  /** Gives a chunk's buffer back for reading further. */
  void release(Chunk chunk) {
    free.add(chunk.buf());
  }

  private void readAll() {
    try {
      int r = 0;
      for (long at = 0; at < end && !stopped; at += chunkSize) {
        int n = (int) Math.min(chunkSize, end - at);
        while (r < ranges.size() && ranges.get(r)[1] <= at) {
          r++;
        }
        if (r == ranges.size()) {
          break;
        }
        if (ranges.get(r)[0] >= at + n) {
          continue;
        }
        ByteBuffer buf = takeFree();
        if (buf == null) {
          break;
        }
        long read = fill(r, buf, at, n);
        filled.add(new Chunk(at, n, buf, read, nonZeroRuns(buf, n, grain, zeros)));
      }
      filled.add(new End(null));
    } catch (IOException | RuntimeException | Error e) {
      filled.add(new End(e));
    }
  }

  /** A free buffer, or null once stopped. */
  private ByteBuffer takeFree() {
    while (!stopped) {
      try {
        ByteBuffer b = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (b != null) {
          return b;
        }
      } catch (InterruptedException e) {
        // Not ours to take: only close() stops this thread, through the flag.
      }
    }
    return null;
  }

  /** Puts the disk's bytes {@code [at, at + n)} into {@code buf}; returns the bytes read. */
  private long fill(int first, ByteBuffer buf, long at, int n) throws IOException {
    return fill(source, ranges, first, buf, at, n, zeros);
  }

  /**
   * Puts the disk's bytes {@code [at, at + n)} into {@code buf}: the parts of {@code ranges}
   * (from index {@code first} on) read from {@code source}, zeros elsewhere (from {@code zeros}).
   *
   * @return the bytes read
   */
  static long fill(ImageSource source, List<long[]> ranges, int first, ByteBuffer buf, long at,
      int n, ByteBuffer zeros) throws IOException {
    long read = 0;
    long p = at;
    buf.clear();
    for (int k = first; k < ranges.size() && ranges.get(k)[0] < at + n; k++) {
      long from = Math.max(ranges.get(k)[0], at);
      long to = Math.min(ranges.get(k)[1], at + n);
      zero(buf, (int) (p - at), (int) (from - p), zeros);
      source.readFully(buf.limit((int) (to - at)).position((int) (from - at)), from);
      buf.clear();
      read += to - from;
      p = to;
    }
    zero(buf, (int) (p - at), (int) (at + n - p), zeros);
    return read;
  }

  private static void zero(ByteBuffer buf, int from, int length, ByteBuffer zeros) {
    for (int done = 0; done < length; ) {
      int k = Math.min(zeros.capacity(), length - done);
      buf.put(from + done, zeros, 0, k);
      done += k;
    }
  }

  /**
   * Start and end offsets of the runs of grains in {@code buf[0, n)} that are not all zero;
   * {@code zeros} holds a grain of zeros.
   */
  static int[] nonZeroRuns(ByteBuffer buf, int n, int grain, ByteBuffer zeros) {
    int[] runs = new int[8];
    int count = 0;
    int runStart = -1;
    for (int g = 0; g < n; g += grain) {
      int len = Math.min(grain, n - g);
      if (buf.slice(g, len).mismatch(zeros.slice(0, len)) >= 0) {
        runStart = runStart < 0 ? g : runStart;
        continue;
      }
      if (runStart >= 0) {
        runs = add(runs, count, runStart, g);
        count += 2;
        runStart = -1;
      }
    }
    if (runStart >= 0) {
      runs = add(runs, count, runStart, n);
      count += 2;
    }
    return Arrays.copyOf(runs, count);
  }

  private static int[] add(int[] runs, int count, int from, int to) {
    int[] r = count + 2 > runs.length ? Arrays.copyOf(runs, runs.length * 2) : runs;
    r[count] = from;
    r[count + 1] = to;
    return r;
  }

  /** Stops the reading thread and waits for it. */
  @Override
  public void close() throws IOException {
    stopped = true;
    boolean interrupted = false;
    while (true) {
      try {
        reader.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the reader finishes its one read soon; wait for it all the same
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
