package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.SizeRule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Checks an image's structure, in whatever format its signature names, and with {@code repair}
 * repairs what is safe to repair. The checking is the format's ({@link ImageFormat#check}); a
 * differencing image's parent is looked for and opened in its chain as opening it would.
 */
public final class Check {
  private Check() {}

  /**
   * Checks {@code image} and, with {@code repair}, repairs what is safe to repair.
   *
   * @param options how a differencing image's parent is found and checked
   * @param progress told how much of the block table has been checked
   * @return every finding, in the order found; empty for a sound image
   * @throws io.vhdfs.VhdFormatException if the file is no image at all (no format claims it)
   * @throws java.nio.file.FileSystemException if a repair is asked for while the image is open in
   *     this JVM, or the format cannot repair yet
   * @throws java.nio.file.AccessDeniedException if a repair is needed but the file is read-only
   */
  public static List<Finding> image(Path image, boolean repair, SizeRule sizeRule,
      ChainOptions options, ProgressListener progress) throws IOException {
    Path real = image.toRealPath();
    ImageFormat format;
    try (HostFile host = HostFile.openForReading(image)) {
      format = Formats.of(host);
    }
    if (repair) {
      format.require(ImageFormat.Capability.REPAIR, image.toString());
    }
    return format.check(image, repair, sizeRule, Formats.chain(real, options), progress);
  }
}
