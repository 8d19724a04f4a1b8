package io.vhdfs.vhdx;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link ByteSource} as it reads after an in-memory log replay: the base's bytes patched by the
 * overlay, zeros past the base's end up to the replay's logical size.
 */
final class OverlaidSource implements ByteSource {
  private final ByteSource base;
  private final LogOverlay overlay;

  OverlaidSource(ByteSource base, LogOverlay overlay) {
    this.base = base;
    this.overlay = overlay;
  }

  @Override
  public void readFully(ByteBuffer dst, long offset) throws IOException {
    int n = dst.remaining();
    long size = size();
    if (offset < 0 || offset > size || size - offset < n) {
      throw new EOFException(name() + ": read of " + n + " bytes at " + offset
          + " past the end (" + size + " bytes after log replay)");
    }
    byte[] b = new byte[n];
    long baseSize = base.size();
    int fromBase = (int) Math.max(0, Math.min(n, baseSize - offset));
    if (fromBase > 0) {
      base.readFully(ByteBuffer.wrap(b, 0, fromBase), offset);
    }
    overlay.apply(offset, b, 0, n);
    dst.put(b);
  }

  @Override
  public long size() throws IOException {
    return overlay.logicalSize(base.size());
  }

  @Override
  public String name() {
    return base.name();
  }
}
