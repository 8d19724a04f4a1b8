package io.vhdfs.nio;

import io.vhdfs.partition.Partition;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** {@link PartitionAttributes} of one partition entry, with the image file's times. */
final class PartitionFileAttributes implements PartitionAttributes {
  private final Partition partition;
  private final BasicFileAttributes host;

  PartitionFileAttributes(Partition partition, BasicFileAttributes host) {
    this.partition = partition;
    this.host = host;
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
    return true;
  }

  @Override
  public boolean isDirectory() {
    return false;
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
    return partition.size();
  }

  /** Entries are identified by image and name, as the disk is. */
  @Override
  public Object fileKey() {
    return null;
  }

  @Override
  public int number() {
    return partition.number();
  }

  @Override
  public String scheme() {
    return partition.scheme().label();
  }

  @Override
  public long start() {
    return partition.start();
  }

  @Override
  public String type() {
    return partition.type();
  }

  @Override
  public String name() {
    return partition.name();
  }

  @Override
  public UUID uuid() {
    return partition.uuid();
  }

  @Override
  public boolean bootable() {
    return partition.bootable();
  }

  @Override
  public long attributes() {
    return partition.attributes();
  }

  /** The {@code partition} view as a name-to-value map: the basic names plus the partition's. */
  Map<String, Object> toMap() {
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
    m.put("number", number());
    m.put("scheme", scheme());
    m.put("start", start());
    m.put("type", type());
    m.put("name", name());
    m.put("uuid", uuid());
    m.put("bootable", bootable());
    m.put("attributes", attributes());
    return m;
  }
}
