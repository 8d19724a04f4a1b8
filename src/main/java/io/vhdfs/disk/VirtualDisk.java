package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
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
   * Makes the disk writable: reopens the host file for writing and, where the image lost its end
   * footer, puts it back. Idempotent.
   *
   * @throws java.nio.file.AccessDeniedException if the host file cannot be written
   */
  void enableWrites() throws IOException;

  /**
   * Writes all of {@code src} at {@code position}, advancing the buffer's position.
   *
   * @return the number of bytes written, all that {@code src} had
   * @throws IOException if the write would pass the end of the disk (nothing is written then)
   */
  int write(ByteBuffer src, long position) throws IOException;

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
