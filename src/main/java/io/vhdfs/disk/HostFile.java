package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The image file on its host, reached only through its own {@link Path} so that any provider
 * (default, Jimfs, zip, cloud) can hold images.
 *
 * <p>Reads and writes are positional: concurrent on a host {@link FileChannel}, serialised
 * seek-and-transfer on any other {@link SeekableByteChannel}. The file is opened for reading only,
 * and for writing only once {@link #enableWrites} says a writer needs it, so read-only use never
 * holds a writable handle (nor makes hosts like zipfs rewrite anything). Host channels close when a
 * thread blocked in them is interrupted; since one host channel serves every channel of the image,
 * an interrupt would otherwise break all of them (JDK-8316882). So a host channel closed under us
 * is reopened: the interrupted caller still gets its exception, everyone else retries.
 *
 * <p>Closing any channel of a file drops the POSIX locks this process holds on it, so every close
 * is reported to {@link ImageLock}, which takes QEMU's image locks again.
 */
public final class HostFile implements Closeable {
  private static final int MAX_REOPENS = 8;
  /** Buffer of a copy into a file. */
  private static final int COPY_BUFFER = 2 << 20;
  /** Direct buffers kept for the next copy; more copies at once allocate their own. */
  private static final int POOLED_COPY_BUFFERS = 4;
  private static final java.util.Queue<ByteBuffer> COPY_BUFFERS =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /** A host channel that keeps returning nothing for a non-empty buffer would loop forever. */
  private static final int MAX_EMPTY_READS = 1000;

  private final Path path;
  private final String name;
  private final Object reopenLock = new Object();
  private static final Set<OpenOption> READ_ONLY = Set.of(StandardOpenOption.READ);
  private static final Set<OpenOption> READ_WRITE =
      Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE);

  private final AtomicLong hostReads = new AtomicLong();
  private final AtomicLong hostWrites = new AtomicLong();
  private volatile SeekableByteChannel channel;
  /** Reads of a host without a {@link FileChannel}, while the file is read only; else null. */
  private volatile PieceCache cache;
  private volatile boolean writable;
  private volatile boolean closed;
  /** Why a force failed; from then on nothing more is written or forced through this handle. */
  private volatile IOException forceFailed;

  private HostFile(Path path, SeekableByteChannel channel) {
    this.path = path;
    this.name = path.toString();
    this.channel = channel;
  }

  /**
   * Opens the image for reading; on a host without a {@link FileChannel} (an object store),
   * through a {@link PieceCache} of {@link PieceCache#DEFAULT_CAPACITY} bytes.
   */
  public static HostFile openForReading(Path path) throws IOException {
    return openForReading(path, PieceCache.DEFAULT_CAPACITY);
  }

  /**
   * Opens the image for reading; on a host without a {@link FileChannel} (an object store, a zip
   * entry), where every read is a request, through a {@link PieceCache} of up to
   * {@code cacheSize} bytes (none for 0) until the file is opened for writing. A host file channel
   * needs none: the host's page cache serves it.
   */
  public static HostFile openForReading(Path path, long cacheSize) throws IOException {
    SeekableByteChannel ch = Files.newByteChannel(path, READ_ONLY);
    HostFile host = new HostFile(path, ch);
    if (!(ch instanceof FileChannel) && cacheSize > 0) {
      try {
        // The cache reads through this channel first (while it serves the file, nothing else
        // reads through it), and opens more only for reads in parallel.
        host.cache = new PieceCache(host.name, ch.size(), cacheSize, ch,
            () -> Files.newByteChannel(path, READ_ONLY), host.hostReads);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    }
    return host;
  }

  /**
   * Reopens the file for reading and writing, unless it already is; concurrent readers carry on
   * (a read cut short by the swap is retried on the new channel).
   *
   * @throws java.nio.file.AccessDeniedException if the host refuses to open it for writing
   * @throws java.nio.file.FileSystemException if the host cannot update a file in place, so that
   *     opening the image for writing would truncate or rewrite it ({@link InPlaceUpdates})
   */
  public void enableWrites() throws IOException {
    synchronized (reopenLock) {
      if (writable) {
        return;
      }
      if (closed) {
        throw new ClosedChannelException();
      }
      InPlaceUpdates.require(path);
      PieceCache readCache = cache;
      cache = null; // what is written must be read back, not what was cached
      if (readCache != null) {
        readCache.close();
      }
      SeekableByteChannel old = channel;
      channel = Files.newByteChannel(path, READ_WRITE);
      writable = true;
      old.close();
    }
    ImageLock.channelClosed(path);
  }

  /** Whether {@link #enableWrites} has been called. */
  public boolean isWritable() {
    return writable;
  }

  /** The image's path on its host. */
  public Path path() {
    return path;
  }

  /** The image as named in messages. */
  public String name() {
    return name;
  }

  /** The host file's current length in bytes. */
  public long size() throws IOException {
    PieceCache readCache = cache;
    if (readCache != null) {
      return readCache.size();
    }
    for (int attempt = 0; ; attempt++) {
      SeekableByteChannel ch = channel;
      try {
        return ch.size();
      } catch (ClosedChannelException e) {
        recover(ch, e, attempt);
      }
    }
  }

  /**
   * Fills {@code dst} from the host file starting at {@code position}.
   *
   * @throws VhdFormatException if the file ends first (the image is truncated)
   */
  public void readFully(ByteBuffer dst, long position) throws IOException {
    PieceCache readCache = cache;
    if (readCache != null) {
      readCached(readCache, dst, position);
      return;
    }
    long pos = position;
    int attempt = 0;
    int empty = 0;
    while (dst.hasRemaining()) {
      SeekableByteChannel ch = channel;
      int before = dst.position();
      int n;
      try {
        n = readAt(ch, dst, pos);
      } catch (ClosedChannelException e) {
        // A channel closed under a transfer may have moved the buffer anyway (the JDK reports
        // the close after copying): undo that, or the retry would land at the wrong place.
        dst.position(before);
        recover(ch, e, attempt++);
        continue;
      }
      hostReads.incrementAndGet();
      if (n < 0) {
        throw truncated(pos, dst.remaining());
      }
      if (n == 0 && ++empty > MAX_EMPTY_READS) {
        throw new IOException(name + ": the host channel returns no data at offset " + pos);
      }
      pos += n;
    }
  }

  private VhdFormatException truncated(long position, int missing) {
    return new VhdFormatException(name, position,
        "image truncated: unexpected end of file while reading " + missing + " bytes");
  }

  private void readCached(PieceCache readCache, ByteBuffer dst, long position)
      throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = readCache.read(dst, pos);
      if (n < 0) {
        throw truncated(pos, dst.remaining());
      }
      pos += n;
    }
  }

  /**
   * Reads exactly {@code length} bytes at {@code position} into {@code dst} at its position,
   * advancing it; the buffer's limit is restored afterwards.
   */
  public void readFully(ByteBuffer dst, int length, long position) throws IOException {
    int limit = dst.limit();
    dst.limit(dst.position() + length);
    try {
      readFully(dst, position);
    } finally {
      dst.limit(limit);
    }
  }

  /**
   * Sends the {@code length} bytes at {@code position} to {@code target} at its position. Into
   * a file, through a reused direct buffer: on Linux the kernel's own file-to-file copy
   * ({@code sendfile}, which {@code FileChannel.transferTo} uses) moves a page cache's data in
   * pipe-sized steps and measured 1.4 times slower than one 2 MiB read and write (see
   * {@code SparseCopyBenchmark}). Into a socket or pipe, through the host's {@code transferTo},
   * which there copies nothing through the JVM.
   *
   * @return the bytes sent: all of them, unless a non-blocking target took no more
   * @throws VhdFormatException if the file ends first (the image is truncated)
   */
  long transferTo(long position, long length, WritableByteChannel target) throws IOException {
    long done = 0;
    if (!(target instanceof FileChannel)) {
      done = transferByHost(position, length, target);
      if (done < 0) {
        return -done - 1; // the target is full
      }
    }
    if (done == length) {
      return done;
    }
    ByteBuffer buf = COPY_BUFFERS.poll();
    if (buf == null) {
      buf = ByteBuffer.allocateDirect(COPY_BUFFER);
    }
    try {
      while (done < length) {
        buf.clear().limit((int) Math.min(buf.capacity(), length - done));
        readFully(buf, position + done);
        buf.flip();
        while (buf.hasRemaining()) {
          if (target.write(buf) == 0 && buf.hasRemaining()) {
            return done + buf.position();
          }
        }
        done += buf.limit();
      }
      return done;
    } finally {
      if (COPY_BUFFERS.size() < POOLED_COPY_BUFFERS) {
        COPY_BUFFERS.offer(buf);
      }
    }
  }

  /**
   * What the host's own transferTo sends: less than asked where it stops (the rest goes through
   * a buffer), or -1 - n where a non-blocking target took n bytes and then no more.
   */
  private long transferByHost(long position, long length, WritableByteChannel target)
      throws IOException {
    long done = 0;
    while (done < length) {
      SeekableByteChannel ch = channel;
      if (!(ch instanceof FileChannel in)) {
        return done;
      }
      long n;
      try {
        n = in.transferTo(position + done, length - done, target);
      } catch (ClosedChannelException e) {
        // How much reached the target before the host channel closed is unknown, so the
        // transfer cannot be resumed: reopen the channel for everyone else, and fail this one.
        recover(ch, e, MAX_REOPENS - 1);
        throw new IOException(name + ": the image file's channel closed during a transfer, "
            + "after " + done + " bytes at least", e);
      }
      if (n <= 0) {
        return n == 0 && !isBlocking(target) ? -done - 1 : done;
      }
      hostReads.incrementAndGet();
      done += n;
    }
    return done;
  }

  private static boolean isBlocking(WritableByteChannel target) {
    return !(target instanceof java.nio.channels.SelectableChannel sc) || sc.isBlocking();
  }

  /** Reads {@code length} bytes at {@code position} into a new array. */
  public byte[] readBytes(long position, int length) throws IOException {
    byte[] b = new byte[length];
    readFully(ByteBuffer.wrap(b), position);
    return b;
  }

  /** Writes all of {@code src} at {@code position}, growing the file as needed. */
  public void write(ByteBuffer src, long position) throws IOException {
    if (!writable) {
      throw new IllegalStateException("host file not opened for writing: " + name);
    }
    refuseAfterFailedForce();
    long pos = position;
    int attempt = 0;
    int empty = 0;
    while (src.hasRemaining()) {
      SeekableByteChannel ch = channel;
      int before = src.position();
      int n;
      try {
        n = writeAt(ch, src, pos);
      } catch (ClosedChannelException e) {
        src.position(before); // as for reads: retry the whole transfer at the same offset
        recover(ch, e, attempt++);
        continue;
      }
      hostWrites.incrementAndGet();
      if (n == 0 && ++empty > MAX_EMPTY_READS) {
        throw new IOException(name + ": the host channel accepts no data at offset " + pos);
      }
      pos += n;
    }
  }

  /**
   * Writes the next {@code length} bytes of {@code src} at {@code position}, advancing it; the
   * buffer's limit is restored afterwards.
   */
  public void write(ByteBuffer src, int length, long position) throws IOException {
    int limit = src.limit();
    src.limit(src.position() + length);
    try {
      write(src, position);
    } finally {
      src.limit(limit);
    }
  }

  /** Writes {@code length} zeros at {@code position}, a MiB at a time. */
  public void writeZeros(long position, long length) throws IOException {
    byte[] zeros = new byte[(int) Math.min(length, 1 << 20)];
    for (long done = 0; done < length; done += zeros.length) {
      write(ByteBuffer.wrap(zeros, 0, (int) Math.min(zeros.length, length - done)),
          position + done);
    }
  }

  /** Writes {@code b} at {@code position}. */
  public void write(byte[] b, long position) throws IOException {
    write(ByteBuffer.wrap(b), position);
  }

  /**
   * Cuts the file to {@code size} bytes, less than its length.
   *
   * @throws IOException also where the host's channel cannot truncate
   */
  public void truncate(long size) throws IOException {
    if (!writable) {
      throw new IllegalStateException("host file not opened for writing: " + name);
    }
    refuseAfterFailedForce();
    for (int attempt = 0; ; attempt++) {
      SeekableByteChannel ch = channel;
      try {
        ch.truncate(size);
        return;
      } catch (ClosedChannelException e) {
        recover(ch, e, attempt);
      } catch (UnsupportedOperationException e) {
        throw new IOException(name + ": the host channel cannot truncate the file (to " + size
            + " bytes): " + e.getMessage(), e);
      }
    }
  }

  /**
   * Makes every write so far durable, file length included; with {@code metaData} the file's
   * times too. Hosts that are not a {@link FileChannel} offer no such call; their channels are
   * expected to be durable on close.
   *
   * <p>A force that fails is final for this handle: every later write and force fails too. After
   * a failed write-back, Linux drops the unwritten pages and a second force succeeds without
   * them, so a retried force would let the disk write table entries over blocks the host lost.
   * Reopening the image starts from what the file really holds.
   */
  public void force(boolean metaData) throws IOException {
    if (!writable) {
      return;
    }
    refuseAfterFailedForce();
    for (int attempt = 0; ; attempt++) {
      SeekableByteChannel ch = channel;
      try {
        if (ch instanceof FileChannel fc) {
          fc.force(metaData);
        }
        return;
      } catch (ClosedChannelException e) {
        recover(ch, e, attempt);
      } catch (IOException e) {
        forceFailed = e;
        throw e;
      }
    }
  }

  private void refuseAfterFailedForce() throws IOException {
    IOException failed = forceFailed;
    if (failed != null) {
      throw new IOException(name + ": an earlier force of the image file failed (" + failed
          + "), so writes made before it may be lost even if a force succeeded now; nothing more"
          + " is written until the image is opened again", failed);
    }
  }

  private int writeAt(SeekableByteChannel ch, ByteBuffer src, long pos) throws IOException {
    if (ch instanceof FileChannel fc) {
      return fc.write(src, pos);
    }
    synchronized (ch) {
      seek(ch, pos, name);
      return ch.write(src);
    }
  }

  private int readAt(SeekableByteChannel ch, ByteBuffer dst, long pos) throws IOException {
    if (ch instanceof FileChannel fc) {
      return fc.read(dst, pos);
    }
    synchronized (ch) {
      seek(ch, pos, name);
      return ch.read(dst);
    }
  }

  /** Some hosts only stream; an image needs random access, and says so as an IOException. */
  static void seek(SeekableByteChannel ch, long pos, String name) throws IOException {
    try {
      ch.position(pos);
    } catch (UnsupportedOperationException e) {
      throw new IOException(name + ": the host channel cannot seek (to byte " + pos + "), but a "
          + "disk image is read and written at random places: " + e.getMessage(), e);
    }
  }

  /**
   * After the host channel closed under a transfer: reopen it unless we closed it ourselves; rethrow to
   * a caller whose own interrupt did it, retry for everyone else.
   */
  private void recover(SeekableByteChannel broken, ClosedChannelException e, int attempt)
      throws IOException {
    if (closed || attempt >= MAX_REOPENS) {
      throw e;
    }
    synchronized (reopenLock) {
      if (channel == broken && !closed) {
        channel = Files.newByteChannel(path, writable ? READ_WRITE : READ_ONLY);
        ImageLock.channelClosed(path);
      }
    }
    if (Thread.currentThread().isInterrupted()) {
      throw e;
    }
  }

  /** Number of host read calls so far; tests use it to check that reads are not split needlessly. */
  public long hostReads() {
    return hostReads.get();
  }

  /** Number of host write calls so far. */
  public long hostWrites() {
    return hostWrites.get();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    try {
      synchronized (reopenLock) {
        PieceCache readCache = cache;
        cache = null;
        if (readCache != null) {
          readCache.close();
        }
        channel.close();
      }
    } finally {
      ImageLock.channelClosed(path);
    }
  }
}
