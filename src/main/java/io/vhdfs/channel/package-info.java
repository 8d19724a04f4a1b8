/**
 * {@code DiskChannel}, a {@code FileChannel} over a virtual disk: position, bounds, open modes,
 * interrupts, asynchronous close and byte-range locks, as the JDK's channels behave; every
 * transfer is the disk's.
 *
 * <p>Design note. A channel keeps per-channel state over a disk that all channels of an image
 * share, as Jimfs's channel does over its file, so it works for any format and for a partition,
 * which is a disk too.
 *
 * <p>Import rule: the root and {@code disk}.
 */
package io.vhdfs.channel;
