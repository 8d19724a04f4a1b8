package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * What a resize of a sparse image does with the bytes at the disk's old or new end, the same for
 * every format: a grown disk's new range must read as zeros, whatever its last block held there,
 * and a shrink must cut off no data.
 */
public final class ResizeTail {
  private static final int CHUNK = 1 << 20;

  private ResizeTail() {}

  /**
   * Writes zeros over what the image stores of virtual range {@code [from, to)}, block by block,
   * forced where any were written: a writer may have left anything there, and the range is
   * about to come into view.
   */
  public static void zeroStored(HostFile host, BlockMap map, long from, long to)
      throws IOException {
    SectorMapper mapper = new SectorMapper(map);
    long blockSize = map.blockSize();
    boolean wrote = false;
    for (long at = from; at < to; ) {
      int n = (int) Math.min(to - at, blockSize - at % blockSize);
      for (Run run : mapper.map(at, n)) {
        if (run.kind() == Run.Kind.DATA) {
          host.writeZeros(run.hostOffset(), run.length());
          wrote = true;
        }
      }
      at += n;
    }
    if (wrote) {
      host.force(false);
    }
  }

  /**
   * Refuses a shrink to {@code newSize} when one of the {@code length} bytes at {@code hostAt} of
   * the file, virtual offset {@code virtualAt} on, is not zero.
   */
  public static void requireZeros(HostFile host, long newSize, long virtualAt, long hostAt,
      long length) throws IOException {
    for (long done = 0; done < length; done += CHUNK) {
      int n = (int) Math.min(CHUNK, length - done);
      byte[] b = host.readBytes(hostAt + done, n);
      for (int i = 0; i < n; i++) {
        if (b[i] != 0) {
          throw refusal(host, newSize, virtualAt + done + i, "holds a non-zero byte");
        }
      }
    }
  }

  /** The refusal of a shrink to {@code newSize}: what is at virtual {@code offset}. */
  public static FileSystemException refusal(HostFile host, long newSize, long offset,
      String what) {
    return new FileSystemException(host.name(), null, "cannot shrink to " + newSize
        + " bytes: virtual offset " + offset + " " + what);
  }
}
