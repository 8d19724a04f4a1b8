package io.vhdfs.nio;

import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.UUID;

/**
 * What an image's footer and header say, with the basic attributes of the disk. Read it with
 * {@code Files.readAttributes(disk, VhdFileAttributes.class)}, or by name with
 * {@code Files.readAttributes(disk, "vhd:*")}; the names are the method names below.
 *
 * <p>{@link #size()} is the virtual size, the times are the host file's.
 */
public interface VhdFileAttributes extends BasicFileAttributes {
  /** {@code fixed}, {@code dynamic} or {@code differencing}. */
  String diskType();

  /** The footer's current-size field, in bytes. */
  long currentSize();

  /** The footer's original-size field, in bytes. */
  long originalSize();

  /** Geometry: cylinders. */
  int cylinders();

  /** Geometry: heads. */
  int heads();

  /** Geometry: sectors per track. */
  int sectorsPerTrack();

  /** Bytes per block of a sparse image; 0 for a fixed image. */
  int blockSize();

  /** The image's unique id. */
  UUID uniqueId();

  /** The parent's unique id for a differencing image, otherwise {@code null}. */
  UUID parentUniqueId();

  /**
   * The real path of a differencing image's parent, as found when the image was opened (the
   * parent name its header records if it was opened without its parent); otherwise {@code null}.
   */
  String parentPath();

  /** The four-character creator application, e.g. {@code "qemu"}, {@code "win "}. */
  String creatorApplication();

  /** The creator version as {@code major.minor}. */
  String creatorVersion();

  /** The creator host OS, e.g. {@code "Wi2k"}. */
  String creatorHostOs();

  /** The footer's time stamp. */
  FileTime timestamp();

  /** Allocated blocks of a sparse image; 0 for a fixed image. */
  long allocatedBlocks();

  /** Whether the footer marks a saved virtual-machine state. */
  boolean savedState();
}
