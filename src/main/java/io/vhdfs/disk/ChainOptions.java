package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a differencing image's parents are opened.
 *
 * @param parentRoot a directory, on the child's host file system, outside of which no parent is
 *     opened; {@code null} for no limit
 * @param ignoreParentId whether a parent whose unique id differs from the one the child records
 *     is accepted
 */
public record ChainOptions(String parentRoot, boolean ignoreParentId) {
  /** No confinement, ids must match. */
  public static final ChainOptions DEFAULT = new ChainOptions(null, false);

  /** The confining directory on {@code fs}, its real path where it exists; null for none. */
  Path rootOn(FileSystem fs) throws IOException {
    if (parentRoot == null) {
      return null;
    }
    Path root = fs.getPath(parentRoot).toAbsolutePath().normalize();
    return Files.isDirectory(root) ? root.toRealPath() : root;
  }
}
