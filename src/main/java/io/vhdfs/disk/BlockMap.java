package io.vhdfs.disk;

import java.io.IOException;

/**
 * Where a sparse image keeps its blocks and which of their sectors it holds: all a format tells
 * the read path, which {@link SectorMapper} turns into runs for every format alike (VHD's BAT and
 * sector bitmaps, VHDX's BAT states and sector bitmap blocks). The bit order of sector bitmaps,
 * and any cache of them, stay in the format.
 *
 * <p>Implementations are safe for concurrent use. While the image is open a block only gains
 * sectors (an absent block becomes partial or full, a partial one full), except where the format
 * gives blocks back as the disk closes; so an answer, once given, may be out of date only towards
 * more data, which a reader that raced a writer may see either way.
 */
public interface BlockMap {
  /** What a block holds. */
  enum State {
    /** Nothing here: its sectors read from the backing (the parent, or zeros without one). */
    ABSENT,
    /** Zeros, whatever the parent holds there. */
    ZERO,
    /** Every sector, in the image file from {@link #dataOffset} on. */
    FULL,
    /**
     * Some sectors, from {@link #dataOffset} on, as {@link #sectors} says; the others read from
     * the backing. A block that may be full is partial until {@link #sectors} is asked.
     */
    PARTIAL
  }

  /** The block size in bytes: a power of two. */
  int blockSize();

  /** Bytes of a sector, the unit {@link #sectors} counts in: a power of two, at least 512. */
  int sectorSize();

  /** The number of blocks, enough to cover the disk. */
  long blockCount();

  /** What block {@code block} holds; cheap, since a read asks it of every block it touches. */
  State state(long block) throws IOException;

  /** Where block {@code block}'s first byte is in the image file; for full and partial blocks. */
  long dataOffset(long block) throws IOException;

  /**
   * Which sectors of partial block {@code block} the image holds, or {@code null} when it holds
   * them all (it may have filled up since {@link #state} was asked).
   */
  SectorPresence sectors(long block) throws IOException;
}
