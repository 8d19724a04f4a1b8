package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes the disk of a new image file that no one else sees yet, such as a conversion's staged
 * result, in any order and from several threads: blocks allocated at their first write, bytes
 * not handed over reading as zeros, the file's last bytes written and made durable by
 * {@link #finish}. A caller may also put a block's bytes into the file itself (a host copy),
 * asking {@link #fileOffset} where and telling {@link #copied} how many.
 */
public interface NewImageWriter extends Closeable {
  /**
   * Writes all of {@code src} at disk offset {@code position}; a dynamic image's block is
   * allocated at its first write, the rest of it reading as zeros.
   *
   * @throws IllegalArgumentException if the bytes reach past the disk's end
   */
  void write(ByteBuffer src, long position) throws IOException;

  /** The file being written, for a caller that puts a block's bytes there itself. */
  Path file();

  /**
   * Where in {@link #file} disk offset {@code position} lies, its block allocated now (to be
   * written whole, as by {@link #write}) if it has none; the caller then puts bytes there itself,
   * up to the block's end, and counts them with {@link #copied}.
   *
   * @throws IllegalArgumentException if {@code position} is not inside the disk
   */
  long fileOffset(long position) throws IOException;

  /** The disk offset where the block holding {@code position} ends. */
  long blockEnd(long position);

  /** Counts {@code length} bytes the caller put into the file (for the background write-back). */
  void copied(long length);

  /** Writes the file's last bytes, and with {@code sync} makes all of it durable. */
  void finish(boolean sync) throws IOException;
}
