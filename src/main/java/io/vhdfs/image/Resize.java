package io.vhdfs.image;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.Locking;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.Resized;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Changes an image's virtual size in place, in any format that can ({@code Resize-VHD}). The
 * image is resized on its own: a differencing image's parent is neither needed nor touched, as
 * with Resize-VHD, and reads past the parent's end read zeros.
 */
public final class Resize {
  private Resize() {}

  /**
   * Resizes {@code image} to {@code size} bytes (rounded as its format rounds a new image's
   * size); smaller only with {@code shrink} and only when the range cut off holds no data.
   *
   * @throws FileSystemException if the image is open in this JVM or in use elsewhere, or the
   *     shrink is refused
   */
  public static Resized resize(Path image, long size, boolean shrink, Locking locking)
      throws IOException {
    Path real = image.toRealPath();
    if (OpenDisks.isOpen(real)) {
      // Its open disk holds the footer, header and table in memory and would write them back.
      throw new FileSystemException(image.toString(), null, "open in this JVM: close every file "
          + "system and channel on it before resizing it");
    }
    try (ImageLock.Hold hold = ImageLock.hold(real, locking);
        HostFile host = HostFile.openForReading(real)) {
      ImageFormat format = Formats.of(host);
      format.require(ImageFormat.Capability.RESIZE, host.name());
      return hold.writing(() -> {
        host.enableWrites();
        return format.resize(host, size, shrink, ParentChain.detached(Formats.ALL)::checkTable);
      });
    }
  }
}
