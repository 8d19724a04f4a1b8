package io.vhdfs.image;

import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where every byte of a disk is, as one list: stored in the image, in one of its parents, or
 * nowhere (zeros). For callers that want the whole map at once; {@link VirtualDisk#extents}
 * gives it a piece at a time.
 */
public final class ExtentMap {
  private ExtentMap() {}

  /** The extents of {@code disk}, in order. */
  public static List<Extent> of(VirtualDisk disk) throws IOException {
    List<Extent> extents = new ArrayList<>();
    ExtentCursor cursor = disk.extents(0, disk.size());
    for (Extent e = cursor.next(); e != null; e = cursor.next()) {
      extents.add(e);
    }
    return extents;
  }
}
