package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * A host {@link FileChannel} whose writes, forces and size calls go through a {@link HostFaults}
 * plan first: they may fail, land in part, or return a short count. Everything else (reads,
 * truncation, locks) goes straight to the real channel. Relative and gathering writes are made of
 * positional ones, so every write is one counted call per buffer.
 */
final class FaultyFileChannel extends FileChannel {
  private final FileChannel delegate;
  private final HostFaults faults;
  private final Path file;
  private final String name;

  FaultyFileChannel(FileChannel delegate, HostFaults faults, Path file) {
    this.delegate = delegate;
    this.faults = faults;
    this.file = file;
    this.name = file.toString();
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int length = src.remaining();
    int take = faults.write(name, position, length);
    if (take == length) {
      return delegate.write(src, position);
    }
    int limit = src.limit();
    src.limit(src.position() + take);
    try {
      int n = 0;
      while (src.hasRemaining()) {
        n += delegate.write(src, position + n);
      }
      return n;
    } finally {
      src.limit(limit);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    long at = delegate.position();
    int n = write(src, at);
    delegate.position(at + n);
    return n;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      int want = srcs[i].remaining();
      int n = write(srcs[i]);
      total += n;
      if (n < want) {
        break;
      }
    }
    return total;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    faults.force(file, delegate, () -> delegate.force(metaData));
  }

  @Override
  public long size() throws IOException {
    faults.size(name);
    return delegate.size();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return delegate.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return delegate.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return delegate.read(dst, position);
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
    return this;
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    delegate.truncate(size);
    return this;
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return delegate.transferTo(position, count, target);
  }

  /** Read into memory and written with {@link #write(ByteBuffer, long)}, so faults apply. */
  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
    long done = 0;
    while (done < count) {
      buf.clear().limit((int) Math.min(buf.capacity(), count - done));
      int n = src.read(buf);
      if (n <= 0) {
        break;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        write(buf, position + done + buf.position());
      }
      done += n;
    }
    return done;
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) {
    throw new UnsupportedOperationException("map is not forwarded by the test host");
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    delegate.close();
  }
}
