package io.vhdfs.disk;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * A snapshot of an image's metadata in terms every format has, and the format's own fields for
 * the few who read them (the format itself, attribute views).
 *
 * @param format the image's format
 * @param type the disk type
 * @param size the visible size in bytes
 * @param sectorSize the logical sector size in bytes, which partition tables count in
 * @param blockSize the block size in bytes, or 0 for an image without blocks (fixed VHD)
 * @param allocatedBlocks blocks the image holds data for (0 for an image without blocks; -1
 *     where counting them would read a table too large to read at open, as a 64 TiB VHDX's)
 * @param hostSize the image file's length
 * @param parent the real path of a differencing image's parent, or {@code null} for other
 *     images and for a child opened without its parent
 * @param linkId the id a child records of this image as its parent (VHD: the unique id; VHDX:
 *     the DataWriteGuid)
 * @param fields the format's own fields
 */
public record DiskInfo(ImageFormat format, DiskType type, long size, int sectorSize,
    int blockSize, long allocatedBlocks, long hostSize, Path parent, UUID linkId,
    Fields fields) {

  /**
   * The fields a format records beyond the common ones, read by the format itself (through its
   * own type) and shown in attribute views.
   */
  public interface Fields {
    /**
     * The attributes of view {@code view} (its own names, without {@code basic}'s), in a stable
     * order, or {@code null} where the format shows no such view.
     *
     * @param info the snapshot these fields belong to, for the common values a view repeats
     */
    Map<String, Object> view(String view, DiskInfo info);
  }

  /** The attributes of view {@code view}, or {@code null} where the format shows none. */
  public Map<String, Object> view(String view) {
    return fields.view(view, this);
  }

  /** This snapshot with {@code parent} as the parent's real path. */
  public DiskInfo withParent(Path parent) {
    return new DiskInfo(format, type, size, sectorSize, blockSize, allocatedBlocks, hostSize,
        parent, linkId, fields);
  }

  /** This snapshot with {@code allocatedBlocks} and {@code hostSize} as they are now. */
  public DiskInfo withUsage(long allocatedBlocks, long hostSize) {
    return new DiskInfo(format, type, size, sectorSize, blockSize, allocatedBlocks, hostSize,
        parent, linkId, fields);
  }
}
