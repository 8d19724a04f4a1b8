package io.vhdfs.vhdx;

import io.vhdfs.disk.DiskInfo;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A VHDX's own fields, carried by its {@link DiskInfo}: the creator, the current header, the
 * metadata, and whether a dirty log was replayed (in memory) to read it. They show in the
 * {@code vhdx} attribute view, and the fields VHD's view has a VHDX equivalent of in the
 * {@code vhd} view.
 *
 * @param creator the file identifier's creator string
 * @param header the current header
 * @param metadata the system metadata
 * @param logEntriesReplayed log entries replayed in memory; 0 for a clean log
 * @param structure every structure as read, for {@code vhd info}
 */
record VhdxFields(String creator, VhdxHeader header, VhdxMetadata metadata,
    int logEntriesReplayed, VhdxStructure structure) implements DiskInfo.Fields {

  @Override
  public Map<String, Object> view(String view, DiskInfo info) {
    if (view.equals(VhdxFormat.INSTANCE.name())) {
      return vhdxView(info);
    }
    if (view.equals("vhd")) {
      return vhdView(info);
    }
    return null;
  }

  private Map<String, Object> vhdxView(DiskInfo info) {
    BatGeometry g = metadata.batGeometry();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("diskType", info.type().label());
    m.put("virtualSize", metadata.virtualDiskSize());
    m.put("blockSize", metadata.fileParameters().blockSize());
    m.put("logicalSectorSize", metadata.logicalSectorSize());
    m.put("physicalSectorSize", metadata.physicalSectorSize());
    m.put("chunkRatio", g.chunkRatio());
    m.put("allocatedBlocks", info.allocatedBlocks());
    m.put("virtualDiskId", metadata.virtualDiskId());
    m.put("fileWriteGuid", header.fileWriteGuid());
    m.put("dataWriteGuid", header.dataWriteGuid());
    m.put("logGuid", header.logGuid());
    m.put("logReplayed", logEntriesReplayed > 0);
    m.put("creator", creator);
    m.put("parentLinkage", metadata.parentLocator().map(ParentLocator::parentLinkage)
        .orElse(null));
    m.put("parentPath", parentPath(info));
    return m;
  }

  /** VHD's view where a VHDX has the same thing; what it has not (geometry, times) is absent. */
  private Map<String, Object> vhdView(DiskInfo info) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("diskType", info.type().label());
    m.put("currentSize", metadata.virtualDiskSize());
    m.put("blockSize", metadata.fileParameters().blockSize());
    m.put("uniqueId", header.dataWriteGuid());
    m.put("parentUniqueId", metadata.parentLocator().map(ParentLocator::parentLinkage)
        .orElse(null));
    m.put("parentPath", parentPath(info));
    m.put("creatorApplication", creator);
    m.put("allocatedBlocks", info.allocatedBlocks());
    return m;
  }

  private String parentPath(DiskInfo info) {
    if (metadata.parentLocator().isEmpty()) {
      return null;
    }
    if (info.parent() != null) {
      return info.parent().toString();
    }
    return metadata.parentLocator().get().parentPaths().stream().findFirst().orElse(null);
  }
}
