package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a differencing image's parents are opened.
 *
 * @param parentRoot a directory outside of which no parent is opened: a path on the child's host
 *     or a URI ({@link PathOrUri}) of a directory, or bucket prefix, on another host; {@code
 *     null} for no limit
 * @param ignoreParentId whether a parent whose unique id differs from the one the child records
 *     is accepted
 * @param locking how the images, the child's and its parents', take part in QEMU's locking
 * @param parent the parent of the image opened, in place of the places the image records: a path
 *     from the image's directory or a URI ({@link PathOrUri}); its parents are found as they
 *     record them. {@code null} to look where the image says
 * @param cacheSize bytes of each image's file held in memory where its host has no {@code
 *     FileChannel} ({@link HostFile#openForReading(Path, long)}); 0 for none
 */
public record ChainOptions(String parentRoot, boolean ignoreParentId, Locking locking,
    String parent, long cacheSize) {
  /** No confinement, ids must match, locks where the host has them. */
  public static final ChainOptions DEFAULT = new ChainOptions(null, false);
  /** The cache of an image on a host without a {@code FileChannel}, unless the env says. */
  public static final long DEFAULT_CACHE_SIZE = PieceCache.DEFAULT_CAPACITY;

  /** Options with {@link Locking#AUTO}. */
  public ChainOptions(String parentRoot, boolean ignoreParentId) {
    this(parentRoot, ignoreParentId, Locking.AUTO, null, DEFAULT_CACHE_SIZE);
  }

  /** Options that look for the parent where the image says, with the default cache. */
  public ChainOptions(String parentRoot, boolean ignoreParentId, Locking locking) {
    this(parentRoot, ignoreParentId, locking, null, DEFAULT_CACHE_SIZE);
  }

  public ChainOptions {
    if (locking == null) {
      throw new NullPointerException("locking");
    }
  }

  /** These options with {@code locking} instead. */
  public ChainOptions withLocking(Locking locking) {
    return new ChainOptions(parentRoot, ignoreParentId, locking, parent, cacheSize);
  }

  /** Whether these options open the same chains as {@code other} for images on {@code fs}. */
  boolean sameAs(ChainOptions other, FileSystem fs) {
    if (ignoreParentId != other.ignoreParentId || !Objects.equals(parent, other.parent)
        || cacheSize != other.cacheSize) {
      return false;
    }
    if (parentRoot == null || other.parentRoot == null) {
      return parentRoot == other.parentRoot;
    }
    if (PathOrUri.isUri(parentRoot) || PathOrUri.isUri(other.parentRoot)) {
      return parentRoot.equals(other.parentRoot);
    }
    return fs.getPath(parentRoot).toAbsolutePath().normalize()
        .equals(fs.getPath(other.parentRoot).toAbsolutePath().normalize());
  }

  /**
   * The confining directory as named and as its real path, for a child on {@code fs}: a path
   * there, or a URI's on its own host (a parent on any other host is outside); null for none.
   */
  public Root rootOn(FileSystem fs) throws IOException {
    if (parentRoot == null) {
      return null;
    }
    Path named;
    try {
      named = PathOrUri.isUri(parentRoot)
          ? PathOrUri.resolve(parentRoot, fs.getPath("")).toAbsolutePath().normalize()
          : fs.getPath(parentRoot).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("env key 'parentRoot': " + e.getMessage(), e);
    }
    return new Root(named, Files.isDirectory(named) ? named.toRealPath() : named);
  }

  /**
   * The confining directory: a path is inside when it lies under either spelling (the real path
   * may differ, say through a linked {@code /tmp}); real paths are checked against the real one.
   */
  public record Root(Path named, Path real) {
    /** Whether {@code p}, as named, lies inside. */
    public boolean holdsName(Path p) {
      return p.startsWith(named) || p.startsWith(real);
    }

    /** Whether {@code realPath}, a real path, lies inside. */
    public boolean holdsReal(Path realPath) {
      return realPath.startsWith(real);
    }

    @Override
    public String toString() {
      return named.toString();
    }
  }
}
