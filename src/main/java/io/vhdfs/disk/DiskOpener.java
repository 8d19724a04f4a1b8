package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens an image of any format in four steps: finds its format by signature, never by name; has
 * the format open and validate the file on its own ({@link ImageFormat#openLayer}), so a broken
 * child fails on itself rather than on its parent; opens a differencing image's parent chain
 * ({@link ParentChain}), which is the same for every format; and opens the disk over its parent,
 * or over zeros.
 */
public final class DiskOpener {
  private DiskOpener() {}

  /**
   * The format of the image in {@code host}: the first of {@code formats} whose signature it
   * carries, or, where none claims it, the first, which then refuses it in its own words.
   */
  public static ImageFormat formatOf(HostFile host, List<ImageFormat> formats)
      throws IOException {
    for (ImageFormat f : formats) {
      if (f.probe(host)) {
        return f;
      }
    }
    return formats.get(0);
  }

  /**
   * Refuses an image of a format none of {@code formats} opens, naming it, where its signature
   * says which it is; returns for files of no known format, which the default format refuses in
   * its own words.
   */
  private static void refuseForeign(HostFile host, List<ImageFormat> formats)
      throws IOException {
    String foreign = ForeignImages.nameOf(host);
    if (foreign != null) {
      List<String> labels = formats.stream().map(ImageFormat::label).toList();
      String opens = labels.size() == 1 ? labels.get(0)
          : String.join(", ", labels.subList(0, labels.size() - 1)) + " and "
              + labels.get(labels.size() - 1);
      throw new io.vhdfs.VhdFormatException(host.name(), -1, "this is a " + foreign
          + " image; vhd: opens " + opens);
    }
  }

  /**
   * Opens the image file {@code image} for reading, with {@code chain} for a differencing image's
   * parents; the disk owns the host file, which is closed again if the image does not open.
   */
  public static VirtualDisk open(Path image, SizeRule sizeRule, ParentChain chain)
      throws IOException {
    HostFile host = HostFile.openForReading(image, chain.options().cacheSize());
    try {
      return open(host, sizeRule, chain);
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
  }

  /**
   * Opens the image in {@code host}, in one of {@code chain}'s formats, a differencing image with
   * its parents, which come from {@code chain} (none, for {@link ParentChain#detached}). On
   * failure the caller still owns and closes {@code host}.
   */
  public static VirtualDisk open(HostFile host, SizeRule sizeRule, ParentChain chain)
      throws IOException {
    ImageFormat format = formatOf(host, chain.formats());
    boolean claimed = format.probe(host);
    if (!claimed) {
      refuseForeign(host, chain.formats());
    }
    DiskLayer layer;
    try {
      layer = format.openLayer(host, sizeRule, chain::checkTable);
    } catch (io.vhdfs.VhdFormatException e) {
      if (claimed || chain.formats().size() < 2) {
        throw e;
      }
      // No format's signature is there: say so of every format, not only the one asked.
      List<String> others = chain.formats().stream().filter(f -> f != format)
          .map(ImageFormat::label).toList();
      throw new io.vhdfs.VhdFormatException(e.file(), e.offset(), e.problem() + "; nor a "
          + String.join(" or ", others) + " image, whose signature is not there either: a raw "
          + "disk image or another kind of file");
    }
    Backing backing = layer.info().type() == DiskType.DIFFERENCING
        ? chain.openParent(host.name(), layer)
        : Backing.ZEROS;
    try {
      return layer.open(backing);
    } catch (IOException | RuntimeException e) {
      try {
        backing.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }
}
