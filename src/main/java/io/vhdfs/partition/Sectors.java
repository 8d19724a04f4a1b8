package io.vhdfs.partition;

import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A disk read in whole logical sectors, the unit partition tables count in. */
final class Sectors {
  private final VirtualDisk disk;
  private final int size;
  private final long count;

  Sectors(VirtualDisk disk, int size) {
    if (size < 512 || Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException("sector size " + size + " is not a power of two >= 512");
    }
    this.disk = disk;
    this.size = size;
    this.count = disk.size() / size;
  }

  /** Bytes per sector. */
  int size() {
    return size;
  }

  /** Whole sectors on the disk; a partial last sector is not addressable. */
  long count() {
    return count;
  }

  /** Reads sector {@code lba}, which must be on the disk. */
  byte[] read(long lba) throws IOException {
    return read(lba, size);
  }

  /** Reads {@code length} bytes from the start of sector {@code lba}; all of them on the disk. */
  byte[] read(long lba, int length) throws IOException {
    long at = lba * size;
    if (lba < 0 || lba >= count || length > disk.size() - at) {
      throw new IllegalArgumentException(length + " bytes at sector " + lba + " are not on the "
          + "disk of " + count + " sectors");
    }
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (disk.read(buf, at + buf.position()) <= 0) {
        throw new IOException("the disk ended at byte " + (at + buf.position()) + " while its "
            + "size is " + disk.size());
      }
    }
    return buf.array();
  }
}
