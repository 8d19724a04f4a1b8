package io.vhdfs.disk;

import java.io.IOException;

/**
 * One image file of a format, validated on its own, without its parent: what {@link DiskOpener}
 * needs to open the file and, for a differencing image, its parent chain; and what a tool reads
 * of one file without opening its parents ({@code image.Commit}). A layer reads its host file but
 * does not own it: {@link #open} hands it to the disk; a layer never opened leaves it to whoever
 * opened it.
 */
public interface DiskLayer {
  /** The image's metadata; {@link DiskInfo#parent} is {@code null}, the parent being unopened. */
  DiskInfo info();

  /** Where the image keeps its blocks, or {@code null} for one whose disk lies in place. */
  BlockMap blockMap();

  /**
   * What a differencing image records of its parent, decoded when first asked (it may read the
   * file); {@code null} for other images.
   */
  ParentLink parentLink() throws IOException;

  /**
   * Block-table entries the image holds in memory once open, which its chain's budget counts
   * ({@link TableBudget}).
   */
  long tableEntries();

  /**
   * The disk, reading what the image does not hold from {@code backing}: its parent, found and
   * opened by {@link DiskOpener}, or zeros. The disk takes over the host file and the backing.
   */
  VirtualDisk open(Backing backing) throws IOException;
}
