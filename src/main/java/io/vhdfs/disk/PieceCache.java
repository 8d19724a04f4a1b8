package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads of an image file on a host whose every read is a request (an object store such as S3,
 * a zip entry): through a bounded cache of aligned 1 MiB pieces that every channel of the image
 * shares, fetched with as few requests as the access pattern allows.
 *
 * <ul>
 *   <li>A read that misses fetches its piece, and the missing pieces after it, in one request: a
 *       single piece where reads jump about, up to {@link #MAX_SPAN} pieces (8 MiB) once they run
 *       in order.
 *   <li>Reads in order also start read-ahead: the next pieces are fetched in the background, up
 *       to {@link #PARALLEL_FETCHES} requests at once, each on a host channel of its own.
 *   <li>The image's metadata (footer, headers, tables) is read once when the image opens and held
 *       by its format; the pieces it came in serve any later look at the same bytes.
 *   <li>At most {@code capacity} bytes of pieces are held, least recently used first to go.
 * </ul>
 *
 * <p>The file is taken not to change under the cache: it serves a file opened for reading only,
 * and is dropped when the file is opened for writing.
 */
final class PieceCache implements Closeable {
  /** Bytes of a piece, the unit of caching; pieces start at multiples of it. */
  static final int PIECE = 1 << 20;
  /** Most pieces one request fetches. */
  static final int MAX_SPAN = 8;
  /** Most requests in flight for one file's read-ahead, and host channels it keeps. */
  static final int PARALLEL_FETCHES = 4;
  /** The env key's default: 64 MiB of pieces per image on such a host. */
  static final long DEFAULT_CAPACITY = 64L << 20;

  /** Threads of every cache's read-ahead; daemons, so a JVM exits with fetches in flight. */
  private static final ExecutorService READ_AHEAD = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "vhdfs-read-ahead");
    t.setDaemon(true);
    return t;
  });

  /** Opens another host channel onto the file, for a fetch of its own. */
  @FunctionalInterface
  interface Opener {
    SeekableByteChannel open() throws IOException;
  }

  private final String name;
  private final long size;
  private final int maxPieces;
  /**
   * Pieces a request fetches once reads run in order: {@link #MAX_SPAN}, or fewer in a small
   * cache, so that read-ahead (two such spans) never takes more than half of it.
   */
  private final int span;
  private final Opener opener;
  private final Object lock = new Object();
  /** Pieces held, least recently used first. */
  private final LinkedHashMap<Long, byte[]> pieces = new LinkedHashMap<>(16, 0.75f, true);
  /** Pieces being fetched, and what their readers wait on. */
  private final Map<Long, CompletableFuture<byte[]>> fetching = new HashMap<>();
  /** Host channels not in use by a fetch. */
  private final ArrayDeque<SeekableByteChannel> idle = new ArrayDeque<>();
  private final AtomicLong requests;
  private int aheadInFlight;
  /** The piece the last read ended in, to tell reads in order from jumps. */
  private long lastPiece = -2;
  private boolean closed;

  /**
   * @param name the file, for messages
   * @param size the file's length, which does not change while the cache serves it
   * @param capacity most bytes of pieces held; at least two pieces are
   * @param first a host channel onto the file, the first a fetch uses (opening another is a
   *     request of its own on an object store); the cache closes it
   * @param requests counts every request made to the host
   */
  PieceCache(String name, long size, long capacity, SeekableByteChannel first, Opener opener,
      AtomicLong requests) {
    if (first != null) {
      idle.push(first);
    }
    this.name = name;
    this.requests = requests;
    this.size = size;
    this.maxPieces = (int) Math.max(2, Math.min(capacity / PIECE, Integer.MAX_VALUE));
    this.span = Math.min(MAX_SPAN, Math.max(1, maxPieces / 4));
    this.opener = opener;
  }

  /**
   * Reads bytes of the file at {@code position} into {@code dst}: as many as it has room for
   * that lie in one piece, at least one unless the file ends.
   *
   * @return the bytes read, or -1 at or past the end of the file
   */
  int read(ByteBuffer dst, long position) throws IOException {
    if (position >= size) {
      return -1;
    }
    long index = position / PIECE;
    boolean inOrder;
    synchronized (lock) {
      inOrder = index == lastPiece || index == lastPiece + 1;
      lastPiece = index;
    }
    byte[] piece = piece(index, inOrder ? span : 1);
    int offset = (int) (position - index * PIECE);
    int n = Math.min(dst.remaining(), piece.length - offset);
    dst.put(piece, offset, n);
    if (inOrder) {
      readAhead(index + 1);
    }
    return n;
  }

  /** The file's length. */
  long size() {
    return size;
  }

  /** Bytes of pieces held now. */
  long heldBytes() {
    synchronized (lock) {
      return pieces.values().stream().mapToLong(p -> p.length).sum();
    }
  }

  /** Piece {@code index}, fetched with up to {@code span - 1} missing pieces after it. */
  private byte[] piece(long index, int span) throws IOException {
    CompletableFuture<byte[]> wait;
    List<CompletableFuture<byte[]>> mine = null;
    synchronized (lock) {
      if (closed) {
        throw new IOException(name + ": closed");
      }
      byte[] held = pieces.get(index);
      if (held != null) {
        return held;
      }
      wait = fetching.get(index);
      if (wait == null) {
        mine = claim(index, span);
        wait = mine.get(0);
      }
    }
    if (mine != null) {
      fetch(index, mine);
    }
    try {
      return wait.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(name + ": interrupted while waiting for a read");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? new IOException(io.getMessage(), io)
          : new IOException(name + ": read failed: " + cause, cause);
    }
  }

  /**
   * Marks pieces from {@code index} on as being fetched by the caller: up to {@code span}, while
   * they are in the file, neither held nor being fetched. Under {@link #lock}.
   */
  private List<CompletableFuture<byte[]>> claim(long index, int span) {
    List<CompletableFuture<byte[]>> claimed = new ArrayList<>();
    long last = (size - 1) / PIECE;
    for (long i = index; i < index + span && i <= last; i++) {
      if (i > index && (pieces.containsKey(i) || fetching.containsKey(i))) {
        break;
      }
      CompletableFuture<byte[]> f = new CompletableFuture<>();
      fetching.put(i, f);
      claimed.add(f);
    }
    return claimed;
  }

  /**
   * Keeps two spans of pieces after {@code from} held or on their way: once less than one span
   * lies ahead, the next whole span is fetched, so read-ahead never splits into small requests.
   */
  private void readAhead(long from) {
    long last = (size - 1) / PIECE;
    synchronized (lock) {
      long next = from;
      while (next <= last && (pieces.containsKey(next) || fetching.containsKey(next))) {
        next++;
      }
      while (!closed && aheadInFlight < PARALLEL_FETCHES && next <= last
          && next - from < span) {
        long start = next;
        List<CompletableFuture<byte[]>> claimed = claim(start, span);
        aheadInFlight++;
        READ_AHEAD.execute(() -> {
          try {
            fetch(start, claimed);
          } finally {
            synchronized (lock) {
              aheadInFlight--;
            }
          }
        });
        next = start + claimed.size();
        while (next <= last && (pieces.containsKey(next) || fetching.containsKey(next))) {
          next++;
        }
      }
    }
  }

  /**
   * Fetches the pieces claimed from {@code index} on in one request, and hands them to those who
   * wait; a failure goes to them all, and the pieces may be fetched again.
   */
  private void fetch(long index, List<CompletableFuture<byte[]>> claimed) {
    long position = index * PIECE;
    int length = (int) Math.min((long) claimed.size() * PIECE, size - position);
    byte[] all = new byte[length];
    try {
      SeekableByteChannel ch = borrow();
      boolean healthy = false;
      try {
        HostFile.seek(ch, position, name);
        ByteBuffer buf = ByteBuffer.wrap(all);
        requests.incrementAndGet();
        while (buf.hasRemaining()) {
          if (ch.read(buf) < 0) {
            throw new IOException(name + ": the file ended at byte " + (position
                + buf.position()) + ", before the " + size + " bytes it had when opened");
          }
        }
        healthy = true;
      } finally {
        giveBack(ch, healthy);
      }
    } catch (IOException | RuntimeException e) {
      synchronized (lock) {
        for (int i = 0; i < claimed.size(); i++) {
          fetching.remove(index + i);
        }
      }
      IOException failure = e instanceof IOException io ? io
          : new IOException(name + ": read failed: " + e, e);
      for (CompletableFuture<byte[]> f : claimed) {
        f.completeExceptionally(failure);
      }
      return;
    }
    List<byte[]> split = new ArrayList<>();
    for (int i = 0; i < claimed.size(); i++) {
      int from = i * PIECE;
      split.add(java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + PIECE)));
    }
    synchronized (lock) {
      for (int i = 0; i < claimed.size(); i++) {
        fetching.remove(index + i);
        if (!closed) {
          pieces.put(index + i, split.get(i));
        }
      }
      while (pieces.size() > maxPieces) {
        pieces.remove(pieces.keySet().iterator().next());
      }
    }
    for (int i = 0; i < claimed.size(); i++) {
      claimed.get(i).complete(split.get(i));
    }
  }

  /** An idle host channel, or a new one. */
  private SeekableByteChannel borrow() throws IOException {
    synchronized (lock) {
      if (closed) {
        throw new IOException(name + ": closed");
      }
      SeekableByteChannel ch = idle.poll();
      if (ch != null) {
        return ch;
      }
    }
    return opener.open();
  }

  /** Keeps a channel for the next fetch, unless it failed, the cache is closed or has enough. */
  private void giveBack(SeekableByteChannel ch, boolean healthy) throws IOException {
    synchronized (lock) {
      if (healthy && !closed && idle.size() < PARALLEL_FETCHES) {
        idle.push(ch);
        return;
      }
    }
    ch.close();
  }

  /** Drops every piece and closes the idle channels; fetches in flight close theirs. */
  @Override
  public void close() throws IOException {
    List<SeekableByteChannel> toClose;
    synchronized (lock) {
      closed = true;
      pieces.clear();
      toClose = new ArrayList<>(idle);
      idle.clear();
    }
    IOException failure = null;
    for (SeekableByteChannel ch : toClose) {
      try {
        ch.close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
