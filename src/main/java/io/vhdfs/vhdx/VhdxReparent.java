package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.WindowsPaths;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Points a differencing VHDX at a parent that moved or was copied: its parent locator item gets
 * the paths {@link VhdxCreator} writes for a new child of that parent ({@code relative_path},
 * {@code absolute_win32_path}); {@code volume_path}, which names the old volume, is dropped, and
 * other keys are kept. {@code parent_linkage} is kept, or with {@code replaceId} becomes the new
 * parent's DataWriteGuid, {@code parent_linkage2} then dropped.
 *
 * <p>Like every metadata change, it goes through the log, in one session ({@link
 * LoggedMetadata}): the item, rewritten in place where it fits or else moved past the last item
 * of the metadata region, and its table entry go into one log entry, so a cut leaves the old item
 * or, once that entry is durable, the new one on every later open. A dirty log is replayed onto
 * the file first. The DataWriteGuid is kept, so the child's own children stay linked, unless the
 * recorded parent id is replaced: the child may then read differently.
 */
final class VhdxReparent {
  private static final int ITEM_ALIGNMENT = 8;

  private VhdxReparent() {}

  /**
   * Rewrites the child in {@code host}, writable, at {@code child}'s path, to name the VHDX at real
   * path {@code parent}, whose current DataWriteGuid is {@code parentDataWriteGuid}.
   */
  static void rewrite(HostFile host, Path child, Path parent, UUID parentDataWriteGuid,
      boolean replaceId) throws IOException {
    String name = host.name();
    HeaderChoice headers = HeaderChoice.read(new HostSource(host));
    if (headers.current().hasLog()) {
      VhdxRepair.replayOnto(host, headers, UUID.randomUUID());
      headers = HeaderChoice.read(new HostSource(host));
    }
    ByteSource source = new HostSource(host);
    RegionTable regions = RegionTableChoice.read(source).table();
    RegionEntry region = regions.metadata();
    VhdxMetadata metadata = VhdxMetadata.read(source, region);
    ParentLocator locator = metadata.parentLocator().orElseThrow(() ->
        new FileSystemException(name, null, "not a differencing image: it has no parent"));
    MetadataTable table = metadata.table();
    int index = -1;
    for (int i = 0; i < table.entries().size(); i++) {
      MetadataEntry e = table.entries().get(i);
      if (!e.isUser() && e.itemId().equals(VhdxMetadata.PARENT_LOCATOR)) {
        index = i;
      }
    }
    MetadataEntry item = table.entries().get(index);

    byte[] value = newLocator(locator, child, parent, parentDataWriteGuid, replaceId).encode();
    long offset = item.offset();
    if (value.length > item.length()) {
      long end = MetadataTable.SIZE;
      for (MetadataEntry e : table.entries()) {
        end = Math.max(end, e.end());
      }
      offset = (end + ITEM_ALIGNMENT - 1) / ITEM_ALIGNMENT * ITEM_ALIGNMENT;
      if (offset + value.length > region.length()) {
        throw new FileSystemException(name, parent.toString(), "the new parent locator ("
            + value.length + " bytes) does not fit in the metadata region, whose items end at "
            + end + " of its " + region.length() + " bytes");
      }
    }

    PendingSectors pending = new PendingSectors(source);
    LoggedMetadata session = new LoggedMetadata(host, pending, HeaderPairWriter.of(host, headers),
        headers.current(), UUID.randomUUID(), !replaceId, false);
    session.start();
    pending.put(region.fileOffset() + offset, value, 0, value.length);
    long entryAt = region.fileOffset() + 32 + (long) index * MetadataEntry.SIZE;
    byte[] place = new byte[8];
    LittleEndian.putInt32(place, 0, (int) offset);
    LittleEndian.putInt32(place, 4, value.length);
    pending.put(entryAt + 16, place, 0, place.length);
    session.close();
  }

  private static ParentLocator newLocator(ParentLocator old, Path child, Path parent,
      UUID parentDataWriteGuid, boolean replaceId) throws IOException {
    String relative = WindowsPaths.relative(child, parent);
    Map<String, String> entries = new LinkedHashMap<>(old.entries());
    entries.remove(ParentLocator.VOLUME_PATH);
    if (replaceId) {
      entries.put(ParentLocator.PARENT_LINKAGE, MsGuid.format(parentDataWriteGuid));
      entries.remove(ParentLocator.PARENT_LINKAGE2);
    }
    if (relative != null) {
      entries.put(ParentLocator.RELATIVE_PATH, relative);
    } else {
      entries.remove(ParentLocator.RELATIVE_PATH);
    }
    entries.put(ParentLocator.ABSOLUTE_WIN32_PATH, WindowsPaths.absolute(parent));
    return new ParentLocator(old.locatorType(), entries);
  }
}
