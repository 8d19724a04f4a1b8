package io.vhdfs.disk;

import java.io.IOException;

/**
 * Joins extents of equal kind that continue one another, as {@code qemu-img map} shows them,
 * holding one extent back to see whether the next continues it.
 */
final class MergingExtentCursor implements ExtentCursor {
  private final ExtentCursor source;
  private Extent held;
  private boolean done;

  MergingExtentCursor(ExtentCursor source) {
    this.source = source;
  }

  @Override
  public Extent next() throws IOException {
    while (!done) {
      Extent e = source.next();
      if (e == null) {
        done = true;
        break;
      }
      if (e.length() <= 0) {
        continue;
      }
      if (held == null) {
        held = e;
        continue;
      }
      Extent merged = held.merge(e);
      if (merged != null) {
        held = merged;
        continue;
      }
      Extent out = held;
      held = e;
      return out;
    }
    Extent out = held;
    held = null;
    return out;
  }
}
