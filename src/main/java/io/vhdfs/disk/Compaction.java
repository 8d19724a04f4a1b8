package io.vhdfs.disk;

/**
 * What compacting an image did: which blocks it gave back, which it moved down into the room
 * they left, and by how much the file shrank.
 *
 * @param blocksUnmapped blocks whose table entries no longer point into the file: they held only
 *     zeros, or (against the parent) only what the parent reads there
 * @param blocksMoved blocks copied to a lower place in the file
 * @param oldSize the file's length before, in bytes
 * @param newSize the file's length after, in bytes
 */
public record Compaction(long blocksUnmapped, long blocksMoved, long oldSize, long newSize) {
  /** Bytes the file shrank by. */
  public long bytesReclaimed() {
    return oldSize - newSize;
  }
}
