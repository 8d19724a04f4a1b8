package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The BAT of one file, read in pages on demand and checked as each page is read.
 *
 * <p>A 64 TiB disk with 1 MiB blocks has a 512 MiB BAT, so the table is never read whole: entries
 * come in pages (1 MiB, 131072 entries, by default), of which a few are kept, least recently used
 * first out (nearly: see below). Small tables fit in one page and so stay in memory after their
 * first use.
 *
 * <p>Every entry of a page is checked when the page is read, because the BAT has no checksum and
 * older qemu-img could shift a page by 8 bytes (QEMU issue 727): reserved bits 3-19 zero; no
 * reserved payload state 4; PARTIALLY_PRESENT only in differencing files; a block that reads from
 * the file at a non-zero offset, wholly inside the file and clear of the header section, the log
 * and every region; sector bitmap entries 0 outside differencing files, NOT_PRESENT or PRESENT
 * (with a block inside the file, clear of the structures) in them; entries past the disk's last
 * block, which a differencing BAT has up to its last chunk's end, describe nothing and are not
 * checked. Blocks may not overlap each other: within a page always, and across pages among all
 * pages read so far when the file is at most {@link #OVERLAP_TRACKING_LIMIT} long (one bit per
 * MiB of file, so at most 16 MiB of memory). Offsets kept in UNDEFINED and UNMAPPED entries are
 * not checked: reads never use them.
 *
 * <p>Thread-safe. Loading, checking and evicting pages and setting entries hold the reader's
 * lock; a look-up in a page that is cached takes no lock (every read of a VHDX asks for its
 * block's entry, twice), but finds the page in {@link #cached} and its entry by a volatile
 * read, which {@link #set}'s volatile write pairs with. A look-up that races a {@link #set} or an
 * eviction may see the entry from before it, as {@link io.vhdfs.disk.BlockMap} allows. Look-ups
 * without the lock do not move their page up the eviction order, so with more pages in use than
 * are kept, a page in use may be dropped (and read again) sooner than least-recently-used would.
 */
final class BatReader {
  /** Bytes of BAT per page by default: 131072 entries. */
  public static final int DEFAULT_PAGE_BYTES = 1 << 20;
  /** Pages kept by default: 8 MiB of entries at most. */
  public static final int DEFAULT_CACHED_PAGES = 8;
  /** Largest logical file size for which overlaps are tracked across pages: 128 TiB. */
  public static final long OVERLAP_TRACKING_LIMIT = 1L << 47;

  private static final long MIB = 1 << 20;
  /** Pages past this one are found under the lock only, so the lock-free index stays small. */
  private static final int MAX_INDEXED_PAGES = 1 << 16;
  private static final VarHandle ENTRY = MethodHandles.arrayElementVarHandle(long[].class);

  private final ByteSource source;
  private final BatGeometry geometry;
  private final long batOffset;
  private final StructureAreas areas;
  private final int pageEntries;
  private final int maxPages;
  private final Map<Long, long[]> pages;
  /** The pages {@link #pages} holds, by number, for look-ups without the lock; null elsewhere. */
  private final AtomicReferenceArray<long[]> cached;
  private final long payloadBlocks;
  private final BitSet markedPages = new BitSet();
  private final BitSet occupied;
  /** The file's size as entries are checked against it: grows as a writer appends blocks. */
  private long fileSize;

  /** A reader with the default page size and cache. */
  public BatReader(ByteSource source, BatGeometry geometry, RegionEntry batRegion,
      StructureAreas areas) throws VhdFormatException {
    this(source, geometry, batRegion, areas, DEFAULT_PAGE_BYTES, DEFAULT_CACHED_PAGES);
  }

  /**
   * A reader of the BAT in {@code batRegion}.
   *
   * @param areas the file's structures and logical size, which blocks must respect
   * @param pageBytes bytes read at a time, a multiple of 4096
   * @param cachedPages pages kept, at least 1
   * @throws VhdFormatException if the region cannot hold the entries the geometry needs
   */
  public BatReader(ByteSource source, BatGeometry geometry, RegionEntry batRegion,
      StructureAreas areas, int pageBytes, int cachedPages) throws VhdFormatException {
    if (pageBytes < 4096 || pageBytes % 4096 != 0 || cachedPages < 1) {
      throw new IllegalArgumentException("pages are whole 4 KiB multiples; at least one cached");
    }
    if (batRegion.length() < geometry.requiredBatBytes()) {
      throw new VhdFormatException(source.name(), batRegion.fileOffset(), "BAT region of "
          + batRegion.length() + " bytes cannot hold the " + geometry.totalEntries()
          + " entries of this disk (" + geometry.requiredBatBytes() + " bytes)");
    }
    this.source = source;
    this.geometry = geometry;
    this.batOffset = batRegion.fileOffset();
    this.areas = areas;
    this.pageEntries = pageBytes / BatGeometry.ENTRY_SIZE;
    this.maxPages = cachedPages;
    this.payloadBlocks = geometry.payloadBlocks();
    long pageCount = (geometry.totalEntries() + pageEntries - 1) / pageEntries;
    this.cached = new AtomicReferenceArray<>((int) Math.min(pageCount, MAX_INDEXED_PAGES));
    this.pages = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, long[]> eldest) {
        if (size() <= maxPages) {
          return false;
        }
        long page = eldest.getKey();
        if (page < cached.length()) {
          cached.compareAndSet((int) page, eldest.getValue(), null);
        }
        return true;
      }
    };
    this.occupied = areas.fileSize() <= OVERLAP_TRACKING_LIMIT ? new BitSet() : null;
    this.fileSize = areas.fileSize();
  }

  /** The geometry the entries are found by. */
  public BatGeometry geometry() {
    return geometry;
  }

  /** The file's structures, which no block may overlap. */
  StructureAreas areas() {
    return areas;
  }

  /** The file offset of entry {@code index}. */
  public long entryOffset(long index) {
    return batOffset + index * BatGeometry.ENTRY_SIZE;
  }

  /**
   * The checked entry of payload block {@code block}. A PARTIALLY_PRESENT block's chunk must
   * have its sector bitmap block, or the file is corrupt.
   */
  public BatEntry payloadEntry(long block) throws IOException {
    if (block < 0 || block >= payloadBlocks) {
      throw new IndexOutOfBoundsException("block " + block + " of " + payloadBlocks);
    }
    long index = geometry.payloadIndex(block);
    BatEntry e = new BatEntry(lookUp(index));
    if (e.stateCode() == PayloadState.PARTIALLY_PRESENT.code) {
      long chunk = geometry.chunkOf(block);
      if (!bitmapEntry(chunk).bitmapPresent()) {
        throw new VhdFormatException(source.name(), entryOffset(index), "payload block "
            + block + " is PARTIALLY_PRESENT but chunk " + chunk
            + " has no sector bitmap block");
      }
    }
    return e;
  }

  /** The checked sector bitmap entry of chunk {@code chunk} (differencing files only). */
  public BatEntry bitmapEntry(long chunk) throws IOException {
    long index = geometry.bitmapIndex(chunk);
    if (chunk < 0 || index >= geometry.totalEntries()) {
      throw new IndexOutOfBoundsException("chunk " + chunk + " has no bitmap entry");
    }
    return new BatEntry(lookUp(index));
  }

  /** The checked entry at {@code index}, payload or bitmap. */
  public BatEntry entry(long index) throws IOException {
    if (index < 0 || index >= geometry.totalEntries()) {
      throw new IndexOutOfBoundsException("entry " + index + " of " + geometry.totalEntries());
    }
    return new BatEntry(lookUp(index));
  }

  /**
   * Sets entry {@code index} to {@code entry}, in {@code pending} (where the file will get it
   * through the log) and in the cached page, which is read first if it is not cached: a page read
   * later is marked as occupying what it holds then, the new block included, so marking the
   * block here too would look like an overlap. A new block must lie inside the file as
   * {@link #fileGrewTo} last set it, clear of every other block: the writer's allocation sees to
   * that.
   */
  public synchronized void set(long index, BatEntry entry, PendingSectors pending)
      throws IOException {
    if (index < 0 || index >= geometry.totalEntries()) {
      throw new IndexOutOfBoundsException("entry " + index + " of " + geometry.totalEntries());
    }
    raw(index);
    long page = index / pageEntries;
    pending.putLong(entryOffset(index), entry.raw());
    ENTRY.setVolatile(pages.get(page), (int) (index % pageEntries), entry.raw());
    long offset = entry.fileOffset();
    if (occupied != null && offset != 0 && offset >>> 20 < Integer.MAX_VALUE) {
      long bytes = geometry.isBitmapIndex(index) ? BatGeometry.BITMAP_BLOCK_SIZE
          : geometry.blockSize();
      occupied.set((int) (offset >>> 20), (int) ((offset + bytes + MIB - 1) >>> 20));
    }
  }

  /** The file now holds {@code size} bytes: blocks up to there are inside it. */
  public synchronized void fileGrewTo(long size) {
    fileSize = Math.max(fileSize, size);
  }

  /**
   * Reads and checks every page once, for a full check of the table: afterwards every entry has
   * passed the entry rules and, within the tracking limit, no two blocks overlap.
   */
  public synchronized void checkAll() throws IOException {
    long pageCount = (geometry.totalEntries() + pageEntries - 1) / pageEntries;
    for (long p = 0; p < pageCount; p++) {
      if (!pages.containsKey(p) || !markedPages.get((int) p)) {
        cache(p, load(p));
      }
    }
  }

  /** Entry {@code index} as stored: from a cached page without the lock, else under it. */
  private long lookUp(long index) throws IOException {
    long page = index / pageEntries;
    if (page < cached.length()) {
      long[] entries = cached.get((int) page);
      if (entries != null) {
        return (long) ENTRY.getVolatile(entries, (int) (index % pageEntries));
      }
    }
    synchronized (this) {
      return raw(index);
    }
  }

  private long raw(long index) throws IOException {
    long page = index / pageEntries;
    long[] entries = pages.get(page);
    if (entries == null) {
      entries = load(page);
      cache(page, entries);
    }
    return (long) ENTRY.getVolatile(entries, (int) (index % pageEntries));
  }

  /** Keeps a page just loaded (and checked), where lock-free look-ups find it too. */
  private void cache(long page, long[] entries) {
    pages.put(page, entries);
    if (page < cached.length()) {
      cached.set((int) page, entries);
    }
  }

  private long[] load(long page) throws IOException {
    long first = page * pageEntries;
    int count = (int) Math.min(pageEntries, geometry.totalEntries() - first);
    ByteBuffer bytes = ByteBuffer.allocate(count * BatGeometry.ENTRY_SIZE);
    source.readFully(bytes, entryOffset(first));
    long[] entries = new long[count];
    bytes.flip().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(entries);
    long[] starts = new long[count];
    long[] ends = new long[count];
    long[] indexes = new long[count];
    int used = 0;
    for (int i = 0; i < count; i++) {
      long extent = check(first + i, entries[i]);
      if (extent > 0) {
        starts[used] = new BatEntry(entries[i]).fileOffset();
        ends[used] = extent;
        indexes[used] = first + i;
        used++;
      }
    }
    checkNoOverlap(starts, ends, indexes, used);
    markOccupied(page, starts, ends, indexes, used);
    return entries;
  }

  /**
   * Checks one entry; returns the bytes its block takes in the file (rounded up to whole MiB),
   * or 0 when reads use no block of it.
   */
  private long check(long index, long raw) throws VhdFormatException {
    BatEntry e = new BatEntry(raw);
    if (e.reservedBits() != 0) {
      throw bad(index, "reserved bits 3-19 are set (entry " + LittleEndian.hex(raw) + ")");
    }
    if (geometry.isBitmapIndex(index)) {
      if (!geometry.differencing()) {
        if (raw != 0) {
          throw bad(index, "is not 0 in a file without a parent (entry "
              + LittleEndian.hex(raw) + ")");
        }
        return 0;
      }
      if (e.stateCode() == 0) {
        return 0;
      }
      if (!e.bitmapPresent()) {
        throw bad(index, "has reserved state " + e.stateCode());
      }
      return checkBlock(index, e, BatGeometry.BITMAP_BLOCK_SIZE);
    }
    long block = geometry.blockOfIndex(index);
    if (block >= geometry.payloadBlocks()) {
      // A differencing BAT runs to the end of the last chunk, past the disk's last block; those
      // entries describe no block, reads never reach them, so what they hold does not matter.
      return 0;
    }
    Optional<PayloadState> state = PayloadState.of(e.stateCode());
    if (state.isEmpty()) {
      throw bad(index, "has reserved state " + e.stateCode());
    }
    if (state.get() == PayloadState.PARTIALLY_PRESENT && !geometry.differencing()) {
      throw bad(index, "is PARTIALLY_PRESENT, which only differencing files may use");
    }
    if (!state.get().hasData()) {
      return 0;
    }
    return checkBlock(index, e, geometry.blockBytes(block));
  }

  private long checkBlock(long index, BatEntry e, long bytes) throws VhdFormatException {
    long offset = e.fileOffset();
    if (offset == 0) {
      throw bad(index, "is in state " + e.stateCode() + " but has file offset 0");
    }
    if (offset < 0 || offset > fileSize || fileSize - offset < bytes) {
      throw bad(index, "points at file offset " + Long.toUnsignedString(offset) + " (" + bytes
          + " bytes), past the end of the file (" + fileSize + " bytes)");
    }
    Optional<StructureAreas.Area> hit = areas.overlapping(offset, bytes);
    if (hit.isPresent()) {
      throw bad(index, "points at file offset " + offset + ", into the " + hit.get().name());
    }
    return offset + ((bytes + MIB - 1) & -MIB);
  }

  private void checkNoOverlap(long[] starts, long[] ends, long[] indexes, int used)
      throws VhdFormatException {
    if (used < 2) {
      return;
    }
    Integer[] order = new Integer[used];
    for (int i = 0; i < used; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> starts[a] != starts[b]
        ? Long.compare(starts[a], starts[b]) : Long.compare(indexes[a], indexes[b]));
    for (int k = 1; k < used; k++) {
      int before = order[k - 1];
      int after = order[k];
      if (starts[after] < ends[before]) {
        throw bad(indexes[after], "points at file offset " + starts[after]
            + ", inside the block at " + starts[before] + " that entry " + indexes[before]
            + " points at");
      }
    }
  }

  /**
   * Records the page's blocks in the file-wide occupancy, once per page, after checking none
   * lies where a block of a page read earlier does; checking first leaves the record unchanged
   * by a page that fails, so a later read fails the same way.
   */
  private void markOccupied(long page, long[] starts, long[] ends, long[] indexes, int used)
      throws VhdFormatException {
    if (occupied == null || page > Integer.MAX_VALUE || markedPages.get((int) page)) {
      return;
    }
    for (int i = 0; i < used; i++) {
      int clash = occupied.nextSetBit((int) (starts[i] >>> 20));
      if (clash >= 0 && clash < (int) (ends[i] >>> 20)) {
        throw bad(indexes[i], "points at file offset " + starts[i] + ", overlapping a block "
            + "another BAT entry points at (file offset " + ((long) clash << 20) + ")");
      }
    }
    for (int i = 0; i < used; i++) {
      occupied.set((int) (starts[i] >>> 20), (int) (ends[i] >>> 20));
    }
    markedPages.set((int) page);
  }

  private VhdFormatException bad(long index, String problem) {
    String what = geometry.isBitmapIndex(index)
        ? "sector bitmap entry of chunk " + geometry.chunkOfIndex(index)
        : "entry of payload block " + geometry.blockOfIndex(index);
    return new VhdFormatException(source.name(), entryOffset(index), "BAT " + what + " (index "
        + index + ") " + problem);
  }
}
