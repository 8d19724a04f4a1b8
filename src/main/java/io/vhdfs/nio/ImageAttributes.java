package io.vhdfs.nio;

import io.vhdfs.disk.DiskInfo;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.UUID;

/**
 * {@link VhdFileAttributes} of one entry, from the image's metadata and the host file's times. The
 * {@code vhd} view's values come from the image's format ({@link DiskInfo#view}), so this class
 * knows no format; one that shows no such view reads as empty.
 */
final class ImageAttributes extends EntryAttributes implements VhdFileAttributes {
  /** The name of the view {@link VhdFileAttributes} shows. */
  static final String VHD_VIEW = "vhd";

  private final DiskInfo info;
  private final Map<String, Object> vhd;

  /**
   * @param directory whether the entry is the root directory
   * @param size the entry's size: the disk's, a partition's, or 0 for the root
   */
  ImageAttributes(DiskInfo info, BasicFileAttributes host, boolean directory, long size) {
    super(host, directory, size);
    this.info = info;
    Map<String, Object> view = info.view(VHD_VIEW);
    this.vhd = view == null ? Map.of() : view;
  }

  @Override
  public String diskType() {
    return (String) vhd.get("diskType");
  }

  @Override
  public long currentSize() {
    return number("currentSize");
  }

  @Override
  public long originalSize() {
    return number("originalSize");
  }

  @Override
  public int cylinders() {
    return (int) number("cylinders");
  }

  @Override
  public int heads() {
    return (int) number("heads");
  }

  @Override
  public int sectorsPerTrack() {
    return (int) number("sectorsPerTrack");
  }

  @Override
  public int blockSize() {
    return (int) number("blockSize");
  }

  @Override
  public UUID uniqueId() {
    return (UUID) vhd.get("uniqueId");
  }

  @Override
  public UUID parentUniqueId() {
    return (UUID) vhd.get("parentUniqueId");
  }

  @Override
  public String parentPath() {
    return (String) vhd.get("parentPath");
  }

  @Override
  public String creatorApplication() {
    return (String) vhd.get("creatorApplication");
  }

  @Override
  public String creatorVersion() {
    return (String) vhd.get("creatorVersion");
  }

  @Override
  public String creatorHostOs() {
    return (String) vhd.get("creatorHostOs");
  }

  @Override
  public FileTime timestamp() {
    return (FileTime) vhd.get("timestamp");
  }

  @Override
  public long allocatedBlocks() {
    return number("allocatedBlocks");
  }

  @Override
  public boolean savedState() {
    return Boolean.TRUE.equals(vhd.get("savedState"));
  }

  private long number(String name) {
    Object v = vhd.get(name);
    return v == null ? 0 : ((Number) v).longValue();
  }

  /**
   * View {@code view} as a name-to-value map, the basic names first, or {@code null} where the
   * image's format shows no such view.
   */
  Map<String, Object> viewMap(String view) {
    Map<String, Object> own = info.view(view);
    if (own == null) {
      return null;
    }
    Map<String, Object> m = basicMap();
    m.putAll(own);
    return m;
  }
}
