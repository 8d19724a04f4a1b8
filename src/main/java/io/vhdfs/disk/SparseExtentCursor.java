package io.vhdfs.disk;

import io.vhdfs.vhd.VhdDynamicDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * The extents of a range of a dynamic or differencing image, one block at a time: a stretch of
 * unallocated blocks costs one look at the table per block and becomes one extent (or one query
 * of the parent), an allocated block one look at its bitmap. What the image does not hold comes
 * from the parent's own cursor, a level deeper, opened only when the caller gets there.
 */
public final class SparseExtentCursor implements ExtentCursor {
  /** A stretch to hand out: an extent, or a range the parent answers. */
  private record Pending(Extent extent, long from, long to) {}

  private final VhdDynamicDisk disk;
  private final Path file;
  private final VirtualDisk parent;
  private final long end;
  private final long to;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private ExtentCursor fromParent;
  private long position;

  public SparseExtentCursor(VhdDynamicDisk disk, Path file, long from, long to) {
    this.disk = disk;
    this.file = file;
    this.parent = disk.backing().parentDisk();
    this.position = from;
    this.to = to;
    this.end = Math.min(to, disk.size());
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

  /** Queues what the next block, or stretch of unallocated blocks, holds. */
  private void advance() throws IOException {
    if (position >= end) {
      pending.add(new Pending(Extent.zeros(position, to - position, 0), 0, 0));
      position = to;
      return;
    }
    long blockSize = disk.blockSize();
    int block = (int) (position / blockSize);
    if (!disk.isAllocated(block)) {
      long stop = Math.min(end, (block + 1) * blockSize);
      while (stop < end && !disk.isAllocated((int) (stop / blockSize))) {
        stop = Math.min(end, stop + blockSize);
      }
      notHeld(position, stop);
      position = stop;
      return;
    }
    int n = (int) Math.min(end - position, blockSize - position % blockSize);
    long at = position;
    for (Run run : disk.ownRuns(position, n)) {
      if (run.kind() == Run.Kind.DATA) {
        pending.add(new Pending(
            new Extent(at, run.length(), true, 0, file, run.hostOffset()), 0, 0));
      } else {
        notHeld(at, at + run.length());
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
