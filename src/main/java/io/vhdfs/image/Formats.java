package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskOpener;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.ImageHandle;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.vhd.VhdFormat;
import io.vhdfs.vhdx.VhdxFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The image formats there are, listed once, above them all: a file's format is the first of
 * {@link #ALL} whose signature it carries, never the one its name suggests. A new format is
 * added to {@link #ALL}, and the engine ({@code DiskOpener}, parent chains, the read path) and
 * every tool here then open it.
 */
public final class Formats {
  /**
   * Every format, in the order files are probed. The first is the default: it makes new images,
   * and refuses, in its own words, a file no format claims.
   */
  public static final List<ImageFormat> ALL =
      List.of(VhdFormat.INSTANCE, VhdxFormat.INSTANCE);

  private Formats() {}

  /** The format new images are made in when nothing says otherwise. */
  public static ImageFormat forNewImages() {
    return ALL.get(0);
  }

  /**
   * The format a new image {@code image} is made in: the one named {@code name}, or with none,
   * the one its file name's extension names ({@code .vhdx}), else the default.
   *
   * @return {@code null} if no format has the name {@code name}
   */
  public static ImageFormat forNewImage(Path image, String name) {
    if (name == null) {
      Path file = image.getFileName();
      String ext = file == null ? "" : file.toString().toLowerCase(java.util.Locale.ROOT);
      for (ImageFormat f : ALL) {
        if (ext.endsWith("." + f.name())) {
          return f;
        }
      }
      return forNewImages();
    }
    for (ImageFormat f : ALL) {
      if (f.name().equalsIgnoreCase(name)) {
        return f;
      }
    }
    return null;
  }

  /** The format whose signature {@code host} carries, or {@code null} for none (a raw image). */
  public static ImageFormat probe(HostFile host) throws IOException {
    for (ImageFormat f : ALL) {
      if (f.probe(host)) {
        return f;
      }
    }
    return null;
  }

  /** Whether the file {@code image} carries any format's signature. */
  public static boolean isImage(Path image) throws IOException {
    try (HostFile host = HostFile.openForReading(image)) {
      return probe(host) != null;
    }
  }

  /** The format of {@code host}: the one it carries the signature of, else the default. */
  public static ImageFormat of(HostFile host) throws IOException {
    return DiskOpener.formatOf(host, ALL);
  }

  /**
   * The chain of the image at real path {@code image}: parents in any format, found and checked
   * with {@code options}, shared through {@link OpenDisks} with every other user in this JVM.
   */
  public static ParentChain chain(Path image, ChainOptions options) {
    return ParentChain.of(image, options, ALL, OpenDisks::acquireParent);
  }

  /** Opens {@code image} with its parents ({@link #chain}), shared through {@link OpenDisks}. */
  public static ImageHandle handle(Path image, SizeRule sizeRule, ChainOptions options)
      throws IOException {
    return ImageHandle.open(image, sizeRule, options, ALL);
  }

  /**
   * Opens the image in {@code image} on its own, unshared: a differencing image without its
   * parents, for its metadata and its own sectors.
   */
  public static VirtualDisk openAlone(Path image, SizeRule sizeRule) throws IOException {
    return DiskOpener.open(image, sizeRule, ParentChain.detached(ALL));
  }

  /**
   * As {@link #openAlone(Path, SizeRule)}, on a host file the disk then owns; on failure the
   * caller still owns and closes it.
   */
  public static VirtualDisk openAlone(HostFile host, SizeRule sizeRule) throws IOException {
    return DiskOpener.open(host, sizeRule, ParentChain.detached(ALL));
  }
}
