package io.vhdfs.nio;

import io.vhdfs.partition.Partition;

/**
 * An entry that exists in an image's file system, as a lookup found it: the root directory, the
 * disk, or a partition.
 *
 * @param directory whether it is the root directory
 * @param partition the partition a {@code /pN} entry is, as the table listed it at the lookup;
 *     {@code null} for the root and the disk
 */
record Entry(boolean directory, Partition partition) {
  /** Whether the entry is a partition. */
  boolean isPartition() {
    return partition != null;
  }
}
