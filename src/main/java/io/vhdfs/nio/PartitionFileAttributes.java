package io.vhdfs.nio;

import io.vhdfs.partition.Partition;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.UUID;

/** {@link PartitionAttributes} of one partition entry, with the image file's times. */
final class PartitionFileAttributes extends EntryAttributes implements PartitionAttributes {
  private final Partition partition;

  PartitionFileAttributes(Partition partition, BasicFileAttributes host) {
    super(host, false, partition.size());
    this.partition = partition;
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
    Map<String, Object> m = basicMap();
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
