package io.vhdfs.testing;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A {@link VirtualDisk} over a byte array, for tests of what reads disks without caring how an
 * image stores them (partition tables, windows). It keeps the disk contract: -1 at or past the
 * end, a write that would pass the end is an {@link IOException} that writes nothing. Its extents
 * are data where a 512-byte sector holds a byte that is not zero, zeros elsewhere and past the
 * end, with the array offset as host offset. It counts closes, so tests can see that a window
 * leaves the disk open.
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
  public synchronized long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    ByteBuffer src = ByteBuffer.wrap(bytes, Math.toIntExact(position), Math.toIntExact(length));
    while (src.hasRemaining()) {
      if (target.write(src) == 0) {
        break; // a full non-blocking target
      }
    }
    return length - src.remaining();
  }

  @Override
  public ExtentCursor extents(long from, long to) {
    return ExtentCursor.merging(new ExtentCursor() {
      private long at = from;

      @Override
      public Extent next() {
        if (at >= to) {
          return null;
        }
        if (at >= bytes.length) {
          Extent past = new Extent(at, to - at, false, 0, null, -1);
          at = to;
          return past;
        }
        long end = Math.min(Math.min(to, bytes.length), (at / 512 + 1) * 512);
        boolean data = !zeroSector(at / 512);
        Extent e = new Extent(at, end - at, data, 0, null, data ? at : -1);
        at = end;
        return e;
      }
    });
  }

  private synchronized boolean zeroSector(long sector) {
    int from = (int) (sector * 512);
    for (int i = from; i < Math.min(bytes.length, from + 512); i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
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
