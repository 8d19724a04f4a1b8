package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A parent's path as a new child records it for Windows readers (Hyper-V, Disk2vhd), whatever
 * host the image is made on: both formats' locators hold Windows paths. {@link ParentLookup}
 * reads them back onto the child's own host.
 */
public final class WindowsPaths {
  private WindowsPaths() {}

  /** The absolute path with {@code \} separators: the host's own where it is Windows. */
  public static String absolute(Path parent) {
    String s = parent.toAbsolutePath().toString();
    return parent.getFileSystem().getSeparator().equals("\\") ? s : s.replace('/', '\\');
  }

  /**
   * {@code .\dir\parent}, from the child's directory, or null where no relative path leads (a
   * parent on another drive or root).
   */
  public static String relative(Path image, Path parent) throws IOException {
    Path dir = image.toAbsolutePath().getParent();
    try {
      Path rel = dir.toRealPath().relativize(parent);
      StringBuilder b = new StringBuilder(".");
      for (Path name : rel) {
        b.append('\\').append(name);
      }
      return b.toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
