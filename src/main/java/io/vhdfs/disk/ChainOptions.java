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
 * @param locking how the images, the child's and its parents', take part in QEMU's locking
 */
public record ChainOptions(String parentRoot, boolean ignoreParentId, Locking locking) {
  /** No confinement, ids must match, locks where the host has them. */
  public static final ChainOptions DEFAULT = new ChainOptions(null, false);

  /** Options with {@link Locking#AUTO}. */
  public ChainOptions(String parentRoot, boolean ignoreParentId) {
    this(parentRoot, ignoreParentId, Locking.AUTO);
  }

  public ChainOptions {
    if (locking == null) {
      throw new NullPointerException("locking");
    }
  }

  /** These options with {@code locking} instead. */
  public ChainOptions withLocking(Locking locking) {
    return new ChainOptions(parentRoot, ignoreParentId, locking);
  }

  /** Whether these options open the same chains as {@code other} for images on {@code fs}. */
  boolean sameAs(ChainOptions other, FileSystem fs) {
    if (ignoreParentId != other.ignoreParentId) {
      return false;
    }
    if (parentRoot == null || other.parentRoot == null) {
      return parentRoot == other.parentRoot;
    }
    return fs.getPath(parentRoot).toAbsolutePath().normalize()
        .equals(fs.getPath(other.parentRoot).toAbsolutePath().normalize());
  }

  /** The confining directory on {@code fs} as named and as its real path; null for none. */
  Root rootOn(FileSystem fs) throws IOException {
    if (parentRoot == null) {
      return null;
    }
    Path named = fs.getPath(parentRoot).toAbsolutePath().normalize();
    return new Root(named, Files.isDirectory(named) ? named.toRealPath() : named);
  }

  /**
   * The confining directory: a path is inside when it lies under either spelling (the real path
   * may differ, say through a linked {@code /tmp}); real paths are checked against the real one.
   */
  record Root(Path named, Path real) {
    boolean holdsName(Path p) {
      return p.startsWith(named) || p.startsWith(real);
    }

    boolean holdsReal(Path realPath) {
      return realPath.startsWith(real);
    }

    @Override
    public String toString() {
      return named.toString();
    }
  }
}
