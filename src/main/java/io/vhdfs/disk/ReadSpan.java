package io.vhdfs.disk;

import java.nio.ByteBuffer;

/** The read-length rule every disk shares, so EOF and empty buffers behave the same everywhere. */
final class ReadSpan {
  private ReadSpan() {}

  /** Bytes to read: 0 for a full buffer (even at EOF), -1 at or past the end, else what fits. */
  static int length(ByteBuffer dst, long position, long size) {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    return (int) Math.min(dst.remaining(), size - position);
  }
}
