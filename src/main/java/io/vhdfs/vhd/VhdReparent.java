package io.vhdfs.vhd;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Points a differencing VHD at a parent that moved or was copied: its parent locators become the
 * ones {@link VhdCreator} writes for a new child of that parent (and a {@code MacX} file URL
 * where the child had one), the header's parent name its
 * file name and the recorded parent time the parent footer's time stamp; with {@code replaceId},
 * the recorded parent unique id becomes the new parent's too.
 *
 * <p>Write order. Each new locator's data goes into the space an old locator reserved, where it
 * fits (the first free sectors of the same platform's space first). That data is written and
 * forced before the header that names it, which is one 1024-byte write, forced: a cut before the
 * header leaves the old header, whose locators may then name the new path (or a prefix of it)
 * and find the new parent, whose unique id is checked, or find nothing; never another disk.
 * Where the data does not fit, it goes where the footer is: a new footer is first written past
 * it and forced, so the file always ends in a footer, then the data over the old footer, forced,
 * then the header. New blocks go where the footer is, so they come after the data.
 */
final class VhdReparent {
  private VhdReparent() {}

  /**
   * Rewrites the child in {@code host}, writable, at {@code child}'s path, to name the parent at
   * real path {@code parent}, open as {@code parentInfo}.
   */
  static void rewrite(HostFile host, Path child, Path parent, DiskInfo parentInfo,
      boolean replaceId) throws IOException {
    String name = host.name();
    long length = host.size();
    LocatedFooter located = FooterLocator.locate(host, length);
    Footer footer = located.footer();
    if (!located.atEnd() || located.offset() != length - Footer.SIZE) {
      throw new FileSystemException(name, null, "its footer is not in the file's last 512 "
          + "bytes: run 'vhd check --repair' first");
    }
    if (footer.diskType() != DiskType.DIFFERENCING) {
      throw new FileSystemException(name, null, "not a differencing image: it has no parent");
    }
    long headerAt = footer.dataOffset();
    DynamicHeader header = DynamicHeader.decode(host.readBytes(headerAt, DynamicHeader.SIZE), 0,
        name, headerAt);
    String parentName = parent.getFileName().toString();
    if (parentName.length() > 256) {
      throw new FileSystemException(name, parent.toString(), "parent file name longer than the "
          + "256 UTF-16 units the header holds");
    }
    Footer parentFooter = VhdFields.of(parentInfo).footer();
    List<VhdCreator.LocatorData> data = new ArrayList<>(VhdCreator.parentLocators(child, parent));
    boolean hadMacX = header.locators().stream()
        .anyMatch(l -> l.platformCode() == ParentLocator.MACX);
    if (hadMacX && data.stream().noneMatch(d -> d.code() == ParentLocator.MACX)) {
      // Whoever wrote the child wanted a file URL too (blktap reads only that): keep one.
      data.add(new VhdCreator.LocatorData(ParentLocator.MACX,
          ParentLocator.fileUrlData(parent.toAbsolutePath().toString())));
    }

    // Space the old locators reserved, inside the file and before the footer, is reused.
    List<ParentLocator> old = header.locators();
    boolean[] taken = new boolean[old.size()];
    List<ParentLocator> placed = new ArrayList<>();
    List<VhdCreator.LocatorData> appended = new ArrayList<>();
    for (VhdCreator.LocatorData d : data) {
      int slot = slotFor(d, old, taken, located.offset());
      if (slot < 0) {
        appended.add(d);
        placed.add(null);
      } else {
        taken[slot] = true;
        ParentLocator o = old.get(slot);
        placed.add(new ParentLocator(d.code(), o.dataSpace(), d.bytes().length, o.dataOffset()));
      }
    }
    long footerAt = located.offset();
    long appendAt = footerAt;
    for (int i = 0; i < data.size(); i++) {
      if (placed.get(i) == null) {
        VhdCreator.LocatorData d = data.get(i);
        placed.set(i, new ParentLocator(d.code(), d.space(), d.bytes().length, appendAt));
        appendAt += d.space();
      }
    }
    List<ParentLocator> locators = new ArrayList<>(placed);
    while (locators.size() < DynamicHeader.LOCATOR_COUNT) {
      locators.add(ParentLocator.EMPTY);
    }
    UUID parentId = replaceId ? parentFooter.uniqueId() : header.parentUniqueId();
    DynamicHeader updated = new DynamicHeader(header.dataOffset(), header.tableOffset(),
        header.headerVersion(), header.maxTableEntries(), header.blockSize(), parentId,
        parentFooter.timestamp(), parentName, locators);

    if (appendAt > footerAt) {
      // The footer moves first, so the file ends in one at every step.
      host.write(located.raw(), appendAt);
      host.force(true);
    }
    for (int i = 0; i < data.size(); i++) {
      ParentLocator l = placed.get(i);
      byte[] padded = new byte[(int) l.reservedBytes()];
      byte[] bytes = data.get(i).bytes();
      System.arraycopy(bytes, 0, padded, 0, bytes.length);
      host.write(padded, l.dataOffset());
    }
    host.force(false);
    host.write(updated.encode(), headerAt);
    host.force(false);
  }

  /**
   * The old locator whose space takes {@code d}: unused by another new locator, inside the file
   * before the footer, big enough, of the same platform if one is; -1 for none.
   */
  private static int slotFor(VhdCreator.LocatorData d, List<ParentLocator> old, boolean[] taken,
      long footerAt) {
    int any = -1;
    for (int i = 0; i < old.size(); i++) {
      ParentLocator o = old.get(i);
      long room = o.reservedBytes();
      if (taken[i] || !o.isPresent() || o.dataOffset() < DynamicHeader.SIZE + Footer.SIZE
          || room < d.bytes().length || room > VhdLayer.MAX_LOCATOR_BYTES
          || o.dataOffset() + room > footerAt) {
        continue;
      }
      if (o.platformCode() == d.code()) {
        return i;
      }
      if (any < 0) {
        any = i;
      }
    }
    return any;
  }
}
