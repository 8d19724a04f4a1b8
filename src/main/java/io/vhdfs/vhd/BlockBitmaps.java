package io.vhdfs.vhd;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The sector bitmaps of allocated blocks. Most blocks of real images are fully written; those are
 * remembered in one bit each so their bitmap is never read again. Other bitmaps sit in a small LRU
 * cache bounded in bytes.
 *
 * <p>Writers replace a block's bitmap by a new instance after the new bits are in the file; a
 * bitmap loaded from the file while that happened may be stale and is then used once but not
 * cached (a generation count tells).
 */
final class BlockBitmaps {
  /** Bytes of partial bitmaps kept in memory. */
  static final int CACHE_BYTES = 4 << 20;

  private final HostFile host;
  private final int bitmapSize;
  private final int sectorsPerBlock;
  private final AtomicLongArray full;
  private final Map<Integer, SectorBitmap> cache;
  /** Bumped under the cache lock by every {@link #update}. */
  private long generation;

  BlockBitmaps(HostFile host, int blockCount, int blockSize, int bitmapSize) {
    this.host = host;
    this.bitmapSize = bitmapSize;
    this.sectorsPerBlock = blockSize / 512;
    this.full = new AtomicLongArray((blockCount + 63) >>> 6);
    int maxEntries = Math.max(16, CACHE_BYTES / bitmapSize);
    this.cache = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Integer, SectorBitmap> eldest) {
        return size() > maxEntries;
      }
    };
  }

  /**
   * The bitmap of allocated block {@code block} whose bitmap starts at {@code bitmapAt}, or
   * {@code null} when every sector of the block is present.
   */
  public SectorBitmap partial(int block, long bitmapAt) throws IOException {
    if (isFull(block)) {
      return null;
    }
    long seen;
    synchronized (cache) {
      SectorBitmap cached = cache.get(block);
      if (cached != null) {
        return cached;
      }
      seen = generation;
    }
    // Loaded outside the lock: two threads may read the same bitmap, which is harmless.
    SectorBitmap bits = SectorBitmap.wrap(host.readBytes(bitmapAt, bitmapSize));
    boolean full = bits.allSet(sectorsPerBlock);
    synchronized (cache) {
      // A block given back meanwhile may be allocated anew with an empty bitmap: a bitmap read
      // across an update is used once but remembered neither as full nor in the cache.
      if (generation == seen) {
        if (full) {
          markFull(block);
        } else {
          cache.put(block, bits);
        }
      }
    }
    return full ? null : bits;
  }

  /** Records the bitmap a writer just put into the file for block {@code block}. */
  void update(int block, SectorBitmap bits) {
    synchronized (cache) {
      generation++;
      if (bits.allSet(sectorsPerBlock)) {
        markFull(block);
        cache.remove(block);
      } else {
        clearFull(block);
        cache.put(block, bits);
      }
    }
  }

  /** Forgets block {@code block}, which is no longer allocated. */
  void forget(int block) {
    synchronized (cache) {
      generation++;
      clearFull(block);
      cache.remove(block);
    }
  }

  /** Whether every sector of allocated block {@code block} is known to be present. */
  boolean isFull(int block) {
    return (full.get(block >>> 6) & (1L << block)) != 0;
  }

  private void markFull(int block) {
    full.getAndAccumulate(block >>> 6, 1L << block, (a, b) -> a | b);
  }

  private void clearFull(int block) {
    full.getAndAccumulate(block >>> 6, ~(1L << block), (a, b) -> a & b);
  }
}
