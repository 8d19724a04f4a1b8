package io.vhdfs.channel;

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
import java.util.function.Consumer;

/**
 * A channel on the bytes of a virtual disk. Every transfer is delegated to the shared
 * {@link VirtualDisk}; this class owns what is per channel: the position, the open mode, the
 * close and interrupt behaviour of {@link java.nio.channels.spi.AbstractInterruptibleChannel}.
 *
 * <p>Positional reads do not take the position lock and run concurrently. An interrupt closes this
 * channel only, never the disk's host file that other channels share.
 */
public final class DiskChannel extends FileChannel {
  private static final int TRANSFER_CHUNK = 1 << 20;

  private final VirtualDisk disk;
  private final DiskLocks locks;
  private final boolean readable;
  private final boolean writable;
  private final Consumer<DiskChannel> onClose;
  private final Object positionLock = new Object();
  private long position;

  /**
   * @param disk the disk, shared with other channels; not closed by this channel
   * @param locks the image's lock table
   * @param readable whether the channel was opened for reading
   * @param writable whether the channel was opened for writing
   * @param onClose told once when the channel closes (the file system releases the disk)
   */
  public DiskChannel(VirtualDisk disk, DiskLocks locks, boolean readable, boolean writable,
      Consumer<DiskChannel> onClose) {
    this.disk = disk;
    this.locks = locks;
    this.readable = readable;
    this.writable = writable;
    this.onClose = onClose;
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
    boolean completed = false;
    try {
      begin();
      if (!isOpen()) {
        return 0;
      }
      int n = disk.read(dst, at);
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
      // implCloseChannel releases the disk, which does not fail for a reader.
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
    throw new NonWritableChannelException();
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, srcs.length);
    ensureOpen();
    throw new NonWritableChannelException();
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkWritable(src);
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    throw new NonWritableChannelException();
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

  /** A disk cannot shrink; see the provider's deviations table. */
  @Override
  public FileChannel truncate(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
    throw new IOException("a virtual disk cannot be truncated");
  }

  @Override
  public void force(boolean metaData) throws IOException {
    ensureOpen();
    // Nothing is ever written through a read-only disk, so there is nothing to make durable.
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    Objects.requireNonNull(target, "target");
    if (position < 0 || count < 0) {
      throw new IllegalArgumentException("Negative position or count");
    }
    ensureOpen();
    if (!readable) {
      throw new NonReadableChannelException();
    }
    long size = disk.size();
    if (position >= size || count == 0) {
      return 0;
    }
    long total = Math.min(count, size - position);
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(TRANSFER_CHUNK, total));
    long done = 0;
    while (done < total) {
      buf.clear().limit((int) Math.min(buf.capacity(), total - done));
      int n = read(buf, position + done);
      if (n <= 0) {
        break;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        if (target.write(buf) == 0 && buf.hasRemaining()) {
          // A non-blocking target that is full: report what was transferred, as the JDK does.
          return done + n - buf.remaining();
        }
      }
      done += n;
    }
    return done;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    Objects.requireNonNull(src, "src");
    if (position < 0 || count < 0) {
      throw new IllegalArgumentException("Negative position or count");
    }
    ensureOpen();
    throw new NonWritableChannelException();
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
  protected void implCloseChannel() {
    for (FileLock l : locks.heldBy(this)) {
      ((DiskLock) l).invalidate();
    }
    onClose.accept(this);
  }
}
