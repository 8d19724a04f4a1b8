package io.vhdfs.vhd;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.VirtualDisk;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every field of an open VHD's footer and header, with its sizes and parent chain, as an ordered
 * map of plain values (strings, numbers, lists, maps), for people and for JSON.
 */
final class VhdDescription {
  private VhdDescription() {}

  /** The description of {@code disk}, whose image file is {@code file}. */
  static Map<String, Object> of(Path file, VirtualDisk disk) {
    DiskInfo info = disk.info();
    VhdFields fields = VhdFields.of(info);
    Footer f = fields.footer();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file.toString());
    m.put("cookie", "conectix");
    m.put("type", f.diskType().label());
    m.put("virtualSize", info.size());
    m.put("hostSize", info.hostSize());
    m.put("currentSize", f.currentSize());
    m.put("originalSize", f.originalSize());
    m.put("geometry", f.geometry().cylinders() + "/" + f.geometry().heads() + "/"
        + f.geometry().sectorsPerTrack());
    m.put("uniqueId", f.uniqueId().toString());
    m.put("timestamp", f.time().toString());
    m.put("creatorApplication", f.creatorApplication());
    m.put("creatorVersion", f.creatorVersionString());
    m.put("creatorHostOs", f.creatorHostOsString());
    m.put("features", hex(f.features()));
    m.put("formatVersion", hex(f.formatVersion()));
    m.put("dataOffset", f.dataOffset());
    m.put("savedState", f.savedState());
    // Verified when the image was opened, so the stored value is the one encoding computes.
    m.put("checksum", hex(ByteBuffer.wrap(f.encode()).getInt(64)));
    DynamicHeader h = fields.header();
    if (h != null) {
      m.put("headerCookie", "cxsparse");
      m.put("headerDataOffset", h.dataOffset());
      m.put("tableOffset", h.tableOffset());
      m.put("maxTableEntries", h.maxTableEntries());
      m.put("blockSize", h.blockSize());
      m.put("headerVersion", hex(h.headerVersion()));
      m.put("headerChecksum", hex(ByteBuffer.wrap(h.encode()).getInt(36)));
      m.put("allocatedBlocks", info.allocatedBlocks());
    }
    if (info.parent() != null || (h != null && !h.parentName().isEmpty())) {
      m.put("parentUniqueId", h.parentUniqueId().toString());
      m.put("parentTimestamp", VhdTime.toInstant(h.parentTimestamp()).toString());
      m.put("parentName", h.parentName());
      List<Map<String, Object>> locators = new ArrayList<>();
      for (ParentLocator l : h.locators()) {
        if (l.isPresent()) {
          Map<String, Object> lm = new LinkedHashMap<>();
          lm.put("platform", l.platformName());
          lm.put("dataOffset", l.dataOffset());
          lm.put("dataLength", l.dataLength());
          lm.put("dataSpace", l.dataSpace());
          locators.add(lm);
        }
      }
      m.put("parentLocators", locators);
    }
    List<String> chain = new ArrayList<>();
    for (Path p : disk.parents()) {
      chain.add(p.toString());
    }
    m.put("parentChain", chain);
    return m;
  }

  private static String hex(int v) {
    return String.format("0x%08x", v);
  }
}
