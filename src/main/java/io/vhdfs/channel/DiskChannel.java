package io.vhdfs.channel;

import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A channel on the bytes of a virtual disk. Every transfer is delegated to the shared
 * {@link VirtualDisk}; this class owns what is per channel: the position, the open mode, the
 * close and interrupt behaviour of {@link java.nio.channels.spi.AbstractInterruptibleChannel}.
 *
 * <p>Positional reads and writes do not take the position lock and run concurrently. An interrupt
 * closes this channel only, never the disk's host file that other channels share.
 *
 * <p>Where a disk differs from a file: it does not grow, so a write that would pass its end is an
 * {@link IOException} and writes nothing, {@code truncate} below the size is an
 * {@link IOException}, and {@code transferFrom} stops at the end of the disk; {@code map} is
 * unsupported.
 */
public final class DiskChannel extends FileChannel {
  private static final int TRANSFER_CHUNK = 1 << 20;

  private final VirtualDisk disk;
  private final DiskLocks locks;
  private final boolean readable;
  private final boolean writable;
  private final boolean sync;
  private final CloseListener onClose;
  private final Object positionLock = new Object();
  /** Threads inside a transfer on this channel. */
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Told when the last transfer in flight returns, for a close that waits for it. */
  private final Object drained = new Object();
  private long position;

  /** Told once when a channel closes, so the file system can flush and release the disk. */
  @FunctionalInterface
  public interface CloseListener {
    /** Called from the channel's close. */
    void closed(DiskChannel channel) throws IOException;
  }

  /**
   * @param disk the disk, shared with other channels; not closed by this channel
   * @param locks the image's lock table
   * @param readable whether the channel was opened for reading
   * @param writable whether the channel was opened for writing (the disk accepts writes)
   * @param sync whether every write is forced before it returns ({@code SYNC}/{@code DSYNC})
   * @param onClose told once when the channel closes
   */
  public DiskChannel(VirtualDisk disk, DiskLocks locks, boolean readable, boolean writable,
      boolean sync, CloseListener onClose) {
    this.disk = disk;
    this.locks = locks;
    this.readable = readable;
    this.writable = writable;
    this.sync = sync;
    this.onClose = onClose;
  }

  /** Whether the channel was opened for writing. */
  public boolean isWritable() {
    return writable;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    checkReadable(dst);
    synchronized (positionLock) {
      int n = readAt(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, dsts.length);
    ensureOpen();
    for (int i = offset; i < offset + length; i++) {
      checkReadable(dsts[i]);
    }
    synchronized (positionLock) {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        ByteBuffer dst = dsts[i];
        if (!dst.hasRemaining()) {
          continue;
        }
        int n = readAt(dst, position + total);
        if (n < 0) {
          break;
        }
        total += n;
        if (dst.hasRemaining()) {
          break;
        }
      }
      if (total == 0 && position >= disk.size() && hasRemaining(dsts, offset, length)) {
        return -1;
      }
      position += total;
      return total;
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    checkReadable(dst);
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    return readAt(dst, position);
  }

  private int readAt(ByteBuffer dst, long at) throws IOException {
    return (int) transfer(() -> disk.read(dst, at));
  }

  private int writeAt(ByteBuffer src, long at) throws IOException {
    return (int) transfer(() -> {
      int n = disk.write(src, at);
      if (sync) {
        disk.force();
      }
      return n;
    });
  }

  /** One transfer on the disk. */
  @FunctionalInterface
  private interface Transfer {
    long run() throws IOException;
  }

  private long transfer(Transfer t) throws IOException {
    inFlight.incrementAndGet();
    try {
      return interruptibly(t);
    } finally {
      if (inFlight.decrementAndGet() == 0 && !isOpen()) {
        synchronized (drained) {
          drained.notifyAll();
        }
      }
    }
  }

  private long interruptibly(Transfer t) throws IOException {
    try {
      return interruptiblyOnce(t);
    } catch (ClosedByInterruptException e) {
      // The contract keeps the thread interrupted. A host channel may have swallowed the
      // interrupt (the AWS S3 provider's catches it and fails the read), leaving it clear.
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  private long interruptiblyOnce(Transfer t) throws IOException {
    boolean completed = false;
    try {
      begin();
      if (!isOpen()) {
        return 0;
      }
      long n = t.run();
      completed = true;
      return n;
    } catch (ClosedByInterruptException e) {
      // The host channel's own begin() took over the thread's interrupt hook, so the interrupt
      // closed the host channel (the disk reopens it) instead of this one. Close this one, as
      // the contract asks; "completed" keeps end() from calling it an asynchronous close.
      completed = true;
      throw closeAfterInterrupt();
    } finally {
      end(completed);
    }
  }

  private ClosedByInterruptException closeAfterInterrupt() {
    try {
      close();
    } catch (IOException e) {
      // The interrupt is what the caller must hear about; the close already released the disk.
    }
    return new ClosedByInterruptException();
  }

  private void checkReadable(ByteBuffer dst) throws IOException {
    Objects.requireNonNull(dst, "dst");
    ensureOpen();
    if (!readable) {
      throw new NonReadableChannelException();
    }
    if (dst.isReadOnly()) {
      throw new IllegalArgumentException("Read-only buffer");
    }
  }

  private static boolean hasRemaining(ByteBuffer[] bufs, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      if (bufs[i].hasRemaining()) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    checkWritable(src);
    synchronized (positionLock) {
      int n = writeAt(src, position);
      position += n;
      return n;
    }
  }

  /**
   * Writes the buffers in order at the position. Their total must fit before the end of the disk;
   * otherwise nothing is written.
   */
  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, srcs.length);
    ensureOpen();
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      checkWritable(srcs[i]);
      total += srcs[i].remaining();
    }
    synchronized (positionLock) {
      long size = disk.size();
      if (total > 0 && (position > size || total > size - position)) {
        throw new IOException("a write of " + total + " bytes at offset " + position
            + " would pass the end of the disk (" + size + " bytes); nothing was written");
      }
      long done = 0;
      for (int i = offset; i < offset + length; i++) {
        if (srcs[i].hasRemaining()) {
          done += writeAt(srcs[i], position + done);
          if (srcs[i].hasRemaining()) {
            break;
          }
        }
      }
      position += done;
      return done;
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkWritable(src);
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    return writeAt(src, position);
  }

  /**
   * Makes the {@code length} bytes at {@code position} read as zeros, as writing that many zeros
   * would, but stores no zeros where the disk reads as zeros already: a dynamic image allocates
   * no block for them, a fixed image's host file keeps its holes, and a differencing image writes
   * zeros only where its parents hold data. The position of the channel does not change.
   *
   * @throws IllegalArgumentException if {@code position} or {@code length} is negative
   * @throws NonWritableChannelException if the channel was not opened for writing
   * @throws IOException if the range would pass the end of the disk (nothing is written then)
   */
  public void writeZeros(long position, long length) throws IOException {
    if (position < 0 || length < 0) {
      throw new IllegalArgumentException("Negative position or length");
    }
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
    transfer(() -> {
      disk.writeZeros(position, length);
      if (sync) {
        disk.force();
      }
      return 0;
    });
  }

  private void checkWritable(ByteBuffer src) throws IOException {
    Objects.requireNonNull(src, "src");
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    synchronized (positionLock) {
      return position;
    }
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    if (newPosition < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    ensureOpen();
    synchronized (positionLock) {
      position = newPosition;
    }
    return this;
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    return disk.size();
  }

  /**
   * A disk's size is fixed: a size at or above it changes nothing but the position (clamped as
   * for a file); a smaller one is an {@link IOException}.
   */
  @Override
  public FileChannel truncate(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
    if (size < disk.size()) {
      throw new IOException("a virtual disk cannot be truncated: its size is " + disk.size()
          + " bytes, asked for " + size);
    }
    synchronized (positionLock) {
      if (position > size) {
        position = size;
      }
    }
    return this;
  }

  /** Makes every completed write to the disk durable, new BAT entries included. */
  @Override
  public void force(boolean metaData) throws IOException {
    ensureOpen();
    transfer(() -> {
      disk.force();
      return 0;
    });
  }

  /**
   * Sends the disk's bytes to {@code target}. Stored bytes go from the image file to a
   * {@link FileChannel} target through a reused direct buffer, to other targets by the host's own
   * {@code transferTo} (on Linux the kernel copies them); runs that read as zeros become holes
   * where the transfer extends a {@link FileChannel} target (writes at or past its size), and are
   * written as zeros elsewhere.
   * This channel's position does not change.
   */
  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    Objects.requireNonNull(target, "target");
    checkTransfer(position, count);
    if (!readable) {
      throw new NonReadableChannelException();
    }
    long total = transferable(position, count);
    if (total == 0) {
      return 0;
    }
    return transfer(() -> send(position, total, target));
  }

  private long send(long position, long total, WritableByteChannel target) throws IOException {
    ZeroRunWriter zeros = new ZeroRunWriter(target);
    ExtentCursor cursor = disk.extents(position, position + total);
    long done = 0;
    for (Extent e = cursor.next(); e != null; e = cursor.next()) {
      long n = e.data() ? disk.transferTo(e.offset(), e.length(), target)
          : zeros.write(e.length());
      done += n;
      if (n < e.length()) {
        return done; // a non-blocking target is full: report what went, as the JDK does
      }
    }
    zeros.finish();
    return done;
  }

  /**
   * Where the bytes of {@code [from, to)} are (clipped to the disk), worked out as the cursor
   * moves; see {@link VirtualDisk#extents}. The cursor needs this channel open.
   */
  public ExtentCursor extents(long from, long to) throws IOException {
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
    }
    ensureOpen();
    long size = disk.size();
    ExtentCursor cursor = disk.extents(Math.min(from, size), Math.min(to, size));
    return () -> {
      ensureOpen();
      return cursor.next();
    };
  }

  /** Reads from {@code src} into the disk at {@code position}, stopping at the end of the disk. */
  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    Objects.requireNonNull(src, "src");
    checkTransfer(position, count);
    if (!writable) {
      throw new NonWritableChannelException();
    }
    long total = transferable(position, count);
    if (total == 0) {
      return 0;
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(TRANSFER_CHUNK, total));
    long done = 0;
    while (done < total) {
      buf.clear().limit((int) Math.min(buf.capacity(), total - done));
      int n = src.read(buf);
      if (n <= 0) {
        break;
      }
      write(buf.flip(), position + done);
      done += n;
    }
    return done;
  }

  private void checkTransfer(long position, long count) throws ClosedChannelException {
    if (position < 0 || count < 0) {
      throw new IllegalArgumentException("Negative position or count");
    }
    ensureOpen();
  }

  /** Bytes of a transfer of {@code count} at {@code position} that lie on the disk. */
  private long transferable(long position, long count) {
    long size = disk.size();
    return position >= size ? 0 : Math.min(count, size - position);
  }

  /**
   * Always {@link UnsupportedOperationException}: a virtual disk's bytes are not one contiguous
   * range of the image file, so there is nothing the operating system could map.
   */
  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) {
    throw new UnsupportedOperationException(
        "vhd channels cannot be memory-mapped: disk bytes are not contiguous in the image file");
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return tryLock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    if (position < 0 || size < 0 || position + size < 0) {
      throw new IllegalArgumentException("Negative position or size");
    }
    ensureOpen();
    if (shared && !readable) {
      throw new NonReadableChannelException();
    }
    if (!shared && !writable) {
      throw new NonWritableChannelException();
    }
    DiskLock lock = new DiskLock(this, locks, position, size, shared);
    locks.add(lock);
    return lock;
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
  }

  @Override
  protected void implCloseChannel() throws IOException {
    for (FileLock l : locks.heldBy(this)) {
      ((DiskLock) l).invalidate();
    }
    if (writable && inFlight.get() > 0) {
      // Closed under a write: by an interrupt (this then runs inside Thread.interrupt, holding a
      // lock the interrupted thread needs for its next I/O, while that thread may hold the disk's
      // write lock that the flush on close waits for) or by an asynchronous close. Waiting here
      // could deadlock, so a helper thread flushes and releases once the disk is free. A reader
      // never holds that lock, so its close is released at once.
      Thread closer = new Thread(this::notifyClosedQuietly, "vhdfs-close");
      closer.setDaemon(true);
      closer.start();
      return;
    }
    onClose.closed(this);
  }

  /**
   * Waits for the transfers in flight to return, then lets the file system release the disk: the
   * last release closes it, and a closing disk may give blocks back that a write still in flight
   * would otherwise reach through an entry it looked up before.
   */
  private void notifyClosedQuietly() {
    try {
      synchronized (drained) {
        while (inFlight.get() > 0) {
          drained.wait();
        }
      }
      onClose.closed(this);
    } catch (InterruptedException e) {
      // Only this helper thread is interrupted; the disk stays held, as a close that failed.
      // The logger is looked up only here, when there is something to say: the lookup starts
      // java.util.logging, some 25 ms that a run of the tool with nothing to log should not pay.
      System.getLogger(DiskChannel.class.getName()).log(System.Logger.Level.WARNING,
          "interrupted while waiting to release the disk", e);
    } catch (IOException | RuntimeException e) {
      // No caller is left to tell: the close that started this has returned.
      System.getLogger(DiskChannel.class.getName()).log(System.Logger.Level.WARNING,
          "flushing the disk after an asynchronous close failed", e);
    }
  }
}
