/**
 * Partition tables on a disk: MBR with its extended partitions, and GPT behind a protective MBR,
 * read leniently (an entry that cannot be trusted is left out and logged); {@code Partition}
 * records, and {@code PartitionDisk}, a window onto the disk that is a disk itself.
 *
 * <p>Design note. Partitions see only the disk's bytes, in the logical sectors the image has, so
 * they work on every format, and a partition is served by the same channel as the whole disk.
 *
 * <p>Import rule: the root and {@code disk}.
 */
package io.vhdfs.partition;
