package io.vhdfs.image;

import io.vhdfs.disk.Extent;
import io.vhdfs.disk.KernelCopy;
import io.vhdfs.disk.ProgressListener;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Copies a source disk's stored bytes into a sink that takes them at any offset, a chunk at a time
 * on {@link #THREADS} threads, so that reads, zero checks and writes of different chunks overlap
 * (the host's page-cache copies are the cost, and they run on every core).
 *
 * <p>A chunk whose stored bytes lie in a row in a file the host can copy from, where the sink has a
 * host file ({@link ImageSink#hostFile}), is copied by the host ({@link KernelCopy}) without
 * passing through the JVM, when its first look says the copy pays: a few pages of the chunk are
 * read ({@link #SAMPLES} per chunk, a page each) and every one holds data. Zeros that do not fill
 * a whole sampled page can hide anywhere, and a chunk copied whole writes them as data, where the
 * scan of every byte would have left them as holes (of a raw or fixed result, or of a block of a
 * dynamic one); a result allocated in blocks gets the same blocks either way, a chunk being one
 * grain (its block, or 4 MiB of a larger one) there. A chunk with a zero page among its samples
 * is scanned instead: it is mostly holes when the host cannot say where a source file's holes
 * are (Java 17), and copying it whole would write them all, and force them, as data.
 *
 * <p>Every other chunk is read into a buffer, its pages that are all zero found, and the rest
 * handed to {@link ImageSink#write}: a grain with data allocates its block by the first page
 * written, and the block's pages left out are holes in the new file (for a raw result the grain
 * is a page). Neither path changes what the result reads: a hole and written zeros read the same.
 *
 * <p>The threads are never interrupted (an interrupt would close host channels the source shares
 * with others); an interrupt of the calling thread stops the copy after the chunks under way.
 */
final class ParallelCopy {
  /**
   * Copying threads: one per core, at least two so reads overlap writes, at most four. More
   * threads than cores cost more than they gain: writes into one file wait on its lock in turn,
   * and a whole {@code ./vhd convert} of a 1 GiB VHD to raw on 2 cores took twice the CPU time
   * with 4 threads that it took with 2.
   */
  static final int THREADS =
      Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
  /** Pages looked at per chunk before a host copy. */
  static final int SAMPLES = 4;
  private static final int PAGE = 4096;

  private final ImageSource source;
  private final List<long[]> ranges;
  private final List<Extent> extents;
  private final Set<Path> copyable;
  private final ImageSink sink;
  private final boolean blocks;
  private final int chunk;
  private final int grain;
  private final long end;
  private final Path hostFile;
  private final List<Worker> workers = Collections.synchronizedList(new ArrayList<>());
  private final ThreadLocal<Worker> worker = ThreadLocal.withInitial(this::newWorker);

  /**
   * @param ranges the stored ranges, {start, end} pairs in order, merged
   * @param extents the same bytes as extents that lie in a row in their file, in order
   * @param copyable the files the host may copy stored bytes from (their bytes read as stored)
   * @param blocks whether the result allocates blocks, each written whole or not at all
   * @param chunk bytes per chunk
   * @param grain the result's unit allocated whole or not at all (its block, or 4 MiB of a
   *     larger one; a page of a raw result), a divisor of {@code chunk}
   * @param end the disk's end
   */
  ParallelCopy(ImageSource source, List<long[]> ranges, List<Extent> extents, Set<Path> copyable,
      ImageSink sink, boolean blocks, int chunk, int grain, long end) {
    this.source = source;
    this.ranges = ranges;
    this.extents = extents;
    this.copyable = copyable;
    this.sink = sink;
    this.blocks = blocks;
    this.chunk = chunk;
    this.grain = grain;
    this.end = end;
    this.hostFile = sink.hostFile();
  }

  /** What one chunk's copy did: bytes read from the source, bytes written into the result. */
  private record Done(long at, int length, long read, long written) {}

  /**
   * Copies every chunk that holds stored bytes, reporting progress in disk order.
   *
   * @return bytes read and bytes written
   */
  long[] run(ProgressListener progress) throws IOException {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "vhdfs convert: copy");
      t.setDaemon(true);
      return t;
    });
    Deque<Future<Done>> pending = new ArrayDeque<>();
    long read = 0;
    long written = 0;
    long done = 0;
    try {
      int r = 0;
      int x = 0;
      for (long at = 0; at < end; at += chunk) {
        int n = (int) Math.min(chunk, end - at);
        while (r < ranges.size() && ranges.get(r)[1] <= at) {
          r++;
        }
        while (x < extents.size() && extents.get(x).offset() + extents.get(x).length() <= at) {
          x++;
        }
        if (r == ranges.size()) {
          break;
        }
        if (ranges.get(r)[0] >= at + n) {
          continue;
        }
        long from = at;
        int firstRange = r;
        int firstExtent = x;
        pending.add(pool.submit(() -> worker.get().copy(from, n, firstRange, firstExtent)));
        while (pending.size() >= 2 * THREADS) {
          Done d = await(pending.poll());
          read += d.read();
          written += d.written();
          done = d.at() + d.length();
          progress.advanced(done, end);
        }
      }
      while (!pending.isEmpty()) {
        Done d = await(pending.poll());
        read += d.read();
        written += d.written();
        done = d.at() + d.length();
        progress.advanced(done, end);
      }
    } catch (IOException | RuntimeException | Error e) {
      stop(pool, pending, e);
      throw e;
    }
    stop(pool, pending, null);
    if (done < end) {
      progress.advanced(end, end);
    }
    return new long[] {read, written};
  }

  /**
   * Cancels the chunks not begun, waits for those under way and closes the threads' channels; a
   * failure to close is added to {@code failure} where there is one, else thrown.
   */
  private void stop(ExecutorService pool, Deque<Future<Done>> pending, Throwable failure)
      throws IOException {
    for (Future<Done> f : pending) {
      f.cancel(false); // never interrupted: see the class doc
    }
    pool.shutdown();
    awaitQuietly(pool);
    try {
      closeWorkers();
    } catch (IOException e) {
      if (failure == null) {
        throw e;
      }
      failure.addSuppressed(e);
    }
  }

  private static Done await(Future<Done> f) throws IOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("conversion interrupted");
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("conversion interrupted");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(c);
    }
  }

  /** Waits for the threads to finish their chunks, keeping an interrupt for the caller. */
  private static void awaitQuietly(ExecutorService pool) {
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeWorkers() throws IOException {
    IOException failure = null;
    synchronized (workers) {
      for (Worker w : workers) {
        try {
          w.close();
        } catch (IOException e) {
          failure = failure == null ? e : failure;
        }
      }
      workers.clear();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private Worker newWorker() {
    Worker w = new Worker();
    workers.add(w);
    return w;
  }

  /** One thread's buffers and host channels. */
  private final class Worker {
    private final ByteBuffer zeros = ByteBuffer.allocateDirect(Math.max(grain, PAGE));
    private final ByteBuffer sample = ByteBuffer.allocateDirect(PAGE);
    private ByteBuffer buf;
    private KernelCopy kernel;

    Done copy(long at, int n, int firstRange, int firstExtent) throws IOException {
      List<Extent> pieces = pieces(at, n, firstExtent);
      if (hostCopyPays(at, n, pieces)) {
        long read = 0;
        for (Extent p : pieces) {
          hostCopy(p);
          read += p.length();
        }
        return new Done(at, n, read, blocks ? n : read);
      }
      if (buf == null) {
        buf = ByteBuffer.allocateDirect(chunk + PAGE).alignedSlice(PAGE);
      }
      long read = ReadAhead.fill(source, ranges, firstRange, buf, at, n, zeros);
      // Pages, for every result (a raw one's grain is a page): a block result's block is
      // allocated by its first page of data, as the grain rule has it, and the pages it is not
      // handed read as zeros (holes in the file).
      int[] runs = ReadAhead.nonZeroRuns(buf, n, PAGE, zeros);
      long written = 0;
      for (int i = 0; i < runs.length; i += 2) {
        sink.write(buf.limit(runs[i + 1]).position(runs[i]), at + runs[i]);
        written += runs[i + 1] - runs[i];
      }
      buf.clear();
      return new Done(at, n, read, written);
    }

    /** The stored extents inside {@code [at, at + n)}, clipped to it. */
    private List<Extent> pieces(long at, int n, int first) {
      List<Extent> pieces = new ArrayList<>();
      for (int k = first; k < extents.size() && extents.get(k).offset() < at + n; k++) {
        Extent e = extents.get(k);
        long from = Math.max(e.offset(), at);
        long to = Math.min(e.offset() + e.length(), at + n);
        if (from < to) {
          pieces.add(new Extent(from, to - from, true, e.depth(), e.file(),
              e.hostOffset() + (from - e.offset())));
        }
      }
      return pieces;
    }

    /** The rule of the class doc: host files on both sides, pages alike, every sample data. */
    private boolean hostCopyPays(long at, int n, List<Extent> pieces) throws IOException {
      if (hostFile == null || pieces.isEmpty() || (blocks && grain != n)) {
        return false; // a sample proves only its own grain: one grain per chunk
      }
      for (Extent p : pieces) {
        if (!copyable.contains(p.file())
            || Math.floorMod(p.hostOffset() - p.offset(), PAGE) != 0) {
          return false; // a copy between pages that do not line up costs more than a read
        }
      }
      int step = Math.max(PAGE, n / SAMPLES / PAGE * PAGE);
      for (Extent p : pieces) {
        long pEnd = p.offset() + p.length();
        for (long s = p.offset(); s < pEnd; s += step) {
          int len = (int) Math.min(PAGE, pEnd - s);
          sample.clear().limit(len);
          source.readFully(sample, s);
          if (sample.flip().mismatch(zeros.slice(0, len)) < 0) {
            return false; // zeros here: the scan leaves them as holes
          }
        }
      }
      return true;
    }

    private void hostCopy(Extent p) throws IOException {
      if (kernel == null) {
        kernel = new KernelCopy(hostFile);
      }
      long at = p.offset();
      long stop = p.offset() + p.length();
      while (at < stop) {
        long n = Math.min(stop, sink.hostRegionEnd(at)) - at;
        kernel.copy(p.file(), p.hostOffset() + (at - p.offset()), n, sink.hostOffset(at));
        sink.copied(at, n);
        at += n;
      }
    }

    void close() throws IOException {
      if (kernel != null) {
        kernel.close();
      }
    }
  }
}
