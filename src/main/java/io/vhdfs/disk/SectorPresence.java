package io.vhdfs.disk;

/**
 * Which sectors of one block an image holds, counted from the block's start in the
 * {@link BlockMap#sectorSize sectors} of its map. How the format stores that (VHD: most
 * significant bit first, VHDX: least significant first) is the format's own business.
 */
public interface SectorPresence {
  /** Whether sector {@code sector} of the block is held. */
  boolean isSet(int sector);

  /**
   * The end (exclusive) of the run of sectors from {@code from} on that are held, or not held,
   * alike; at most {@code limit}.
   */
  int runEnd(int from, int limit);
}
