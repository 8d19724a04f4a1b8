package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Finds where two disks' bytes first differ. */
public final class ImageComparer {
  private static final int CHUNK = 1 << 20;

  private ImageComparer() {}

  /**
   * The first offset at which {@code a} and {@code b} differ; where one is longer, the shorter's
   * size if all bytes up to it agree; -1 if they are identical.
   */
  public static long firstDifference(ImageSource a, ImageSource b, ProgressListener progress)
      throws IOException {
    long common = Math.min(a.size(), b.size());
    ByteBuffer x = ByteBuffer.allocate(CHUNK);
    ByteBuffer y = ByteBuffer.allocate(CHUNK);
    for (long pos = 0; pos < common; pos += CHUNK) {
      int n = (int) Math.min(CHUNK, common - pos);
      a.readFully(x.clear().limit(n), pos);
      b.readFully(y.clear().limit(n), pos);
      int at = Arrays.mismatch(x.array(), 0, n, y.array(), 0, n);
      if (at >= 0) {
        return pos + at;
      }
      progress.advanced(pos + n, common);
    }
    return a.size() == b.size() ? -1 : common;
  }
}
