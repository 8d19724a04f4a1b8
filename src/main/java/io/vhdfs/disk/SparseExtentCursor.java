package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * The extents of a range of a sparse image, one block at a time: a stretch of blocks the image
 * does not hold costs one look at the map per block and becomes one extent (or one query of the
 * parent), a block it holds one run list. What the image does not hold comes from the parent's
 * own cursor, a level deeper, opened only when the caller gets there.
 */
final class SparseExtentCursor implements ExtentCursor {
  /** A stretch to hand out: an extent, or a range the parent answers. */
  private record Pending(Extent extent, long from, long to) {}

  private final SparseReader reader;
  private final BlockMap map;
  private final Path file;
  private final VirtualDisk parent;
  private final long end;
  private final long to;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private ExtentCursor fromParent;
  private long position;

  SparseExtentCursor(SparseReader reader, long from, long to) {
    this.reader = reader;
    this.map = reader.map();
    this.file = reader.host().path();
    this.parent = reader.backing().parentDisk();
    this.position = from;
    this.to = to;
    this.end = Math.min(to, reader.size());
  }

  @Override
  public Extent next() throws IOException {
    while (true) {
      if (fromParent != null) {
        Extent e = fromParent.next();
        if (e != null) {
          return e.deeper();
        }
        fromParent = null;
      }
      Pending p = pending.poll();
      if (p != null) {
        if (p.extent() != null) {
          return p.extent();
        }
        fromParent = parent.extents(p.from(), p.to());
        continue;
      }
      if (position >= to) {
        return null;
      }
      advance();
    }
  }

  /** Queues what the next block, or stretch of blocks the image does not hold, holds. */
  private void advance() throws IOException {
    if (position >= end) {
      pending.add(new Pending(Extent.zeros(position, to - position, 0), 0, 0));
      position = to;
      return;
    }
    long blockSize = map.blockSize();
    long block = position / blockSize;
    if (map.state(block) == BlockMap.State.ABSENT) {
      long stop = Math.min(end, (block + 1) * blockSize);
      while (stop < end && map.state(stop / blockSize) == BlockMap.State.ABSENT) {
        stop = Math.min(end, stop + blockSize);
      }
      notHeld(position, stop);
      position = stop;
      return;
    }
    int n = (int) Math.min(end - position, blockSize - position % blockSize);
    long at = position;
    for (Run run : reader.runs(position, n)) {
      switch (run.kind()) {
        case DATA -> pending.add(new Pending(
            new Extent(at, run.length(), true, 0, file, run.hostOffset()), 0, 0));
        case ZERO -> pending.add(new Pending(Extent.zeros(at, run.length(), 0), 0, 0));
        case BACKING -> notHeld(at, at + run.length());
      }
      at += run.length();
    }
    position += n;
  }

  private void notHeld(long from, long stop) {
    if (parent == null) {
      pending.add(new Pending(Extent.zeros(from, stop - from, 0), 0, 0));
    } else {
      pending.add(new Pending(null, from, stop));
    }
  }
}
