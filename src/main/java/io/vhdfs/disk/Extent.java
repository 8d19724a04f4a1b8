package io.vhdfs.disk;

import java.nio.file.Path;

/**
 * A stretch of a virtual disk and where its bytes are.
 *
 * @param offset virtual offset
 * @param length bytes
 * @param data whether the bytes are stored (else they read as zeros)
 * @param depth 0 for the image itself, 1 for its parent, and so on; for zeros, the image whose
 *     answer they are
 * @param file the image file holding the bytes, or null for zeros
 * @param hostOffset where in {@code file} they start, or -1 for zeros
 */
public record Extent(long offset, long length, boolean data, int depth, Path file,
    long hostOffset) {
  /** {@code next} joined to this one if it continues it exactly, else null. */
  Extent merge(Extent next) {
    boolean contiguous = next.offset == offset + length && next.data == data
        && next.depth == depth && java.util.Objects.equals(next.file, file)
        && (!data || next.hostOffset == hostOffset + length);
    return contiguous ? new Extent(offset, length + next.length, data, depth, file, hostOffset)
        : null;
  }

  /** This extent as its image's child sees it: one level deeper. */
  Extent deeper() {
    return new Extent(offset, length, data, depth + 1, file, hostOffset);
  }

  /** Zeros at {@code [offset, offset + length)}, the answer of the image at {@code depth}. */
  static Extent zeros(long offset, long length, int depth) {
    return new Extent(offset, length, false, depth, null, -1);
  }
}
