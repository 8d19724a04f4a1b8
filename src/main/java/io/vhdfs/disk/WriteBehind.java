package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts the host's write-back of a file that is being filled, while the filling goes on: after
 * every {@link #EVERY} bytes written, a {@code force} of the file runs on a background thread
 * (unless the last one is still running). Without it the host writes nothing back until the
 * final force, which then waits for the whole file to reach the disk; with it, the disk works
 * while the copy does, and the final force finds most pages clean. Java has no call that only
 * starts write-back (Linux's {@code sync_file_range}); a force from another thread is the
 * nearest, since a file channel's positional writes go on while it runs. Only for new files that
 * are forced at the end anyway: the early forces promise nothing, and a failed one is reported
 * by {@link #await}. {@link #wrote} may be called from several threads.
 */
public final class WriteBehind implements Closeable {
  /** Bytes written between two background forces. */
  public static final long EVERY = 64L << 20;

  private final FileChannel channel;
  private ExecutorService thread;
  private volatile Future<?> running;
  private long sinceLast;

  public WriteBehind(FileChannel channel) {
    this.channel = channel;
  }

  /** Counts {@code bytes} more written, and starts a background force when enough are. */
  public synchronized void wrote(long bytes) {
    sinceLast += bytes;
    if (sinceLast < EVERY || (running != null && !running.isDone())) {
      return;
    }
    sinceLast = 0;
    if (thread == null) {
      thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vhdfs-write-behind");
        t.setDaemon(true);
        return t;
      });
    }
    running = thread.submit(() -> {
      channel.force(false);
      return null;
    });
  }

  /** Waits for the background force, if one runs; rethrows its failure. */
  public void await() throws IOException {
    Future<?> f = running;
    if (f == null) {
      return;
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          f.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof IOException io) {
            throw io;
          }
          throw new IOException("background force of the file failed", e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops the background thread once its force, if any, is done. */
  @Override
  public void close() {
    if (thread != null) {
      thread.shutdown();
    }
  }
}
