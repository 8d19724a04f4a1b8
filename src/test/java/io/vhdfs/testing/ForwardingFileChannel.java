package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A host {@link FileChannel} that forwards every call to a real one, for the test hosts'
 * channels that watch ({@link RecordingFileChannel}) or break ({@link FaultyFileChannel}) some of
 * them. {@code transferFrom} is made of {@link #write(ByteBuffer, long)} calls so that what a
 * subclass does to writes applies to it too; {@code map} is not needed and refused.
 */
abstract class ForwardingFileChannel extends FileChannel {
  /** The real channel. */
  protected final FileChannel delegate;

  protected ForwardingFileChannel(FileChannel delegate) {
    this.delegate = delegate;
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
  public int write(ByteBuffer src) throws IOException {
    return delegate.write(src);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return delegate.write(src, position);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return delegate.write(srcs, offset, length);
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
    delegate.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    delegate.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return delegate.transferTo(position, count, target);
  }

  /** Read into memory and written with {@link #write(ByteBuffer, long)}. */
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
