package io.vhdfs.vhdx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What {@code vhd info} shows of a VHDX beyond its attribute views: both headers and which is
 * current, the region table, every metadata item, the log's state and the BAT's counts, as they
 * were read at open (through the replayed log where one was replayed in memory).
 *
 * @param headers the two headers, as chosen
 * @param regions the region table used, and what became of the other copy
 * @param metadata the system metadata, with its table
 * @param metadataOffset the metadata region's file offset, to show items' file offsets
 * @param log the log entries replayed in memory; empty for a clean log
 * @param geometry the BAT's shape
 * @param states payload blocks per BAT state, or {@code null} where the table was not counted
 */
record VhdxStructure(HeaderChoice headers, RegionTableChoice regions, VhdxMetadata metadata,
    long metadataOffset, ActiveSequence log, BatGeometry geometry,
    Map<PayloadState, Long> states) {

  /** Payload blocks per state over the whole table (reads every page of it). */
  static Map<PayloadState, Long> count(BatReader bat) throws IOException {
    Map<PayloadState, Long> n = new EnumMap<>(PayloadState.class);
    long blocks = bat.geometry().payloadBlocks();
    for (long b = 0; b < blocks; b++) {
      n.merge(bat.payloadEntry(b).payloadState(), 1L, Long::sum);
    }
    return n;
  }

  /** The description's VHDX part, in a stable order, for text and JSON. */
  Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("currentHeader", headers.slot());
    m.put("headers", headerList());
    m.put("regionTable", regionTable());
    m.put("metadataItems", metadataItems());
    if (metadata.parentLocator().isPresent()) {
      ParentLocator l = metadata.parentLocator().get();
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("locatorType", l.locatorType().toString());
      p.put("entries", new LinkedHashMap<>(l.entries()));
      m.put("parentLocator", p);
    }
    m.put("log", logState());
    m.put("bat", batCounts());
    return m;
  }

  private List<Object> headerList() {
    List<Object> list = new ArrayList<>();
    for (int slot = 1; slot <= 2; slot++) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("slot", slot);
      h.put("offset", slot == 1 ? VhdxHeader.HEADER1_OFFSET : VhdxHeader.HEADER2_OFFSET);
      VhdxHeader header = slot == headers.slot() ? headers.current()
          : headers.other().orElse(null);
      h.put("current", slot == headers.slot());
      if (header == null) {
        h.put("valid", false);
        h.put("problem", headers.otherProblem().orElse("not valid"));
      } else {
        h.put("valid", true);
        h.put("sequenceNumber", Long.toUnsignedString(header.sequenceNumber()));
        h.put("fileWriteGuid", header.fileWriteGuid().toString());
        h.put("dataWriteGuid", header.dataWriteGuid().toString());
        h.put("logGuid", header.logGuid().toString());
        h.put("logVersion", header.logVersion());
        h.put("version", header.version());
        h.put("logOffset", header.logOffset());
        h.put("logLength", header.logLength());
      }
      list.add(h);
    }
    return list;
  }

  private Map<String, Object> regionTable() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("copyUsed", regions.copy());
    t.put("otherCopy", regions.otherProblem().orElse("valid and identical"));
    List<Object> entries = new ArrayList<>();
    for (RegionEntry e : regions.table().entries()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", RegionTable.nameOf(e));
      r.put("guid", e.guid().toString());
      r.put("fileOffset", e.fileOffset());
      r.put("length", e.length());
      r.put("required", e.required());
      entries.add(r);
    }
    t.put("entries", entries);
    return t;
  }

  private List<Object> metadataItems() {
    List<Object> items = new ArrayList<>();
    for (MetadataEntry e : metadata.table().entries()) {
      Map<String, Object> r = new LinkedHashMap<>();
      String name = e.isUser() ? null : VhdxMetadata.knownItemName(e.itemId());
      r.put("name", name != null ? name : e.isUser() ? "user item" : "unknown item");
      r.put("itemId", e.itemId().toString());
      r.put("offset", e.offset());
      r.put("fileOffset", metadataOffset + e.offset());
      r.put("length", e.length());
      r.put("isUser", e.isUser());
      r.put("isVirtualDisk", e.isVirtualDisk());
      r.put("isRequired", e.isRequired());
      Object value = value(e);
      if (value != null) {
        r.put("value", value);
      }
      items.add(r);
    }
    return items;
  }

  /** The decoded value of a known system item. */
  private Object value(MetadataEntry e) {
    if (e.isUser()) {
      return null;
    }
    UUID id = e.itemId();
    if (id.equals(VhdxMetadata.FILE_PARAMETERS)) {
      FileParameters p = metadata.fileParameters();
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("blockSize", p.blockSize());
      v.put("leaveBlocksAllocated", p.leaveBlocksAllocated());
      v.put("hasParent", p.hasParent());
      v.put("flags", String.format("0x%08x", p.flags()));
      return v;
    } else if (id.equals(VhdxMetadata.VIRTUAL_DISK_SIZE)) {
      return metadata.virtualDiskSize();
    } else if (id.equals(VhdxMetadata.VIRTUAL_DISK_ID)) {
      return metadata.virtualDiskId().toString();
    } else if (id.equals(VhdxMetadata.LOGICAL_SECTOR_SIZE)) {
      return metadata.logicalSectorSize();
    } else if (id.equals(VhdxMetadata.PHYSICAL_SECTOR_SIZE)) {
      return metadata.physicalSectorSize();
    }
    return null; // the parent locator is shown whole beside the items
  }

  private Map<String, Object> logState() {
    VhdxHeader h = headers.current();
    Map<String, Object> m = new LinkedHashMap<>();
    UUID zero = new UUID(0, 0);
    if (h.logGuid().equals(zero)) {
      m.put("state", "clean");
    } else if (log.isEmpty()) {
      m.put("state", "dirty, no valid entry: nothing replayed");
    } else {
      m.put("state", "replayed in memory (the file is unchanged)");
    }
    m.put("logGuid", h.logGuid().toString());
    m.put("offset", h.logOffset());
    m.put("length", h.logLength());
    if (!log.isEmpty()) {
      LoggedEntry tail = log.entries().get(0);
      LoggedEntry head = log.head();
      m.put("entriesReplayed", log.entries().size());
      m.put("firstSequenceNumber", Long.toUnsignedString(tail.sequenceNumber()));
      m.put("lastSequenceNumber", Long.toUnsignedString(head.sequenceNumber()));
      m.put("tail", tail.position());
      m.put("head", head.position());
      m.put("flushedFileOffset", head.header().flushedFileOffset());
      m.put("lastFileOffset", head.header().lastFileOffset());
    }
    if (!log.rejected().isEmpty()) {
      m.put("rejected", log.rejected());
    }
    return m;
  }

  private Map<String, Object> batCounts() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("entries", geometry.totalEntries());
    m.put("payloadBlocks", geometry.payloadBlocks());
    m.put("bitmapBlocks", geometry.bitmapBlocks());
    m.put("chunkRatio", geometry.chunkRatio());
    if (states == null) {
      m.put("states", "not counted: the table is larger than "
          + VhdxLayer.COUNTED_ENTRIES + " entries");
    } else {
      Map<String, Object> s = new LinkedHashMap<>();
      for (PayloadState p : PayloadState.values()) {
        s.put(p.name(), states.getOrDefault(p, 0L));
      }
      m.put("states", s);
    }
    return m;
  }
}
