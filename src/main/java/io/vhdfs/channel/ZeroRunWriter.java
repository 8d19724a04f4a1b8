package io.vhdfs.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Puts the runs of zeros of one transfer into its target. Where the target is a file and the run
 * lies at or past its end, the run becomes a hole: the position moves on and nothing is written,
 * so the copy of a sparse disk is as sparse as the disk. Elsewhere the zeros are written.
 *
 * <p>A file channel opened to append writes at its end wherever its position is, and nothing tells
 * from outside. The first hole therefore writes its own last byte and checks where it landed: at
 * the hole's end, holes work; at the old end of the file, the channel appends, that byte was the
 * run's first zero, and the rest of every run is written out.
 */
final class ZeroRunWriter {
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024);

  private final WritableByteChannel target;
  private final FileChannel file;
  private boolean holesChecked;
  private boolean holesWork;

  ZeroRunWriter(WritableByteChannel target) {
    this.target = target;
    this.file = target instanceof FileChannel fc ? fc : null;
  }

  /**
   * Puts {@code length} zeros at the target's position.
   *
   * @return the zeros put: all, unless a non-blocking target took no more
   */
  long write(long length) throws IOException {
    if (file == null) {
      return zeros(length);
    }
    long done = 0;
    long position = file.position();
    long size = file.size();
    if (position < size) {
      done = zeros(Math.min(length, size - position));
      if (done == length) {
        return done;
      }
      position += done;
    }
    long rest = length - done;
    if (!holesChecked && rest >= 2) {
      holesChecked = true;
      file.position(position + rest - 1);
      zeros(1);
      if (file.position() == position + rest) {
        holesWork = true;
        return length;
      }
      // Appended: the byte went to the old end, where this run starts.
      done++;
      rest--;
    } else if (holesWork) {
      file.position(position + rest);
      return length;
    }
    return done + zeros(rest);
  }

  /** Gives a file target its full length where the transfer ended in a hole. */
  void finish() throws IOException {
    if (file != null && holesWork) {
      long end = file.position();
      if (file.size() < end) {
        file.position(end - 1);
        zeros(1);
      }
    }
  }

  private long zeros(long length) throws IOException {
    ByteBuffer buf = ZEROS.duplicate();
    long done = 0;
    while (done < length) {
      buf.clear().limit((int) Math.min(buf.capacity(), length - done));
      while (buf.hasRemaining()) {
        if (target.write(buf) == 0 && buf.hasRemaining()) {
          return done + buf.position();
        }
      }
      done += buf.limit();
    }
    return done;
  }
}
