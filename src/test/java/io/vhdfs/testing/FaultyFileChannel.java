package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * A host {@link FileChannel} whose writes, forces and size calls go through a {@link HostFaults}
 * plan first: they may fail, land in part, or return a short count. Everything else (reads,
 * truncation, locks) goes straight to the real channel. Relative and gathering writes are made of
 * positional ones, so every write is one counted call per buffer.
 */
final class FaultyFileChannel extends ForwardingFileChannel {
  private final HostFaults faults;
  private final Path file;
  private final String name;

  FaultyFileChannel(FileChannel delegate, HostFaults faults, Path file) {
    super(delegate);
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
}
