package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * The guest-visible bytes of one open image, shared by every channel on it. Implementations are
 * safe for concurrent use: reads run in parallel, metadata changes are serialised.
 */
public interface VirtualDisk extends Closeable {
  /** The virtual size in bytes. */
  long size();

  /**
   * Reads into {@code dst} from {@code position}: as many bytes as {@code dst} has room for or the
   * disk has left, whichever is less, advancing the buffer's position.
   *
   * @return the number of bytes read; 0 if {@code dst} has no room; -1 if {@code position} is at
   *     or past the end of the disk
   */
  int read(ByteBuffer dst, long position) throws IOException;

  /**
   * Sends the {@code length} bytes at {@code position}, a range inside the disk, to
   * {@code target} at its position, as {@link #read} would give them. Stored bytes go from the
   * image file to the target with as little copying as the host allows (see
   * {@link HostFile#transferTo}).
   *
   * @return the bytes sent: all of them, unless a non-blocking target took no more
   */
  long transferTo(long position, long length, WritableByteChannel target) throws IOException;

  /**
   * Where the bytes of {@code [from, to)} are, in order and covering the range exactly: stored in
   * this image, in a parent (a level deeper per parent), or nowhere (zeros); neighbours of equal
   * kind merged. Past the end of the disk are zeros. The extents are worked out as the cursor
   * moves, a block at a time, so a cursor over a huge range holds almost nothing.
   */
  ExtentCursor extents(long from, long to) throws IOException;

  /**
   * Makes the disk writable: reopens the host file for writing and, where the image lost its end
   * footer, puts it back. Idempotent.
   *
   * @throws java.nio.file.AccessDeniedException if the host file cannot be written
   */
  void enableWrites() throws IOException;

  /**
   * {@link #enableWrites} for a commit of a child into this disk. A format whose children link
   * to their parent by an identity that changes when the parent is written (VHDX's
   * DataWriteGuid) keeps it until the disk closes, so that a commit cut short leaves the child
   * still linked to its parent, its chain reading as before. The default is
   * {@link #enableWrites}.
   */
  default void enableWritesForCommit() throws IOException {
    enableWrites();
  }

  /**
   * Writes all of {@code src} at {@code position}, advancing the buffer's position.
   *
   * @return the number of bytes written, all that {@code src} had
   * @throws IOException if the write would pass the end of the disk (nothing is written then)
   */
  int write(ByteBuffer src, long position) throws IOException;

  /**
   * Makes the {@code length} bytes at {@code position} read as zeros, as writing that many zeros
   * would, without storing zeros where the disk reads as zeros already: a sparse disk allocates
   * nothing for them and a fixed image's host file keeps its holes. Where a differencing image's
   * parent chain holds data under the range, zeros are written into the child (allocating its
   * blocks as needed), so that the range reads as zeros through the whole chain. A dynamic image
   * also gives back blocks that end up holding only zeros where its format can reuse their space
   * ({@code VhdDynamicDisk}: blocks at the end of the image file, when the disk closes).
   *
   * <p>Concurrent reads and writes behave as with {@link #write}: a write that overlaps the range
   * and runs at the same time may land before or after the zeros, and nothing outside the range
   * changes. The zeros are durable after {@link #force}.
   *
   * <p>The default reads the range and writes zeros through {@link #write} over the sectors that
   * are not zero. A disk that is a window onto another (a partition) should delegate, with its
   * offset, to the disk below, which knows where it is sparse and which blocks it can give back.
   *
   * @throws IllegalArgumentException if {@code position} or {@code length} is negative
   * @throws IOException if the range would pass the end of the disk (nothing is written then)
   */
  default void writeZeros(long position, long length) throws IOException {
    WriteSpan.check(position, length, size(), null);
    ZeroFill.over(this, position, length, this::write);
  }

  /** Puts metadata that is still only in memory (new BAT entries) into the image file. */
  void flush() throws IOException;

  /** {@link #flush} and make every completed write durable. */
  void force() throws IOException;

  /**
   * The real paths of the parents a differencing image reads through, nearest first; empty for
   * other images.
   */
  default List<Path> parents() {
    return List.of();
  }

  /** What the image's metadata says now, for attributes. */
  DiskInfo info();

  /** Flushes and releases the host file. */
  @Override
  void close() throws IOException;
}
