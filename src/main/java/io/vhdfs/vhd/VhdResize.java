package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ResizeTail;
import io.vhdfs.disk.Resized;
import io.vhdfs.disk.Run;
import io.vhdfs.disk.SectorMapper;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.TableBudget;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.Arrays;

/**
 * Changes the virtual size of a VHD in place, as Resize-VHD does; a differencing image is resized
 * on its own. The new size is rounded as a new image's is ({@link VhdCreator#createdSize}): up to
 * a whole CHS geometry, or, where the image records 65535/16/255 (made with an exact size, or too
 * large for CHS), to whole sectors with that geometry kept, so every reader sees the same size.
 *
 * <p>The original-size field changes too, as the current-size field does: libvhdi takes the
 * disk's size from it.
 *
 * <p>Every step leaves an image that opens with its old or its new size and every byte it held;
 * each is forced before the next. A fixed image gets its footer at the new end first, and only
 * then loses the old one (grow: zeroed, now inside the disk; shrink: cut off). A sparse image
 * whose table must grow gets the new entries first: in place where the room after the table is
 * free, else in a new copy of the whole table written past the last block (the end footer moved
 * past it first, as a new block moves it); then the header, which names the table and its entry
 * count; then the footers. Between the header and the footers the table has entries to spare for
 * the old size, all unallocated, which every reader accepts ({@code vhd check} reports the
 * count until a resize is run again). A shrink writes the footers first
 * and the header's smaller count last.
 *
 * <p>One trace a cut can leave shows: a fixed image cut between its new footer and the zeroing
 * of the old one has its new size, with the old footer's 512 bytes at the old end instead of
 * zeros (every byte it held is kept; the file must end in a footer at every moment, so there is
 * no order without this). A fixed shrink cut before the file is cut leaves the new footer past
 * the new end, which a second run of the same shrink recognises and finishes.
 */
final class VhdResize {
  private static final int CHUNK = 1 << 20;

  private final HostFile host;
  private final VhdLayer layer;
  private final Footer footer;
  private final long footerAt;

  private VhdResize(HostFile host, VhdLayer layer) {
    this.host = host;
    this.layer = layer;
    this.footer = layer.located().footer();
    this.footerAt = layer.located().offset();
  }

  /**
   * Resizes the image in {@code host}, open for writing under the writer's locks, to
   * {@code requested} bytes rounded as {@link VhdCreator#createdSize} rounds them.
   */
  static Resized resize(HostFile host, long requested, boolean shrink, TableBudget budget)
      throws IOException {
    if (requested <= 0 || requested > VhdLayer.MAX_SIZE) {
      throw new IllegalArgumentException("size " + requested + " out of range 1 byte .. 2040 GiB ("
          + VhdLayer.MAX_SIZE + " bytes)");
    }
    VhdLayer layer = VhdLayer.open(host, SizeRule.AUTO, budget);
    if (!layer.located().atEnd()) {
      throw new VhdFormatException(host.name(), host.size() - Footer.SIZE, "the footer at the "
          + "end of the file is missing or damaged: repair the image (vhd check --repair) "
          + "before resizing it");
    }
    return new VhdResize(host, layer).resize(requested, shrink);
  }

  private Resized resize(long requested, boolean shrink) throws IOException {
    long oldSize = layer.info().size();
    boolean exact = footer.geometry().isMax();
    long newSize = VhdCreator.createdSize(requested, exact);
    if (newSize > VhdLayer.MAX_SIZE) {
      throw new IllegalArgumentException("size " + requested + " rounds up to " + newSize
          + " bytes, past the format's maximum of " + VhdLayer.MAX_SIZE);
    }
    if (newSize < oldSize && !shrink) {
      throw new FileSystemException(host.name(), null, "the new size " + newSize
          + " bytes is smaller than the image's " + oldSize + " bytes: shrinking must be asked"
          + " for (--shrink)");
    }
    Footer resized = new Footer(footer.features(), footer.formatVersion(), footer.dataOffset(),
        footer.timestamp(), footer.creatorApplication(), footer.creatorVersion(),
        footer.creatorHostOs(), newSize, newSize,
        VhdCreator.geometryOf(newSize, exact), footer.diskType(), footer.uniqueId(),
        footer.savedState(), footer.hidden());
    if (newSize == oldSize && resized.equals(footer)) {
      return new Resized(oldSize, newSize, null);
    }
    if (footer.diskType() == DiskType.FIXED) {
      return resizeFixed(oldSize, newSize, resized);
    }
    return resizeSparse(oldSize, newSize, resized);
  }

  private Resized resizeFixed(long oldSize, long newSize, Footer resized) throws IOException {
    byte[] f = resized.encode();
    if (newSize < oldSize) {
      long from = newSize;
      if (isFooterOf(resized, newSize)) {
        // A shrink to this size cut short left its footer there, inside the old disk.
        from += Footer.SIZE;
      }
      ResizeTail.requireZeros(host, newSize, from, from, oldSize - from);
    }
    if (newSize > oldSize && footerAt > oldSize) {
      // Bytes in front of the footer past the old size (a CHS size below the data area) come
      // into view: they read as zeros, whatever they held.
      zero(oldSize, Math.min(footerAt, newSize) - oldSize);
    }
    if (newSize > footerAt) {
      host.write(f, newSize);
      host.force(false);
      // The old footer now lies inside the disk, where the new bytes must read as zeros.
      host.write(new byte[(int) Math.min(Footer.SIZE, newSize - footerAt)], footerAt);
      host.force(false);
    } else if (newSize < footerAt) {
      host.write(f, newSize);
      host.force(false);
      host.truncate(newSize + Footer.SIZE);
      host.force(true);
    } else {
      host.write(f, footerAt);
      host.force(false);
    }
    return new Resized(oldSize, newSize, null);
  }

  private Resized resizeSparse(long oldSize, long newSize, Footer resized) throws IOException {
    DynamicHeader header = layer.header();
    long blockSize = header.blockSize();
    long oldEntries = header.maxTableEntries();
    long newEntries = (newSize + blockSize - 1) / blockSize;
    if (newEntries > VhdLayer.MAX_TABLE_ENTRIES) {
      throw new IllegalArgumentException("blocks of " + blockSize + " bytes are too small for "
          + newSize + " bytes: the table would need " + newEntries + " entries, more than the "
          + VhdLayer.MAX_TABLE_ENTRIES + " a reader holds");
    }
    byte[] end = resized.encode();
    if (newSize < oldSize) {
      requireNoData(newSize, newEntries);
      writeFooters(end, footerAt);
      if (newEntries < oldEntries) {
        writeHeader(header, header.tableOffset(), newEntries);
      }
      return new Resized(oldSize, newSize, null);
    }
    ResizeTail.zeroStored(host, layer.blockMap(), oldSize,
        Math.min(newSize, oldEntries * blockSize));
    if (newEntries <= oldEntries) {
      writeFooters(end, footerAt);
      return new Resized(oldSize, newSize, null);
    }
    long tableAt = header.tableOffset();
    long newBytes = (newEntries * 4 + 511) & ~511L;
    String moved = null;
    long newFooterAt = footerAt;
    if (tableAt + newBytes <= roomEnd(header)) {
      // The entries past the old ones, up to the end of their last sector, read unallocated.
      long from = oldEntries * 4;
      byte[] fill = new byte[(int) (newBytes - from)];
      Arrays.fill(fill, (byte) 0xFF);
      host.write(fill, tableAt + from);
      host.force(false);
    } else {
      long newTableAt = (footerAt + 511) & ~511L;
      newFooterAt = newTableAt + newBytes;
      if (newFooterAt >>> 9 > 0xFFFF_FFFFL) {
        throw new FileSystemException(host.name(), null, "no room for a larger block table: "
            + "it would end past the 2 TiB that 32-bit block table entries can address");
      }
      // The footer moves first, so the file ends in a valid footer while the table is written
      // where it was.
      host.write(footer.encode(), newFooterAt);
      host.force(false);
      byte[] table = new byte[(int) newBytes];
      Arrays.fill(table, (byte) 0xFF);
      byte[] old = host.readBytes(tableAt, (int) (oldEntries * 4));
      System.arraycopy(old, 0, table, 0, old.length);
      host.write(table, newTableAt);
      host.force(false);
      moved = "block table from byte " + tableAt + " to byte " + newTableAt;
      tableAt = newTableAt;
    }
    writeHeader(header, tableAt, newEntries);
    writeFooters(end, newFooterAt);
    return new Resized(oldSize, newSize, moved);
  }

  /** Writes {@code length} zeros at {@code at} of the file, forced. */
  private void zero(long at, long length) throws IOException {
    if (length > 0) {
      host.writeZeros(at, length);
      host.force(false);
    }
  }

  /**
   * Where the free room after the table ends: at the first structure after it (a block, locator
   * data, the header) or at the end footer.
   */
  private long roomEnd(DynamicHeader header) throws IOException {
    long tableAt = header.tableOffset();
    long limit = footerAt;
    if (footer.dataOffset() > tableAt) {
      limit = Math.min(limit, footer.dataOffset());
    }
    for (ParentLocator l : header.locators()) {
      if (l.isPresent() && l.dataOffset() > tableAt) {
        limit = Math.min(limit, l.dataOffset());
      }
    }
    VhdBlockMap map = (VhdBlockMap) layer.blockMap();
    long blocks = header.maxTableEntries();
    for (long b = 0; b < blocks; b++) {
      long at = map.table().bitmapOffset((int) b);
      if (at > tableAt) {
        limit = Math.min(limit, at);
      }
    }
    return limit;
  }

  private void writeHeader(DynamicHeader h, long tableAt, long entries) throws IOException {
    DynamicHeader changed = new DynamicHeader(h.dataOffset(), tableAt, h.headerVersion(),
        entries, h.blockSize(), h.parentUniqueId(), h.parentTimestamp(), h.parentName(),
        h.locators());
    host.write(changed.encode(), footer.dataOffset());
    host.force(false);
  }

  /** The end footer, then its copy at offset 0 (which readers use only when the end one fails). */
  private void writeFooters(byte[] f, long at) throws IOException {
    host.write(f, at);
    host.force(false);
    host.write(f, 0);
    host.force(false);
  }

  /** Refuses a fixed image's shrink when a byte from {@code from} to {@code to} is not zero. */
  /** Whether the file holds {@code f}'s footer, bar its time, at {@code at}. */
  private boolean isFooterOf(Footer f, long at) throws IOException {
    byte[] b = host.readBytes(at, Footer.SIZE);
    if (!Footer.hasCookie(b, 0)) {
      return false;
    }
    try {
      Footer there = Footer.decode(b, 0, host.name(), at);
      return there.uniqueId().equals(f.uniqueId()) && there.currentSize() == f.currentSize()
          && there.diskType() == f.diskType();
    } catch (VhdFormatException e) {
      return false;
    }
  }

  /**
   * Refuses a sparse image's shrink to {@code newSize} bytes when a block past the new table is
   * allocated, or the block the new end cuts holds a non-zero data byte past it.
   */
  private void requireNoData(long newSize, long newEntries) throws IOException {
    VhdBlockMap map = (VhdBlockMap) layer.blockMap();
    long blockSize = map.blockSize();
    if (newSize % blockSize != 0) {
      long b = newSize / blockSize;
      long blockEnd = (b + 1) * blockSize;
      long at = newSize;
      for (Run run : new SectorMapper(map).map(newSize, (int) (blockEnd - newSize))) {
        if (run.kind() == Run.Kind.DATA) {
          ResizeTail.requireZeros(host, newSize, at, run.hostOffset(), run.length());
        }
        at += run.length();
      }
    }
    long entries = layer.header().maxTableEntries();
    for (long b = newEntries; b < entries; b++) {
      long at = map.table().bitmapOffset((int) b);
      if (at >= 0) {
        throw ResizeTail.refusal(host, newSize, b * blockSize, "is allocated (block " + b
            + ", at byte " + at + " of the file)");
      }
    }
  }
}
