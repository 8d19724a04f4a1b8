package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Metadata sectors (BAT and sector bitmap sectors) changed in memory and not yet in the file,
 * over the file's bytes: the structure readers ({@link BatReader}, {@link VhdxBlockMap}) read
 * through this, so a change counts for reads at once, while the file learns of it only through
 * the log ({@link LoggedMetadata#flush}). Changes are whole 4 KiB sectors, the log's unit.
 *
 * <p>Reads, changes and the write-back are serialised on this object, so a reader never patches
 * the file's old bytes with nothing because the sector went to the file in between.
 */
final class PendingSectors implements ByteSource {
  static final int SECTOR = LogEntry.SECTOR;

  private volatile ByteSource base;
  private final TreeMap<Long, byte[]> sectors = new TreeMap<>();
  /** Where sectors are reserved on the host as they first change, or null. */
  private HostFile reserveOn;
  /** Sectors written back unchanged this session, so the host has given them space. */
  private final Set<Long> reserved = new HashSet<>();

  PendingSectors(ByteSource base) {
    this.base = base;
  }

  /**
   * Reads from {@code base} from now on: the file itself once a dirty log that {@link #base} saw
   * replayed in memory has been replayed onto the file, which then reads the same.
   */
  synchronized void rebase(ByteSource newBase) {
    this.base = newBase;
  }

  /**
   * From now on, writes each sector back to {@code host} unchanged the first time it changes, so
   * that a host file with holes (a sparse BAT or bitmap block) has its space before anything
   * depends on it: once the host disk is full, the write that needs a new metadata sector fails
   * then, not the flush that would make earlier writes durable.
   */
  synchronized void reserveOn(HostFile host) {
    this.reserveOn = host;
  }

  @Override
  public synchronized void readFully(ByteBuffer dst, long offset) throws IOException {
    int start = dst.position();
    int n = dst.remaining();
    base.readFully(dst, offset);
    if (sectors.isEmpty()) {
      return;
    }
    long end = offset + n;
    for (Map.Entry<Long, byte[]> e : sectors.subMap(offset - offset % SECTOR, end).entrySet()) {
      long at = e.getKey();
      long from = Math.max(at, offset);
      long to = Math.min(at + SECTOR, end);
      if (from < to) {
        dst.put(start + (int) (from - offset), e.getValue(), (int) (from - at), (int) (to - from));
      }
    }
  }

  @Override
  public long size() throws IOException {
    return base.size();
  }

  @Override
  public String name() {
    return base.name();
  }

  /** Stores {@code value} little-endian at {@code offset}, inside one sector. */
  synchronized void putLong(long offset, long value) throws IOException {
    LittleEndian.putInt64(sector(offset), (int) (offset % SECTOR), value);
  }

  /** Stores {@code b[off, off+len)} at {@code offset}, across as many sectors as it takes. */
  synchronized void put(long offset, byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int in = (int) (offset % SECTOR);
      int n = Math.min(len, SECTOR - in);
      System.arraycopy(b, off, sector(offset), in, n);
      offset += n;
      off += n;
      len -= n;
    }
  }

  private byte[] sector(long offset) throws IOException {
    long at = offset - offset % SECTOR;
    byte[] s = sectors.get(at);
    if (s == null) {
      s = new byte[SECTOR];
      base.readFully(ByteBuffer.wrap(s), at);
      if (reserveOn != null && !reserved.contains(at)) {
        reserveOn.write(s.clone(), at);
        reserved.add(at);
      }
      sectors.put(at, s);
    }
    return s;
  }

  /** The number of changed sectors. */
  synchronized int count() {
    return sectors.size();
  }

  /** A copy of the changed sectors by file offset, for the log. */
  synchronized SortedMap<Long, byte[]> snapshot() {
    SortedMap<Long, byte[]> copy = new TreeMap<>();
    sectors.forEach((at, s) -> copy.put(at, s.clone()));
    return copy;
  }

  /**
   * Writes the changed sectors where they belong in {@code host} and forgets them; the caller
   * has made them durable in the log first.
   */
  synchronized void writeBack(HostFile host) throws IOException {
    for (Map.Entry<Long, byte[]> e : sectors.entrySet()) {
      host.write(e.getValue(), e.getKey());
    }
    sectors.clear();
  }
}
