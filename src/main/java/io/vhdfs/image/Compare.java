package io.vhdfs.image;

import io.vhdfs.disk.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Finds where two disks' bytes first differ. */
public final class Compare {
  private static final int CHUNK = 1 << 20;

  private Compare() {}

  /**
   * The first offset at which {@code a} and {@code b} differ; -1 if they are identical. Disks of
   * different sizes differ, with {@code strict}, at the shorter's size; without, as qemu-img
   * compare has it, at the first byte of the longer one's extra part that is not zero, and are
   * identical when it is all zeros.
   */
  public static long firstDifference(ImageSource a, ImageSource b, boolean strict,
      ProgressListener progress) throws IOException {
    long common = Math.min(a.size(), b.size());
    long end = strict ? common : Math.max(a.size(), b.size());
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
      progress.advanced(pos + n, end);
    }
    if (a.size() == b.size()) {
      return -1;
    }
    if (strict) {
      return common;
    }
    ImageSource longer = a.size() > b.size() ? a : b;
    byte[] zeros = new byte[CHUNK];
    for (long pos = common; pos < end; pos += CHUNK) {
      int n = (int) Math.min(CHUNK, end - pos);
      longer.readFully(x.clear().limit(n), pos);
      int at = Arrays.mismatch(x.array(), 0, n, zeros, 0, n);
      if (at >= 0) {
        return pos + at;
      }
      progress.advanced(pos + n, end);
    }
    return -1;
  }
}
