package io.vhdfs.disk;

/** Told how far a long operation has got. */
@FunctionalInterface
public interface ProgressListener {
  /** Does nothing. */
  ProgressListener NONE = (done, total) -> { };

  /** {@code done} of {@code total} units (bytes) are done. */
  void advanced(long done, long total);
}
