package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where every byte of a disk is: stored in the image, in one of its parents, or nowhere (zeros).
 * Extents of equal kind that continue one another merge, as {@code qemu-img map} shows them.
 */
public final class ExtentMap {
  private final List<Extent> extents = new ArrayList<>();

  private ExtentMap() {}

  /** The extents of {@code disk}, whose image file is {@code file}, in order. */
  public static List<Extent> of(VirtualDisk disk, Path file) throws IOException {
    ExtentMap map = new ExtentMap();
    map.add(disk, file, 0, 0, disk.size());
    return map.extents;
  }

  private void add(VirtualDisk disk, Path file, int depth, long from, long to)
      throws IOException {
    if (from >= to) {
      return;
    }
    if (disk instanceof DynamicDisk d) {
      addDynamic(d, file, depth, from, to);
    } else if (from < disk.size()) {
      // A fixed image stores every byte, at its own offset.
      long end = Math.min(to, disk.size());
      put(new Extent(from, end - from, true, depth, file, from));
      put(new Extent(end, to - end, false, depth, null, -1));
    } else {
      put(new Extent(from, to - from, false, depth, null, -1));
    }
  }

  private void addDynamic(DynamicDisk d, Path file, int depth, long from, long to)
      throws IOException {
    Backing backing = d.backing();
    long end = Math.min(to, d.size());
    int blockSize = d.blockSize();
    for (long p = from; p < end; ) {
      int n = (int) Math.min(end - p, blockSize - p % blockSize);
      long at = p;
      for (Run run : d.ownRuns(p, n)) {
        if (run.kind() == Run.Kind.DATA) {
          put(new Extent(at, run.length(), true, depth, file, run.hostOffset()));
        } else if (backing.parentDisk() != null) {
          add(backing.parentDisk(), backing.parentPath(), depth + 1, at, at + run.length());
        } else {
          put(new Extent(at, run.length(), false, depth, null, -1));
        }
        at += run.length();
      }
      p += n;
    }
    if (end < to) {
      put(new Extent(end, to - end, false, depth, null, -1));
    }
  }

  private void put(Extent e) {
    if (e.length() <= 0) {
      return;
    }
    if (!extents.isEmpty()) {
      Extent merged = extents.get(extents.size() - 1).merge(e);
      if (merged != null) {
        extents.set(extents.size() - 1, merged);
        return;
      }
    }
    extents.add(e);
  }
}
