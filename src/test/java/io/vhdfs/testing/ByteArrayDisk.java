package io.vhdfs.testing;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link VirtualDisk} over a byte array, for tests of what reads disks without caring how an
 * image stores them (partition tables, windows). It keeps the disk contract: -1 at or past the
 * end, a write that would pass the end is an {@link IOException} that writes nothing. It counts
 * closes, so tests can see that a window leaves the disk open.
 */
public final class ByteArrayDisk implements VirtualDisk {
  private final byte[] bytes;
  private int closes;

  /** A disk whose bytes are {@code bytes}, shared, not copied: writes change the array. */
  public ByteArrayDisk(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The disk's bytes, the array it was made with. */
  public byte[] bytes() {
    return bytes;
  }

  /** How often {@link #close()} was called. */
  public synchronized int closes() {
    return closes;
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public synchronized int read(ByteBuffer dst, long position) {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= bytes.length) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), bytes.length - position);
    dst.put(bytes, (int) position, n);
    return n;
  }

  @Override
  public void enableWrites() {
    // An array is always writable.
  }

  @Override
  public synchronized int write(ByteBuffer src, long position) throws IOException {
    int n = src.remaining();
    if (n > 0 && (position > bytes.length || n > bytes.length - position)) {
      throw new IOException("a write of " + n + " bytes at " + position + " would pass the end "
          + "of the " + bytes.length + "-byte disk");
    }
    src.get(bytes, (int) position, n);
    return n;
  }

  @Override
  public void flush() {
    // Nothing is held back.
  }

  @Override
  public void force() {
    // Nothing is held back.
  }

  /** Unsupported: an array has no image metadata. */
  @Override
  public DiskInfo info() {
    throw new UnsupportedOperationException("a byte-array disk has no image metadata");
  }

  @Override
  public synchronized void close() {
    closes++;
  }
}
