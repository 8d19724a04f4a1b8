package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Makes a range of a disk read as zeros by writing zeros only over the sectors that do not read
 * as zeros already. A sparse disk therefore allocates nothing for a range that reads as zeros
 * (unallocated blocks, or a parent's zeros), and a host file keeps its holes; the cost is one read
 * of what the range stores.
 */
public final class ZeroFill {
  /** Bytes read at once. */
  static final int CHUNK = 1 << 20;
  private static final int SECTOR = 512;
  private static final byte[] ZEROS = new byte[64 * 1024];

  private ZeroFill() {}

  /** Where the zeros go: the disk's own write, or one that keeps some bookkeeping out. */
  @FunctionalInterface
  public interface Writer {
    /** Writes all of {@code src} at {@code position}. */
    void write(ByteBuffer src, long position) throws IOException;
  }

  /**
   * Reads {@code [position, position + length)} of {@code disk}, a range the caller has checked
   * lies inside it, and writes zeros through {@code writer} over every run of sectors (clipped to
   * the range) that holds a byte that is not zero.
   */
  public static void over(VirtualDisk disk, long position, long length, Writer writer)
      throws IOException {
    if (length <= 0) {
      return;
    }
    // Only stored bytes can be other than zero: the disk's extents say where they are, so
    // unallocated space is skipped unread.
    ExtentCursor extents = disk.extents(position, position + length);
    ByteBuffer buf = null;
    for (Extent e = extents.next(); e != null; e = extents.next()) {
      if (!e.data()) {
        continue;
      }
      if (buf == null) {
        buf = ByteBuffer.allocate((int) Math.min(CHUNK, length));
      }
      byte[] b = buf.array();
      for (long at = e.offset(); at < e.offset() + e.length(); ) {
        int n = (int) Math.min(buf.capacity(), e.offset() + e.length() - at);
        readFully(disk, buf.clear().limit(n), at);
        if (!isZero(b, 0, n)) {
          zeroSectorsHoldingData(b, n, at, writer);
        }
        at += n;
      }
    }
  }

  /** Writes zeros over the sectors of {@code b[0, n)}, read at {@code at}, that are not zero. */
  private static void zeroSectorsHoldingData(byte[] b, int n, long at, Writer writer)
      throws IOException {
    int runStart = -1;
    for (int i = 0; i < n; ) {
      // Sector boundaries of the disk, not of the buffer: a run is whole sectors but at its ends.
      int next = (int) Math.min(n, ((at + i) / SECTOR + 1) * SECTOR - at);
      boolean zero = isZero(b, i, next);
      if (!zero && runStart < 0) {
        runStart = i;
      } else if (zero && runStart >= 0) {
        writeZeros(b, runStart, i, at, writer);
        runStart = -1;
      }
      i = next;
    }
    if (runStart >= 0) {
      writeZeros(b, runStart, n, at, writer);
    }
  }

  private static void writeZeros(byte[] b, int from, int to, long at, Writer writer)
      throws IOException {
    Arrays.fill(b, from, to, (byte) 0);
    writer.write(ByteBuffer.wrap(b, from, to - from), at + from);
  }

  private static void readFully(VirtualDisk disk, ByteBuffer dst, long position)
      throws IOException {
    long at = position;
    while (dst.hasRemaining()) {
      int n = disk.read(dst, at);
      if (n < 0) {
        throw new IOException("the disk ended at " + at + " while reading a range to zero");
      }
      at += n;
    }
  }

  /** Whether {@code b[from, to)} is all zeros. */
  static boolean isZero(byte[] b, int from, int to) {
    for (int at = from; at < to; at += ZEROS.length) {
      int n = Math.min(ZEROS.length, to - at);
      if (Arrays.mismatch(b, at, at + n, ZEROS, 0, n) >= 0) {
        return false;
      }
    }
    return true;
  }
}
