package io.vhdfs.disk;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.util.regex.Pattern;

/**
 * A parent's or a root's name as a user or an image gives it: a URI of an installed file system
 * provider ({@code s3://bucket/base.vhd}, {@code jimfs://name/base.vhd}, {@code file:///vm/a.vhd})
 * for an image on another host than the child's, or else a path on the child's own host,
 * relative to a directory.
 *
 * <p>A URI needs a scheme of two characters or more, so a Windows path's drive letter
 * ({@code C:\vm\a.vhd}) stays a path. The {@code vhd} scheme is refused: an image inside an
 * image's disk would open file systems without end.
 */
public final class PathOrUri {
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:.*",
      Pattern.DOTALL);

  private PathOrUri() {}

  /** Whether {@code text} is taken as a URI rather than a path. */
  public static boolean isUri(String text) {
    return SCHEME.matcher(text).matches();
  }

  /**
   * {@code text} as a path: a URI's, through the provider of its scheme, or a path on
   * {@code dir}'s host resolved against {@code dir}.
   *
   * @throws InvalidPathException if it names no path here: a malformed URI, a scheme no
   *     installed provider has or whose file system is not open, or a bad path
   */
  public static Path resolve(String text, Path dir) {
    if (!isUri(text)) {
      return dir.resolve(dir.getFileSystem().getPath(text));
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new InvalidPathException(text, "not a URI: " + e.getReason());
    }
    if (uri.getScheme().equalsIgnoreCase("vhd")) {
      throw new InvalidPathException(text, "an image inside another image's disk is not "
          + "followed as a parent");
    }
    if (FileSystemProvider.installedProviders().stream()
        .noneMatch(p -> p.getScheme().equalsIgnoreCase(uri.getScheme()))) {
      throw new InvalidPathException(text, "no file system provider for scheme "
          + uri.getScheme() + " is installed");
    }
    try {
      return Path.of(uri);
    } catch (FileSystemNotFoundException e) {
      throw new InvalidPathException(text, "its file system is not open");
    } catch (IllegalArgumentException e) {
      throw new InvalidPathException(text, "its provider takes no such URI ("
          + e.getMessage() + ")");
    }
  }
}
