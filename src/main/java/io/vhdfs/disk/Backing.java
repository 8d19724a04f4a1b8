package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the sectors an image does not hold read as: zeros for a dynamic image, the parent's bytes
 * for a differencing one. The parent is shared with other children and released on close. It is a
 * format's only way to its parent: {@link DiskOpener} makes it and hands it to the format's layer
 * ({@link DiskLayer#open}), and the shared read path ({@link SparseReader}) reads through it.
 */
public final class Backing implements Closeable {
  private static final byte[] ZERO_CHUNK = new byte[64 * 1024];

  /** Absent sectors of a dynamic image read as zeros. */
  static final Backing ZEROS = new Backing(null, null, null, null);

  private final VirtualDisk parent;
  private final Path parentPath;
  private final Closeable release;
  /** Why reads are refused, for a child opened without its parent; otherwise null. */
  private final String detached;

  private Backing(VirtualDisk parent, Path parentPath, Closeable release, String detached) {
    this.parent = parent;
    this.parentPath = parentPath;
    this.release = release;
    this.detached = detached;
  }

  /** The parent {@code disk} at {@code path}; {@code release} gives it back. */
  static Backing parent(VirtualDisk disk, Path path, Closeable release) {
    return new Backing(disk, path, release, null);
  }

  /**
   * A differencing image opened on its own, for what needs only its own sectors (metadata,
   * committing): reading a sector it does not hold is an {@link IOException}.
   */
  static Backing detached(String image) {
    return new Backing(null, null, null, image + ": opened without its parent, so sectors the "
        + "differencing image does not hold cannot be read");
  }

  /** The parent disk, or null for none or a detached child. */
  VirtualDisk parentDisk() {
    return parent;
  }

  /** The parent's real path, or null. */
  Path parentPath() {
    return parentPath;
  }

  /** Whether absent sectors come from a parent (or would, for a detached child). */
  public boolean isParent() {
    return this != ZEROS;
  }

  /** The parents' real paths, nearest first; empty for none or a detached child. */
  public List<Path> chain() {
    if (parent == null) {
      return List.of();
    }
    List<Path> chain = new ArrayList<>();
    chain.add(parentPath);
    chain.addAll(parent.parents());
    return chain;
  }

  /**
   * Puts the {@code length} bytes at virtual {@code position} into {@code dst}, advancing it.
   * Where a child is larger than its parent, what lies past the parent's end reads as zeros.
   */
  void read(ByteBuffer dst, int length, long position) throws IOException {
    if (detached != null) {
      throw new IOException(detached);
    }
    int done = 0;
    if (parent != null && position < parent.size()) {
      int limit = dst.limit();
      dst.limit(dst.position() + length);
      try {
        int n = parent.read(dst, position);
        done = Math.max(n, 0);
      } finally {
        dst.limit(limit);
      }
    }
    fillZeros(dst, length - done);
  }

  /**
   * Sends the {@code length} bytes at virtual {@code position} to {@code target}, as
   * {@link #read} would give them.
   *
   * @return the bytes sent: all, unless a non-blocking target took no more
   */
  long transferTo(long position, int length, WritableByteChannel target) throws IOException {
    if (detached != null) {
      throw new IOException(detached);
    }
    long done = 0;
    if (parent != null && position < parent.size()) {
      long n = Math.min(length, parent.size() - position);
      done = parent.transferTo(position, n, target);
      if (done < n) {
        return done;
      }
    }
    return done + writeZeros(target, length - done);
  }

  /**
   * Writes {@code length} zeros to {@code target}.
   *
   * @return the zeros written: all, unless a non-blocking target took no more
   */
  static long writeZeros(WritableByteChannel target, long length) throws IOException {
    ByteBuffer zeros = ByteBuffer.wrap(ZERO_CHUNK);
    long done = 0;
    while (done < length) {
      zeros.clear().limit((int) Math.min(ZERO_CHUNK.length, length - done));
      while (zeros.hasRemaining()) {
        int n = target.write(zeros);
        if (n == 0 && zeros.hasRemaining()) {
          return done + zeros.position();
        }
      }
      done += zeros.limit();
    }
    return done;
  }

  /** Whether the {@code length} bytes at virtual {@code position} read as zeros. */
  public boolean readsZeros(long position, long length) throws IOException {
    if (this == ZEROS) {
      return true;
    }
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ZeroFill.CHUNK, length));
    for (long at = position; at < position + length; ) {
      int n = (int) Math.min(buf.capacity(), position + length - at);
      buf.clear();
      read(buf, n, at);
      if (!ZeroFill.isZero(buf.array(), 0, n)) {
        return false;
      }
      at += n;
    }
    return true;
  }

  /** The 512 bytes of sector {@code sector}. */
  public byte[] readSector(long sector) throws IOException {
    byte[] b = new byte[512];
    if (this != ZEROS) {
      read(ByteBuffer.wrap(b), 512, sector * 512);
    }
    return b;
  }

  @Override
  public void close() throws IOException {
    if (release != null) {
      release.close();
    }
  }

  /** Puts {@code length} zeros at the buffer's position, advancing it. */
  static void fillZeros(ByteBuffer dst, int length) {
    if (dst.hasArray()) {
      int from = dst.arrayOffset() + dst.position();
      Arrays.fill(dst.array(), from, from + length, (byte) 0);
      dst.position(dst.position() + length);
      return;
    }
    for (int done = 0; done < length; ) {
      int chunk = Math.min(ZERO_CHUNK.length, length - done);
      dst.put(ZERO_CHUNK, 0, chunk);
      done += chunk;
    }
  }
}
