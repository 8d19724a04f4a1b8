package io.vhdfs.fuzz;

import io.vhdfs.nio.VhdImages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.opentest4j.AssertionFailedError;

/**
 * What an opened disk reads as: every byte of a small disk; of a large one (a crafted size can
 * claim terabytes of zeros), the first and last MiB and every stretch the image or its parent
 * stores, which together can be no larger than the files. Reads go through the channel, in
 * pieces of at most 1 MiB, and must end in -1 exactly at the size.
 */
final class DiskContent {
  static final int MIB = 1 << 20;
  /** Up to this size every byte is read. */
  static final long WHOLE_READ_LIMIT = 8L * MIB;

  /** Bytes read, by virtual offset. */
  final TreeMap<Long, byte[]> ranges = new TreeMap<>();
  final long size;

  private DiskContent(long size) {
    this.size = size;
  }

  /** Reads the disk of {@code fs}, the file system of {@code image.image()}. */
  static DiskContent read(FileSystem fs, FuzzedImage image) throws IOException {
    Path disk = fs.getPath("/disk");
    try (FileChannel ch = FileChannel.open(disk)) {
      long size = ch.size();
      if (size < 0 || size != Files.size(disk)) {
        throw new AssertionFailedError("channel size " + size + ", Files.size "
            + Files.size(disk));
      }
      DiskContent c = new DiskContent(size);
      if (size <= WHOLE_READ_LIMIT) {
        c.readRange(ch, 0, size);
      } else {
        c.readRange(ch, 0, MIB);
        c.readRange(ch, size - MIB, MIB);
        for (VhdImages.Extent e : VhdImages.extents(image.image(), image.env("readOnly"))) {
          if (e.data()) {
            c.readRange(ch, e.offset(), e.length());
          }
        }
      }
      if (ch.read(ByteBuffer.allocate(1), size) != -1) {
        throw new AssertionFailedError("a read at the size " + size + " did not return -1");
      }
      return c;
    }
  }

  private void readRange(FileChannel ch, long from, long length) throws IOException {
    if (from < 0 || length < 0 || from + length > size) {
      throw new AssertionFailedError("range " + from + "+" + length + " outside the disk of "
          + size + " bytes");
    }
    for (long at = from; at < from + length; at += MIB) {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(MIB, from + length - at));
      while (buf.hasRemaining()) {
        if (ch.read(buf, at + buf.position()) < 0) {
          throw new AssertionFailedError("end of stream at " + (at + buf.position())
              + ", before the size " + size);
        }
      }
      ranges.put(at, buf.array());
    }
  }

  /**
   * Fails unless {@code after} read the same bytes wherever both read, except inside
   * {@code changed} (offset to the bytes written there), which must read as written.
   */
  void assertSameAs(DiskContent after, Map<Long, byte[]> changed, String what) {
    if (after.size != size) {
      throw new AssertionFailedError(what + ": the size changed from " + size + " to "
          + after.size);
    }
    for (Map.Entry<Long, byte[]> r : ranges.entrySet()) {
      byte[] after0 = after.ranges.get(r.getKey());
      if (after0 == null) {
        continue; // a large disk's other read: compared where both have it
      }
      byte[] want = r.getValue().clone();
      for (Map.Entry<Long, byte[]> w : changed.entrySet()) {
        overlay(want, r.getKey(), w.getKey(), w.getValue());
      }
      // Keys of a large disk's reads can hold different lengths when its extents changed.
      int n = Math.min(want.length, after0.length);
      int i = Arrays.mismatch(want, 0, n, after0, 0, n);
      if (i >= 0) {
        throw new AssertionFailedError(String.format("%s: virtual offset %d reads 0x%02X, "
            + "expected 0x%02X", what, r.getKey() + i, after0[i], want[i]));
      }
    }
  }

  /** Copies the part of {@code data} (at virtual {@code at}) that falls into {@code target}. */
  static void overlay(byte[] target, long targetAt, long at, byte[] data) {
    long from = Math.max(targetAt, at);
    long to = Math.min(targetAt + target.length, at + data.length);
    if (from < to) {
      System.arraycopy(data, (int) (from - at), target, (int) (from - targetAt),
          (int) (to - from));
    }
  }
}
