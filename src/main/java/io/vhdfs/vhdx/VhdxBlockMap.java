package io.vhdfs.vhdx;

import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.SectorPresence;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A VHDX's payload blocks as the shared read path sees them, by their BAT state (spec 2.5.1.1,
 * {@code docs/vhdx-format.md} section 3.3): NOT_PRESENT is absent in a differencing file (the
 * parent's bytes) and zeros in any other; UNDEFINED, ZERO and UNMAPPED read as zeros whatever a
 * parent holds; FULLY_PRESENT is full; PARTIALLY_PRESENT takes each logical sector from the file
 * or the parent as its chunk's sector bitmap says, least significant bit first.
 *
 * <p>Entries and bitmaps are read through the file as the log's replay leaves it, so a dirty
 * log's BAT and bitmap updates count before any data is read.
 */
final class VhdxBlockMap implements BlockMap {
  /** Bytes of bitmap slices kept in memory. */
  static final int CACHE_BYTES = 4 << 20;
  /** A cached answer for a PARTIALLY_PRESENT block whose bits are all set. */
  private static final Slice ALL_SET = new Slice(new byte[0]);

  private final BatReader bat;
  private final BatGeometry geometry;
  private final ByteSource source;
  /**
   * Slices read so far, by block, so reading a partly present block again costs no bitmap read.
   * A writer of this file replaces a block's slice as it changes its bits ({@link #bitsChanged});
   * look-ups and replacements hold the map's lock, so a slice read before a change is never put
   * back after it.
   */
  private final Map<Long, Slice> slices;

  VhdxBlockMap(BatReader bat, ByteSource source) {
    this.bat = bat;
    this.geometry = bat.geometry();
    this.source = source;
    int maxEntries = Math.max(16, CACHE_BYTES / Math.max(1, geometry.bitmapSliceBytes()));
    this.slices = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Slice> eldest) {
        return size() > maxEntries;
      }
    };
  }

  @Override
  public int blockSize() {
    return geometry.blockSize();
  }

  @Override
  public int sectorSize() {
    return geometry.logicalSectorSize();
  }

  @Override
  public long blockCount() {
    return geometry.payloadBlocks();
  }

  @Override
  public State state(long block) throws IOException {
    return switch (bat.payloadEntry(block).payloadState().content(geometry.differencing())) {
      case ZEROS -> State.ZERO;
      case PARENT -> State.ABSENT;
      case FILE -> State.FULL;
      case BY_SECTOR -> State.PARTIAL;
    };
  }

  @Override
  public long dataOffset(long block) throws IOException {
    return bat.payloadEntry(block).fileOffset();
  }

  /** The block's slice of its chunk's sector bitmap; {@code null} when every bit is set. */
  @Override
  public SectorPresence sectors(long block) throws IOException {
    BatEntry e = bat.payloadEntry(block);
    if (e.payloadState() != PayloadState.PARTIALLY_PRESENT) {
      return null;
    }
    Slice cached;
    synchronized (slices) {
      cached = slices.get(block);
      if (cached == null) {
        cached = readSlice(block);
        slices.put(block, cached);
      }
    }
    return cached == ALL_SET ? null : cached;
  }

  /** A writer set block {@code block}'s bits to {@code bits}, its whole slice. */
  void bitsChanged(long block, byte[] bits) {
    synchronized (slices) {
      slices.put(block, sliceOf(bits.clone()));
    }
  }

  private Slice readSlice(long block) throws IOException {
    BatEntry bitmap = bat.bitmapEntry(geometry.chunkOf(block));
    return sliceOf(source.read(bitmap.fileOffset() + geometry.bitmapSliceOffset(block),
        geometry.bitmapSliceBytes()));
  }

  private static Slice sliceOf(byte[] bits) {
    for (byte b : bits) {
      if (b != (byte) 0xFF) {
        return new Slice(bits);
      }
    }
    return ALL_SET;
  }

  /** One block's bits of a sector bitmap. */
  private record Slice(byte[] bits) implements SectorPresence {
    @Override
    public boolean isSet(int sector) {
      return SectorBitmap.isPresent(bits, sector);
    }

    @Override
    public int runEnd(int from, int limit) {
      return from + SectorBitmap.runLength(bits, from, limit - from);
    }
  }
}
