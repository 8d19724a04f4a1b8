package io.vhdfs.nio;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.vhd.DiskType;
import io.vhdfs.vhd.Footer;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.UUID;

/** {@link VhdFileAttributes} of one entry, from the image's metadata and the host file's times. */
final class ImageAttributes extends EntryAttributes implements VhdFileAttributes {
  private final DiskInfo info;

  /**
   * @param directory whether the entry is the root directory
   * @param size the entry's size: the disk's, a partition's, or 0 for the root
   */
  ImageAttributes(DiskInfo info, BasicFileAttributes host, boolean directory, long size) {
    super(host, directory, size);
    this.info = info;
  }

  private Footer footer() {
    return info.footer();
  }

  @Override
  public String diskType() {
    return footer().diskType().label();
  }

  @Override
  public long currentSize() {
    return footer().currentSize();
  }

  @Override
  public long originalSize() {
    return footer().originalSize();
  }

  @Override
  public int cylinders() {
    return footer().geometry().cylinders();
  }

  @Override
  public int heads() {
    return footer().geometry().heads();
  }

  @Override
  public int sectorsPerTrack() {
    return footer().geometry().sectorsPerTrack();
  }

  @Override
  public int blockSize() {
    return info.header() == null ? 0 : info.header().blockSize();
  }

  @Override
  public UUID uniqueId() {
    return footer().uniqueId();
  }

  private boolean isChild() {
    return footer().diskType() == DiskType.DIFFERENCING;
  }

  @Override
  public UUID parentUniqueId() {
    return isChild() ? info.header().parentUniqueId() : null;
  }

  @Override
  public String parentPath() {
    if (!isChild()) {
      return null;
    }
    return info.parent() != null ? info.parent().toString() : info.header().parentName();
  }

  @Override
  public String creatorApplication() {
    return footer().creatorApplication();
  }

  @Override
  public String creatorVersion() {
    return footer().creatorVersionString();
  }

  @Override
  public String creatorHostOs() {
    return footer().creatorHostOsString();
  }

  @Override
  public FileTime timestamp() {
    return FileTime.from(footer().time());
  }

  @Override
  public long allocatedBlocks() {
    return info.allocatedBlocks();
  }

  @Override
  public boolean savedState() {
    return footer().savedState() != 0;
  }

  /** The {@code vhd} view as a name-to-value map: the basic names plus the image's own. */
  Map<String, Object> vhdMap() {
    Map<String, Object> m = basicMap();
    m.put("diskType", diskType());
    m.put("currentSize", currentSize());
    m.put("originalSize", originalSize());
    m.put("cylinders", cylinders());
    m.put("heads", heads());
    m.put("sectorsPerTrack", sectorsPerTrack());
    m.put("blockSize", blockSize());
    m.put("uniqueId", uniqueId());
    m.put("parentUniqueId", parentUniqueId());
    m.put("parentPath", parentPath());
    m.put("creatorApplication", creatorApplication());
    m.put("creatorVersion", creatorVersion());
    m.put("creatorHostOs", creatorHostOs());
    m.put("timestamp", timestamp());
    m.put("allocatedBlocks", allocatedBlocks());
    m.put("savedState", savedState());
    return m;
  }
}
