package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.NewImage;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.PathOrUri;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Creates new images, in the format new images are made in ({@link Formats#forNewImages}): fixed
 * and dynamic ones as the format lays them out, differencing ones over a parent that is opened,
 * with its own chain, and checked first.
 */
public final class Create {
  private Create() {}

  /**
   * Creates {@code image}, which must not exist, as {@code spec} says.
   *
   * @param parent the parent of a differencing image, a path on the image's host resolved, as
   *     qemu-img resolves backing files, against the new image's directory; ignored for others
   * @param options how the parent's own chain is found and checked, and the {@code parentRoot}
   *     the parent must lie in
   * @throws FileAlreadyExistsException if {@code image} exists
   * @throws AccessDeniedException if the parent lies outside {@code parentRoot}
   */
  public static void image(Path image, NewImage spec, String parent, ChainOptions options)
      throws IOException {
    image(image, Formats.forNewImages(), spec, parent, options);
  }

  /**
   * As {@link #image(Path, NewImage, String, ChainOptions)}, in {@code format}.
   *
   * @throws java.nio.file.FileSystemException if {@code format} cannot create images yet
   */
  public static void image(Path image, ImageFormat format, NewImage spec, String parent,
      ChainOptions options) throws IOException {
    if (Files.exists(image, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(image.toString());
    }
    format.require(ImageFormat.Capability.CREATE, image.toString());
    if (spec.type() == DiskType.DIFFERENCING) {
      createChild(format, image, parent, spec.blockSize(), options);
      return;
    }
    format.create(image, spec);
  }

  private static void createChild(ImageFormat format, Path image, String parentName,
      int blockSize, ChainOptions options) throws IOException {
    Path dir = image.toAbsolutePath().getParent();
    Path parent = PathOrUri.resolve(parentName, dir).toRealPath();
    ChainOptions.Root root = options.rootOn(image.getFileSystem());
    if (root != null && !root.holdsReal(parent)) {
      throw new AccessDeniedException(parent.toString(), null,
          "the parent lies outside parentRoot " + root);
    }
    Path child = dir.toRealPath().resolve(image.getFileName());
    ParentChain.Lease lease = Formats.chain(child, options).acquire(image.toString(), parent);
    try (Closeable release = lease.release()) {
      format.createChild(image, parent, lease.disk(), blockSize);
    }
  }
}
