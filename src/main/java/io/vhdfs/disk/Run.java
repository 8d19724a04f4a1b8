package io.vhdfs.disk;

/**
 * A stretch of a read or write that is served one way: one host I/O at {@code hostOffset}, zeros,
 * or the backing.
 *
 * @param kind how the bytes are served
 * @param hostOffset the byte offset in the image file ({@code -1} for zeros and the backing)
 * @param length bytes in the run
 */
public record Run(Kind kind, long hostOffset, int length) {
  /** How a run's bytes are served. */
  public enum Kind {
    /** The bytes are in the image file at {@code hostOffset}. */
    DATA,
    /** The bytes read as zeros, whatever a parent holds (a block the format marks as zeros). */
    ZERO,
    /**
     * The image does not hold the bytes: they come from its backing, the parent of a
     * differencing image, zeros for any other (an unallocated block, a clear bitmap bit).
     */
    BACKING
  }

  /** This run followed by {@code next}, or {@code null} where the two cannot be one host I/O. */
  Run merge(Run next) {
    if (kind != next.kind) {
      return null;
    }
    if (kind == Kind.DATA && hostOffset + length != next.hostOffset) {
      return null;
    }
    return new Run(kind, hostOffset, length + next.length);
  }
}
