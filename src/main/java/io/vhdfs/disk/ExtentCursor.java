package io.vhdfs.disk;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;

/**
 * The extents of a range of a disk, worked out one at a time as the caller moves on, so a range
 * with a million extents never needs them all in memory.
 */
@FunctionalInterface
public interface ExtentCursor {
  /** The next extent in order, or null once the range is covered. */
  Extent next() throws IOException;

  /** A cursor over extents already known, in order. */
  static ExtentCursor of(List<Extent> extents) {
    Iterator<Extent> it = extents.iterator();
    return () -> it.hasNext() ? it.next() : null;
  }

  /** {@code cursor} with neighbours that continue one another joined into one extent. */
  static ExtentCursor merging(ExtentCursor cursor) {
    return new MergingExtentCursor(cursor);
  }
}
