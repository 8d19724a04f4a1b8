package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * A channel of a host that only streams (see {@link ForwardingHostFileSystem#setStreamOnly}):
 * reads go forward from the start, writes replace the file from its start like an upload, and
 * {@code position} may only be asked, never set to another place.
 */
final class StreamOnlyChannel implements SeekableByteChannel {
  private final FileChannel file;
  private final boolean write;
  private long position;

  private StreamOnlyChannel(FileChannel file, boolean write) {
    this.file = file;
    this.write = write;
  }

  static SeekableByteChannel open(FileChannel file, Set<? extends OpenOption> options)
      throws IOException {
    boolean write = options.contains(StandardOpenOption.WRITE);
    if (write) {
      file.truncate(0); // an upload starts empty
    }
    return new StreamOnlyChannel(file, write);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (write) {
      throw new NonReadableChannelException();
    }
    int n = file.read(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    if (!write) {
      throw new NonWritableChannelException();
    }
    int n = file.write(src, position);
    position += n;
    return n;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    if (newPosition != position) {
      throw new UnsupportedOperationException("a stream cannot seek from " + position + " to "
          + newPosition);
    }
    return this;
  }

  @Override
  public long size() throws IOException {
    return file.size();
  }

  @Override
  public SeekableByteChannel truncate(long size) {
    throw new UnsupportedOperationException("a stream cannot be truncated");
  }

  @Override
  public boolean isOpen() {
    return file.isOpen();
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
