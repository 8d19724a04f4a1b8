package io.vhdfs.vhd;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskType;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A VHD's own fields, carried by its {@link DiskInfo}: the footer in use and, for a sparse image,
 * the dynamic header. They show in the {@code vhd} attribute view.
 *
 * @param footer the footer in use
 * @param header the dynamic header, or {@code null} for a fixed image
 */
record VhdFields(Footer footer, DynamicHeader header) implements DiskInfo.Fields {
  /** The fields of {@code info}, which must be a VHD's. */
  static VhdFields of(DiskInfo info) {
    if (!(info.fields() instanceof VhdFields f)) {
      throw new IllegalArgumentException("not a VHD image: " + info.format().name());
    }
    return f;
  }

  /** The {@code vhd} view; no other. */
  @Override
  public Map<String, Object> view(String view, DiskInfo info) {
    if (!view.equals(VhdFormat.INSTANCE.name())) {
      return null;
    }
    boolean child = footer.diskType() == DiskType.DIFFERENCING;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("diskType", footer.diskType().label());
    m.put("currentSize", footer.currentSize());
    m.put("originalSize", footer.originalSize());
    m.put("cylinders", footer.geometry().cylinders());
    m.put("heads", footer.geometry().heads());
    m.put("sectorsPerTrack", footer.geometry().sectorsPerTrack());
    m.put("blockSize", header == null ? 0 : header.blockSize());
    m.put("uniqueId", footer.uniqueId());
    m.put("parentUniqueId", child ? header.parentUniqueId() : null);
    m.put("parentPath", !child ? null
        : info.parent() != null ? info.parent().toString() : header.parentName());
    m.put("creatorApplication", footer.creatorApplication());
    m.put("creatorVersion", footer.creatorVersionString());
    m.put("creatorHostOs", footer.creatorHostOsString());
    m.put("timestamp", FileTime.from(footer.time()));
    m.put("allocatedBlocks", info.allocatedBlocks());
    m.put("savedState", footer.savedState() != 0);
    return m;
  }
}
