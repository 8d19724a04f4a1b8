package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskView;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageHandle;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The bytes of a disk image that is either an image of one of the {@link Formats} (found by its
 * signature, not its name; read with its parents) or a raw image.
 */
public final class ImageSource implements Closeable {
  private final ImageHandle handle;
  private final VirtualDisk disk;
  private final HostFile raw;
  private final long size;

  private ImageSource(ImageHandle handle, VirtualDisk disk, HostFile raw, long size) {
    this.handle = handle;
    this.disk = disk;
    this.raw = raw;
    this.size = size;
  }

  /** Opens {@code image}'s whole disk for reading. */
  public static ImageSource open(Path image, ChainOptions options) throws IOException {
    return open(image, options, DiskView.WHOLE);
  }

  /**
   * Opens {@code view} of {@code image}'s disk for reading.
   *
   * @throws IOException if the image has no such part, or a part of a raw image is asked for
   */
  public static ImageSource open(Path image, ChainOptions options, DiskView view)
      throws IOException {
    HostFile host = HostFile.openForReading(image, options.cacheSize());
    boolean isImage;
    try {
      isImage = Formats.probe(host) != null;
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
    if (!isImage) {
      if (view != DiskView.WHOLE) {
        host.close();
        throw new FileSystemException(image.toString(), null, "a part of a raw image was asked "
            + "for (a partition), but only the partitions of a VHD's disk are read");
      }
      return new ImageSource(null, null, host, host.size());
    }
    host.close();
    ImageHandle h = Formats.handle(image, SizeRule.AUTO, options);
    try {
      VirtualDisk part = view.select(h.disk(), image);
      return new ImageSource(h, part, null, part.size());
    } catch (IOException | RuntimeException e) {
      h.close();
      throw e;
    }
  }

  /** Whether the file is an image of a format, not a raw image. */
  public boolean isImage() {
    return handle != null;
  }

  /** The image's disk, or the part of it asked for; null for a raw image. */
  public VirtualDisk disk() {
    return disk;
  }

  /** The disk's size in bytes. */
  public long size() {
    return size;
  }

  /** Fills {@code dst} from {@code position}, which with the buffer's room lies inside the disk. */
  public void readFully(ByteBuffer dst, long position) throws IOException {
    if (raw != null) {
      raw.readFully(dst, position);
      return;
    }
    long at = position;
    while (dst.hasRemaining()) {
      int n = disk.read(dst, at);
      if (n < 0) {
        throw new IOException(handle.image() + ": read past the end of the disk at " + at);
      }
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    if (raw != null) {
      raw.close();
    } else {
      handle.close();
    }
  }
}
