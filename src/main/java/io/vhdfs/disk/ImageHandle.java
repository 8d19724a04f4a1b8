package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * An image opened for a whole-image operation, with its parents, shared through {@link OpenDisks}
 * with every other user of it in this JVM.
 */
public final class ImageHandle implements Closeable {
  private final Path image;
  private final Path real;
  private final SizeRule sizeRule;
  private final VirtualDisk disk;
  private boolean closed;

  private ImageHandle(Path image, Path real, SizeRule sizeRule, VirtualDisk disk) {
    this.image = image;
    this.real = real;
    this.sizeRule = sizeRule;
    this.disk = disk;
  }

  /**
   * Opens {@code image}, in one of {@code formats} (its parents found and checked with
   * {@code options}).
   */
  public static ImageHandle open(Path image, SizeRule sizeRule, ChainOptions options,
      List<ImageFormat> formats) throws IOException {
    Path real = image.toRealPath();
    VirtualDisk disk = OpenDisks.acquire(real, sizeRule, options, () -> DiskOpener.open(image,
        sizeRule, ParentChain.of(real, options, formats, OpenDisks::acquireParent)));
    return new ImageHandle(image, real, sizeRule, disk);
  }

  /** The image as the caller named it. */
  public Path image() {
    return image;
  }

  /** The open disk. */
  public VirtualDisk disk() {
    return disk;
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      OpenDisks.release(real, sizeRule, disk);
    }
  }
}
