package io.vhdfs.nio;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.format.DiskType;
import io.vhdfs.format.Footer;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** {@link VhdFileAttributes} of one entry, from the image's metadata and the host file's times. */
final class ImageAttributes implements VhdFileAttributes {
  private final DiskInfo info;
  private final BasicFileAttributes host;
  private final boolean directory;
  private final long size;

  /**
   * @param directory whether the entry is the root directory
   * @param size the entry's size: the disk's, a partition's, or 0 for the root
   */
  ImageAttributes(DiskInfo info, BasicFileAttributes host, boolean directory, long size) {
    this.info = info;
    this.host = host;
    this.directory = directory;
    this.size = size;
  }

  @Override
  public FileTime lastModifiedTime() {
    return host.lastModifiedTime();
  }

  @Override
  public FileTime lastAccessTime() {
    return host.lastAccessTime();
  }

  @Override
  public FileTime creationTime() {
    return host.creationTime();
  }

  @Override
  public boolean isRegularFile() {
    return !directory;
  }

  @Override
  public boolean isDirectory() {
    return directory;
  }

  @Override
  public boolean isSymbolicLink() {
    return false;
  }

  @Override
  public boolean isOther() {
    return false;
  }

  @Override
  public long size() {
    return size;
  }

  /** Entries are identified by image and name; two paths to the disk share this key. */
  @Override
  public Object fileKey() {
    return null;
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

  /** The {@code basic} view as a name-to-value map. */
  Map<String, Object> basicMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lastModifiedTime", lastModifiedTime());
    m.put("lastAccessTime", lastAccessTime());
    m.put("creationTime", creationTime());
    m.put("size", size());
    m.put("isRegularFile", isRegularFile());
    m.put("isDirectory", isDirectory());
    m.put("isSymbolicLink", isSymbolicLink());
    m.put("isOther", isOther());
    m.put("fileKey", fileKey());
    return m;
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
