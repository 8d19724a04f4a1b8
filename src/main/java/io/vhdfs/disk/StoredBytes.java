package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How the shared read path ({@link SparseReader}) reads the bytes an image file stores, where a
 * format must not read them straight from the host: a VHDX opened read-only with a dirty log
 * reads its file as the log's in-memory replay leaves it, never as it lies on the host.
 */
@FunctionalInterface
public interface StoredBytes {
  /**
   * Puts the {@code length} bytes the file holds at {@code position} into {@code dst}, advancing
   * it.
   */
  void read(ByteBuffer dst, int length, long position) throws IOException;
}
