package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The bounds rule of writes: a disk does not grow, so a write past its end writes nothing. */
final class WriteSpan {
  private WriteSpan() {}

  /**
   * The number of bytes {@code src} holds for a write at {@code position}.
   *
   * @throws IOException if they would not all fit before the end of the disk
   */
  static int length(ByteBuffer src, long position, long diskSize, String name)
      throws IOException {
    int n = src.remaining();
    if (n > 0 && (position > diskSize || n > diskSize - position)) {
      throw new IOException(name + ": a write of " + n + " bytes at offset " + position
          + " would pass the end of the disk (" + diskSize + " bytes); a virtual disk does not"
          + " grow, so nothing was written");
    }
    return n;
  }
}
