package io.vhdfs.disk;

/**
 * What a new fixed or dynamic image is to be, from the env of {@code newFileSystem}; a
 * differencing image takes its size from its parent and is made from the parent's open disk.
 *
 * @param type the disk type
 * @param size the requested virtual size in bytes (a format may round it up)
 * @param blockSize the block size of a sparse image
 * @param exactSize whether the size is kept to the byte rather than rounded as the format's
 *     usual writers round it
 * @param logicalSectorSize the logical sector size asked for, or 0 for the format's own
 * @param physicalSectorSize the physical sector size asked for, or 0 for the format's own
 */
public record NewImage(DiskType type, long size, int blockSize, boolean exactSize,
    int logicalSectorSize, int physicalSectorSize) {
  /** A new image with the format's own sector sizes. */
  public NewImage(DiskType type, long size, int blockSize, boolean exactSize) {
    this(type, size, blockSize, exactSize, 0, 0);
  }

  /**
   * Why a format cannot make an image: the env key at fault and what it expects instead.
   *
   * @param key the env key ({@link io.vhdfs.VhdEnv})
   * @param expected what would do, for the message: "at most 2040 GiB"
   */
  public record Refusal(String key, String expected) {}
}
