package io.vhdfs.vhd;

import io.vhdfs.disk.Compaction;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ParentMatch;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Compacts a dynamic or differencing VHD in place: gives back the blocks whose disk would read
 * the same without them, then moves the blocks above the room they left down into it, and cuts
 * the file after the last block and its footer.
 *
 * <p>A block is given back when the disk reads the same with its entry unallocated. In a dynamic
 * image that is a block whose data holds only zeros (all of it, not only the sectors its bitmap
 * marks: QEMU reads a dynamic image's data whatever the bitmap says). In a differencing image an
 * unallocated block reads the parent, so a block goes only when every sector it holds equals
 * what the parent chain reads there and, unless compared against the parent, is zeros.
 *
 * <p>Cut at any host write, the image opens and reads the same disk. The given-back entries are
 * written and forced before any block moves into their room. A block moves by a copy of its
 * bitmap and data to a place nothing on disk points at, forced, then its BAT entry, forced; only
 * then may a later move overwrite its old place. A move never overlaps its own old place. At the
 * end the footer is written at the new end and forced, and only then is the file cut after it;
 * until then the old footer still ends the file. Space left between blocks by a cut in the middle
 * is orphan space, which reads nowhere and a second run gives back.
 */
public final class VhdCompactor {
  private static final int SECTOR = 512;
  private static final int DATA_ALIGNMENT = 4096;
  private static final int CHUNK = 1 << 20;

  private final HostFile host;
  private final DynamicHeader header;
  private final LocatedFooter located;
  private final BlockTable table;
  private final int blockSize;
  private final int bitmapSize;
  private final long span;
  private final long diskSize;
  private final List<long[]> obstacles = new ArrayList<>();

  private VhdCompactor(HostFile host, VhdLayer layer) {
    this.host = host;
    this.header = layer.header();
    this.located = layer.located();
    this.table = layer.vhdBlockMap().table();
    this.blockSize = header.blockSize();
    this.bitmapSize = header.bitmapSize();
    this.span = bitmapSize + (long) blockSize;
    this.diskSize = layer.info().size();
    Footer footer = located.footer();
    obstacles.add(new long[] {0, Footer.SIZE});
    obstacles.add(new long[] {footer.dataOffset(), footer.dataOffset() + DynamicHeader.SIZE});
    obstacles.add(new long[] {header.tableOffset(), header.tableOffset() + header.tableBytes()});
    if (footer.diskType() == DiskType.DIFFERENCING) {
      for (ParentLocator l : header.locators()) {
        if (l.isPresent()) {
          obstacles.add(new long[] {l.dataOffset(),
              l.dataOffset() + Math.max(l.reservedBytes(), l.dataLength())});
        }
      }
    }
  }

  /**
   * Compacts the VHD in {@code host}, opened as {@code layer}, its caller holding the image's
   * writer locks; {@code host} is made writable here.
   *
   * @param parent the parent chain of a differencing image, read only; null for a dynamic one
   * @param againstParent whether blocks of a differencing image holding only what the parent
   *     reads there go too, not only those holding zeros the parent also reads as zeros
   * @param progress told how much of the disk has been looked at
   */
  public static Compaction compact(HostFile host, DiskLayer layer, VirtualDisk parent,
      boolean againstParent, ProgressListener progress) throws IOException {
    VhdLayer vhd = (VhdLayer) layer;
    long size = host.size();
    if (vhd.header() == null) {
      return new Compaction(0, 0, size, size); // a fixed image has no blocks to give back
    }
    LocatedFooter located = vhd.located();
    if (!located.atEnd() || located.offset() + Footer.SIZE != size) {
      throw new FileSystemException(host.name(), null, "the file does not end in its footer; "
          + "run 'vhd check --repair' on it before compacting it");
    }
    if ((parent == null) != (located.footer().diskType() != DiskType.DIFFERENCING)) {
      throw new IllegalArgumentException("a parent goes with a differencing image only");
    }
    VhdCompactor c = new VhdCompactor(host, vhd);
    ParentMatch match = parent == null ? null : new ParentMatch(parent, !againstParent);
    int[] unmapped = c.findRedundant(match, progress);
    host.enableWrites();
    c.unmap(unmapped);
    int moved = c.moveDown();
    return new Compaction(unmapped.length, moved, size, host.size());
  }

  /** The allocated blocks the disk reads the same without. */
  private int[] findRedundant(ParentMatch match, ProgressListener progress) throws IOException {
    List<Integer> found = new ArrayList<>();
    byte[] data = new byte[Math.min(CHUNK, blockSize)];
    int blocks = (int) ((diskSize + blockSize - 1) / blockSize);
    for (int b = 0; b < table.size(); b++) {
      long at = table.bitmapOffset(b);
      if (at >= 0 && (b >= blocks || redundant(b, at, match, data))) {
        found.add(b);
      }
      if (b < blocks) {
        progress.advanced(Math.min(diskSize, (b + 1L) * blockSize), diskSize);
      }
    }
    return found.stream().mapToInt(Integer::intValue).toArray();
  }

  private boolean redundant(int block, long bitmapAt, ParentMatch match, byte[] data)
      throws IOException {
    SectorBitmap bits = match == null ? null
        : SectorBitmap.wrap(host.readBytes(bitmapAt, bitmapSize));
    long start = (long) block * blockSize;
    int visible = (int) Math.min(blockSize, diskSize - start);
    for (int off = 0; off < blockSize; off += data.length) {
      int n = Math.min(data.length, blockSize - off);
      host.readFully(ByteBuffer.wrap(data, 0, n), bitmapAt + bitmapSize + off);
      if (match == null) {
        if (!ParentMatch.isZeros(data, 0, n)) {
          return false;
        }
        continue;
      }
      // Only the sectors the child holds, and only those inside the disk, are ever read.
      int end = Math.min(n, Math.max(0, visible - off));
      for (int s = 0; s < end; ) {
        int sector = (off + s) / SECTOR;
        int lastSector = (off + end + SECTOR - 1) / SECTOR;
        int runEnd = Math.min(bits.runEnd(sector, lastSector) * SECTOR - off, end);
        if (bits.isSet(sector) && !match.matches(data, s, runEnd - s, start + off + s)) {
          return false;
        }
        s = runEnd;
      }
    }
    return true;
  }

  /** Marks the blocks unallocated in the BAT, forced before anything moves into their room. */
  private void unmap(int[] blocks) throws IOException {
    if (blocks.length == 0) {
      return;
    }
    BatWriter bat = new BatWriter(host, table, header.tableOffset());
    for (int b : blocks) {
      table.free(b);
      bat.markDirty(b);
    }
    bat.writeDirty();
    host.force(false);
  }

  /** Moves blocks down, lowest first, then cuts the file; returns how many moved. */
  private int moveDown() throws IOException {
    List<long[]> blocks = new ArrayList<>();
    for (int b = 0; b < table.size(); b++) {
      long at = table.bitmapOffset(b);
      if (at >= 0) {
        blocks.add(new long[] {at, b});
      }
    }
    blocks.sort(Comparator.comparingLong((long[] e) -> e[0]));
    BatWriter bat = new BatWriter(host, table, header.tableOffset());
    byte[] buf = new byte[(int) Math.min(CHUNK, span)];
    long cursor = 0;
    int moved = 0;
    for (long[] e : blocks) {
      long old = e[0];
      long to = place(cursor, old);
      if (to < old) {
        copy(old, to, buf);
        host.force(false);
        table.free((int) e[1]);
        table.allocate((int) e[1], to);
        bat.markDirty((int) e[1]);
        bat.writeDirty();
        host.force(false);
        moved++;
      }
      cursor = to + span;
    }
    long end = cursor;
    for (long[] o : obstacles) {
      end = Math.max(end, o[1]);
    }
    end = roundUp(end, SECTOR);
    if (end < located.offset()) {
      // The footer at the new end durable before the file is cut after it.
      host.write(located.raw(), end);
      host.force(false);
      host.truncate(end + Footer.SIZE);
      host.force(true);
    }
    return moved;
  }

  /**
   * The lowest place at or after {@code cursor} for a block now at {@code old}: its data 4 KiB
   * aligned if that fits, else sector aligned; clear of metadata and of the block's own old
   * place. {@code old} itself if there is none lower.
   */
  private long place(long cursor, long old) {
    long c = roundUp(cursor, SECTOR);
    while (true) {
      if (c + span > old) {
        return old;
      }
      long[] hit = obstacle(c, c + span);
      if (hit != null) {
        c = roundUp(hit[1], SECTOR);
        continue;
      }
      long aligned = roundUp(c + bitmapSize, DATA_ALIGNMENT) - bitmapSize;
      if (aligned + span <= old && obstacle(aligned, aligned + span) == null) {
        return aligned;
      }
      return c;
    }
  }

  private long[] obstacle(long from, long to) {
    for (long[] o : obstacles) {
      if (from < o[1] && o[0] < to) {
        return o;
      }
    }
    return null;
  }

  private void copy(long from, long to, byte[] buf) throws IOException {
    for (long done = 0; done < span; ) {
      int n = (int) Math.min(buf.length, span - done);
      host.readFully(ByteBuffer.wrap(buf, 0, n), from + done);
      host.write(ByteBuffer.wrap(buf, 0, n), to + done);
      done += n;
    }
  }

  private static long roundUp(long value, long multiple) {
    return (value + multiple - 1) / multiple * multiple;
  }
}
