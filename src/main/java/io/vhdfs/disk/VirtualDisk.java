package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The guest-visible bytes of one open image, shared by every channel on it. Implementations are
 * safe for concurrent use.
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

  /** What the image's metadata says, for attributes. */
  DiskInfo info();

  /** Releases the host file. */
  @Override
  void close() throws IOException;
}
