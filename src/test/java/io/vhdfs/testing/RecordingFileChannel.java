package io.vhdfs.testing;

import io.vhdfs.testing.HostWriteLog.Truncate;
import io.vhdfs.testing.HostWriteLog.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A host {@link FileChannel} that forwards everything to the real one and records each write and
 * truncation in a {@link HostWriteLog} (see {@link ForwardingHostFileSystem}), and where each read
 * (and {@code transferTo}) was. Locks go straight through; {@code map} is not needed and refused.
 */
final class RecordingFileChannel extends ForwardingFileChannel {
  private final HostWriteLog log;
  private final String file;

  RecordingFileChannel(FileChannel delegate, HostWriteLog log, String file) {
    super(delegate);
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
}
