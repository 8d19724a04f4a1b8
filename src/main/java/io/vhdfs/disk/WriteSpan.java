package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The bounds rule of writes: a disk does not grow, so a write past its end writes nothing. */
public final class WriteSpan {
  private WriteSpan() {}

  /**
   * The number of bytes {@code src} holds for a write at {@code position}.
   *
   * @throws IOException if they would not all fit before the end of the disk
   */
  public static int length(ByteBuffer src, long position, long diskSize, String name)
      throws IOException {
    int n = src.remaining();
    if (n > 0 && (position > diskSize || n > diskSize - position)) {
      throw new IOException(name + ": a write of " + n + " bytes at offset " + position
          + " would pass the end of the disk (" + diskSize + " bytes); a virtual disk does not"
          + " grow, so nothing was written");
    }
    return n;
  }

  /**
   * Checks a write of {@code length} bytes at {@code position} that is not carried in a buffer,
   * such as a range made to read as zeros.
   *
   * @param name the image, for the message, or null where the caller does not know it
   * @throws IllegalArgumentException if {@code position} or {@code length} is negative
   * @throws IOException if the range would pass the end of the disk (nothing is written then)
   */
  public static void check(long position, long length, long diskSize, String name) throws IOException {
    if (position < 0 || length < 0) {
      throw new IllegalArgumentException("negative position " + position + " or length "
          + length);
    }
    if (length > 0 && (position > diskSize || length > diskSize - position)) {
      throw new IOException((name == null ? "" : name + ": ") + length + " bytes of zeros at "
          + "offset " + position + " would pass the end of the disk (" + diskSize + " bytes); a "
          + "virtual disk does not grow, so nothing was written");
    }
  }
}
