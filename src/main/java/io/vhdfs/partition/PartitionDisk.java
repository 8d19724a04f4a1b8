package io.vhdfs.partition;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * A partition as a disk of its own: a window of {@code size} bytes from {@code offset} onto a
 * shared disk, so {@link io.vhdfs.channel.DiskChannel} serves it as it serves the whole disk.
 * Every call is passed on with the position shifted by {@code offset}; reads stop at the window's
 * end, a write that would pass it is refused before anything is written, and extents past it are
 * zeros, never the bytes of the disk beyond.
 *
 * <p>The window does not own the disk: {@link #close()} leaves it open for its other users.
 */
public final class PartitionDisk implements VirtualDisk {
  private final VirtualDisk disk;
  private final long offset;
  private final long size;
  private final String name;

  /**
   * @param disk the whole disk, shared; not closed by this window
   * @param offset where the window starts on {@code disk}
   * @param size the window's size in bytes; it must end on the disk
   * @param name what messages call the window, such as {@code /data/a.vhd#/p2}
   */
  public PartitionDisk(VirtualDisk disk, long offset, long size, String name) {
    if (offset < 0 || size < 0 || offset > disk.size() || size > disk.size() - offset) {
      throw new IllegalArgumentException(name + ": a window of " + size + " bytes at "
          + offset + " does not lie on the disk of " + disk.size() + " bytes");
    }
    this.disk = disk;
    this.offset = offset;
    this.size = size;
    this.name = name;
  }

  /** Partition {@code p} of {@code disk}, in the image named {@code image}. */
  public static PartitionDisk of(VirtualDisk disk, Partition p, String image) {
    return new PartitionDisk(disk, p.start(), p.size(), image + "#/" + p.fileName());
  }

  /** Where the window starts on the whole disk. */
  public long offset() {
    return offset;
  }

  /** The whole disk the window is onto. */
  public VirtualDisk disk() {
    return disk;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    checkPosition(position);
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), size - position);
    if (n == dst.remaining()) {
      return disk.read(dst, offset + position);
    }
    int limit = dst.limit();
    dst.limit(dst.position() + n);
    try {
      return disk.read(dst, offset + position);
    } finally {
      dst.limit(limit);
    }
  }

  @Override
  public long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    checkPosition(position);
    if (length < 0 || position > size || length > size - position) {
      throw new IllegalArgumentException(name + ": " + length + " bytes at " + position
          + " are not inside the partition of " + size + " bytes");
    }
    return disk.transferTo(offset + position, length, target);
  }

  @Override
  public ExtentCursor extents(long from, long to) throws IOException {
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
    }
    long inside = Math.min(to, size);
    ExtentCursor below = from < inside ? disk.extents(offset + from, offset + inside) : () -> null;
    long zerosFrom = Math.max(from, size);
    Extent past = to > zerosFrom ? new Extent(zerosFrom, to - zerosFrom, false, 0, null, -1)
        : null;
    return ExtentCursor.merging(new ExtentCursor() {
      private boolean belowDone;
      private boolean pastDone;

      @Override
      public Extent next() throws IOException {
        if (!belowDone) {
          Extent e = below.next();
          if (e != null) {
            return new Extent(e.offset() - offset, e.length(), e.data(), e.depth(), e.file(),
                e.hostOffset());
          }
          belowDone = true;
        }
        if (!pastDone) {
          pastDone = true;
          return past;
        }
        return null;
      }
    });
  }

  @Override
  public void enableWrites() throws IOException {
    disk.enableWrites();
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkPosition(position);
    int n = src.remaining();
    if (n == 0) {
      return 0;
    }
    if (position > size || n > size - position) {
      throw new IOException(name + ": a write of " + n + " bytes at offset " + position
          + " would pass the end of the partition (" + size + " bytes); a partition does not"
          + " grow, so nothing was written");
    }
    return disk.write(src, offset + position);
  }

  @Override
  public void writeZeros(long position, long length) throws IOException {
    if (position < 0 || length < 0) {
      throw new IllegalArgumentException("negative position " + position + " or length "
          + length);
    }
    if (length > 0 && (position > size || length > size - position)) {
      throw new IOException(name + ": " + length + " bytes of zeros at offset " + position
          + " would pass the end of the partition (" + size + " bytes); a partition does not"
          + " grow, so nothing was written");
    }
    disk.writeZeros(offset + position, length);
  }

  /** A negative position would reach bytes before the window. */
  private static void checkPosition(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("negative position " + position);
    }
  }

  @Override
  public void flush() throws IOException {
    disk.flush();
  }

  @Override
  public void force() throws IOException {
    disk.force();
  }

  @Override
  public List<Path> parents() {
    return disk.parents();
  }

  @Override
  public DiskInfo info() {
    return disk.info();
  }

  /** Does nothing: the disk belongs to whoever opened it. */
  @Override
  public void close() {
  }

  @Override
  public String toString() {
    return name + " (bytes " + offset + " to " + (offset + size) + " of the disk)";
  }
}
