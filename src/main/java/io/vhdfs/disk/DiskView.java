package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What part of an opened image a whole-image operation (convert, compare, map) works on: its
 * whole disk, or a window of it such as a partition. Chosen by the layer that knows partitions,
 * applied here to the disk the image opened as.
 */
@FunctionalInterface
public interface DiskView {
  /** The whole disk. */
  DiskView WHOLE = (disk, image) -> disk;

  /**
   * The part of {@code disk}, the disk of {@code image}, to work on; shares the disk and needs it
   * open.
   *
   * @throws IOException if the image has no such part
   */
  VirtualDisk select(VirtualDisk disk, Path image) throws IOException;
}
