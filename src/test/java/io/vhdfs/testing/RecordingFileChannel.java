package io.vhdfs.testing;

import io.vhdfs.testing.HostWriteLog.Truncate;
import io.vhdfs.testing.HostWriteLog.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A host {@link FileChannel} that forwards everything to the real one and records each write and
 * truncation in a {@link HostWriteLog} (see {@link ForwardingHostFileSystem}), and where each read
 * (and {@code transferTo}) was. Locks go straight through; {@code map} is not needed and refused.
 */
final class RecordingFileChannel extends FileChannel {
  private final FileChannel delegate;
  private final HostWriteLog log;
  private final String file;

  RecordingFileChannel(FileChannel delegate, HostWriteLog log, String file) {
    this.delegate = delegate;
    this.log = log;
    this.file = file;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    long at = delegate.position();
    int n = delegate.read(dst);
    log.noteRead(file, at, n);
    return n;
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    long at = delegate.position();
    long n = delegate.read(dsts, offset, length);
    log.noteRead(file, at, n);
    return n;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    int n = delegate.read(dst, position);
    log.noteRead(file, position, n);
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    ByteBuffer view = src.duplicate();
    long[] at = new long[1];
    return log.record(() -> {
      at[0] = delegate.position();
      return delegate.write(src);
    }, n -> written(at[0], view, n));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    ByteBuffer view = src.duplicate();
    return log.record(() -> delegate.write(src, position), n -> written(position, view, n));
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    ByteBuffer[] views = new ByteBuffer[length];
    for (int i = 0; i < length; i++) {
      views[i] = srcs[offset + i].duplicate();
    }
    long[] at = new long[1];
    return log.record(() -> {
      at[0] = delegate.position();
      return delegate.write(srcs, offset, length);
    }, n -> {
      ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(n));
      for (ByteBuffer v : views) {
        int take = Math.min(v.remaining(), all.remaining());
        all.put(v.limit(v.position() + take));
      }
      return written(at[0], all.flip(), n.intValue());
    });
  }

  private Write written(long position, ByteBuffer view, int n) {
    if (n <= 0) {
      return null;
    }
    byte[] bytes = new byte[n];
    view.get(bytes);
    return new Write(file, position, bytes);
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
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    log.record(() -> delegate.truncate(size), ch -> new Truncate(file, size));
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    delegate.force(metaData);
    log.noteForce();
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    long n = delegate.transferTo(position, count, target);
    log.noteRead(file, position, n);
    return n;
  }

  /** Read into memory and written with {@link #write(ByteBuffer, long)}, so it is recorded. */
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
