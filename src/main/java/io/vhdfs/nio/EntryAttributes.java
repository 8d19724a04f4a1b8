package io.vhdfs.nio;

import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code basic} attributes every entry of an image shares: the image file's times, the
 * entry's own size and kind. The views of the disk and of a partition add their own names.
 */
abstract class EntryAttributes implements BasicFileAttributes {
  private final BasicFileAttributes host;
  private final boolean directory;
  private final long size;

  /**
   * @param host the image file's attributes
   * @param directory whether the entry is the root directory
   * @param size the entry's size: the disk's, a partition's, or 0 for the root
   */
  EntryAttributes(BasicFileAttributes host, boolean directory, long size) {
    this.host = host;
    this.directory = directory;
    this.size = size;
  }

  @Override
  public final FileTime lastModifiedTime() {
    return host.lastModifiedTime();
  }

  @Override
  public final FileTime lastAccessTime() {
    return host.lastAccessTime();
  }

  @Override
  public final FileTime creationTime() {
    return host.creationTime();
  }

  @Override
  public final boolean isRegularFile() {
    return !directory;
  }

  @Override
  public final boolean isDirectory() {
    return directory;
  }

  @Override
  public final boolean isSymbolicLink() {
    return false;
  }

  @Override
  public final boolean isOther() {
    return false;
  }

  @Override
  public final long size() {
    return size;
  }

  /** Entries are identified by image and name; two paths to one entry share this key. */
  @Override
  public final Object fileKey() {
    return null;
  }

  /** The {@code basic} view as a name-to-value map, in the JDK's order. */
  final Map<String, Object> basicMap() {
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
}
