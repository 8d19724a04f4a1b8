package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What a small fixed or dynamic VHD image holds, read straight from the format description
 * ({@code vhd-format.md} section 1) and the public contract's rules (DESIGN.md §1 and §3), with
 * no library class: the oracle for images whose metadata a test edited at random, where no
 * builder knows the answer.
 *
 * <p>Rules: the footer is the last 512 bytes, else the 511 of a pre-2004 footer, else the copy at
 * 0, each only with its cookie and a right checksum. The size is C x H x S x 512 for creators
 * {@code "vpc "} and {@code "qemu"} unless the geometry is 65535/16/255, the current size
 * otherwise. A fixed disk is the first {@code size} bytes of the file; a dynamic one reads block
 * by block through the BAT of the header the footer points at, zeros where an entry is unused or
 * a bitmap bit clear. Where these rules give no reading, or the metadata contradicts itself (the
 * table does not cover the disk, a block lies outside the file, over metadata or over another
 * block), the image has no defined content: {@link #read} says why instead.
 */
public final class SpecReader {
  private static final int SECTOR = 512;
  private static final int UNUSED = 0xFFFFFFFF;

  private final byte[] file;
  private final long size;
  private final boolean fixed;
  private final int blockSize;
  private final int bitmapSize;
  private final long[] blockAt;

  private SpecReader(byte[] file, long size, boolean fixed, int blockSize, long[] blockAt) {
    this.file = file;
    this.size = size;
    this.fixed = fixed;
    this.blockSize = blockSize;
    this.bitmapSize = fixed ? 0 : VhdImageBuilder.bitmapSize(blockSize);
    this.blockAt = blockAt;
  }

  /** The reading of an image, or why the format defines none. */
  public sealed interface Outcome permits Reading, NoReading {}

  /** A defined disk: its size and its bytes. */
  public record Reading(SpecReader disk) implements Outcome {}

  /** No defined content, and why. */
  public record NoReading(String why) implements Outcome {}

  /** Reads {@code image}, which must be small enough to hold in memory. */
  public static Outcome read(Path image) throws IOException {
    return read(Files.readAllBytes(image));
  }

  static Outcome read(byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file);
    int footer = -1;
    int footerLength = SECTOR;
    if (file.length >= SECTOR && validFooter(file, file.length - SECTOR, SECTOR)) {
      footer = file.length - SECTOR;
    } else if (file.length >= SECTOR - 1 && validFooter(file, file.length - 511, 511)) {
      footer = file.length - 511;
      footerLength = 511;
    } else if (file.length >= 2 * SECTOR && validFooter(file, 0, SECTOR)) {
      footer = 0;
    }
    if (footer < 0) {
      return new NoReading("no footer with its cookie and a right checksum");
    }
    long size = virtualSize(file, footer);
    if (size < 0) {
      return new NoReading("negative size " + size);
    }
    int type = b.getInt(footer + VhdImageBuilder.F_DISK_TYPE);
    if (type == VhdImageBuilder.DiskType.FIXED.code) {
      long data = footer == 0 ? -1 : file.length - footerLength;
      if (data < 0) {
        return new NoReading("a fixed image's only footer is at 0, where its data starts");
      }
      if (size > data) {
        return new NoReading("fixed size " + size + " beyond the " + data + " bytes of data");
      }
      return new Reading(new SpecReader(file, size, true, 0, new long[0]));
    }
    if (type != VhdImageBuilder.DiskType.DYNAMIC.code) {
      return new NoReading("disk type " + type + " is neither fixed nor dynamic");
    }
    return readDynamic(file, footer, size);
  }

  private static Outcome readDynamic(byte[] file, int footer, long size) {
    ByteBuffer b = ByteBuffer.wrap(file);
    long header = b.getLong(footer + VhdImageBuilder.F_DATA_OFFSET);
    if (header < 0 || header > file.length - VhdImageBuilder.HEADER_SIZE
        || !ascii(file, (int) header, 8).equals("cxsparse")) {
      return new NoReading("no dynamic header at " + header);
    }
    int h = (int) header;
    long table = b.getLong(h + VhdImageBuilder.H_TABLE_OFFSET);
    long entries = Integer.toUnsignedLong(b.getInt(h + VhdImageBuilder.H_MAX_TABLE_ENTRIES));
    long blockSize = Integer.toUnsignedLong(b.getInt(h + VhdImageBuilder.H_BLOCK_SIZE));
    if (blockSize < SECTOR || Long.bitCount(blockSize) != 1 || blockSize > (1L << 30)) {
      return new NoReading("block size " + blockSize);
    }
    long blocks = (size + blockSize - 1) / blockSize;
    if (blocks > entries) {
      return new NoReading(blocks + " blocks of disk, " + entries + " table entries");
    }
    if (table < 0 || table + 4 * entries > file.length) {
      return new NoReading("table at " + table + " of " + entries + " entries outside the file");
    }
    long span = VhdImageBuilder.bitmapSize((int) blockSize) + blockSize;
    long end = footer == file.length - 511 ? footer : file.length - SECTOR; // the end footer
    // Metadata no block may cover: footer copy, header, table (whole sectors), end footer.
    long[][] metadata = {
        {0, file.length > SECTOR && validFooter(file, 0, SECTOR) ? SECTOR : 0},
        {header, header + VhdImageBuilder.HEADER_SIZE},
        {table, roundUp(table + 4 * entries)},
    };
    long[] blockAt = new long[(int) blocks];
    for (int i = 0; i < blocks; i++) {
      int entry = b.getInt((int) table + 4 * i);
      if (entry == UNUSED) {
        blockAt[i] = -1;
        continue;
      }
      long at = Integer.toUnsignedLong(entry) * SECTOR;
      if (at + span > end) {
        return new NoReading("block " + i + " at " + at + " runs past the data area");
      }
      for (long[] m : metadata) {
        if (at < m[1] && m[0] < at + span) {
          return new NoReading("block " + i + " at " + at + " over metadata " + m[0]);
        }
      }
      blockAt[i] = at;
    }
    long[] starts = Arrays.stream(blockAt).filter(at -> at >= 0).sorted().toArray();
    for (int k = 1; k < starts.length; k++) {
      if (starts[k] < starts[k - 1] + span) {
        return new NoReading("blocks at " + starts[k - 1] + " and " + starts[k] + " overlap");
      }
    }
    return new Reading(new SpecReader(file, size, false, (int) blockSize, blockAt));
  }

  /** The disk's size in bytes. */
  public long size() {
    return size;
  }

  /** {@code length} bytes of the disk from {@code offset}; zeros past its end. */
  public byte[] content(long offset, int length) {
    byte[] out = new byte[length];
    for (int done = 0; done < length; ) {
      long pos = offset + done;
      if (pos >= size) {
        break;
      }
      if (fixed) {
        int n = (int) Math.min(length - done, size - pos);
        System.arraycopy(file, (int) pos, out, done, n);
        done += n;
        continue;
      }
      int block = (int) (pos / blockSize);
      int inBlock = (int) (pos % blockSize);
      int sector = inBlock / SECTOR;
      int n = (int) Math.min(Math.min(length - done, SECTOR - inBlock % SECTOR), size - pos);
      long at = blockAt[block];
      if (at >= 0 && (file[(int) at + sector / 8] & (0x80 >>> (sector % 8))) != 0) {
        System.arraycopy(file, (int) (at + bitmapSize + inBlock), out, done, n);
      }
      done += n;
    }
    return out;
  }

  private static boolean validFooter(byte[] file, int at, int length) {
    if (!ascii(file, at, 8).equals("conectix")) {
      return false;
    }
    byte[] footer = Arrays.copyOf(Arrays.copyOfRange(file, at, at + length), SECTOR);
    int stored = ByteBuffer.wrap(footer).getInt(VhdImageBuilder.F_CHECKSUM);
    return stored == VhdImageBuilder.checksum(footer, VhdImageBuilder.F_CHECKSUM);
  }

  private static long virtualSize(byte[] file, int footer) {
    ByteBuffer b = ByteBuffer.wrap(file);
    String creator = ascii(file, footer + VhdImageBuilder.F_CREATOR_APP, 4);
    long cylinders = b.getShort(footer + VhdImageBuilder.F_GEOMETRY) & 0xFFFF;
    long heads = file[footer + VhdImageBuilder.F_GEOMETRY + 2] & 0xFF;
    long sectors = file[footer + VhdImageBuilder.F_GEOMETRY + 3] & 0xFF;
    boolean maxChs = cylinders == 65535 && heads == 16 && sectors == 255;
    if ((creator.equals("vpc ") || creator.equals("qemu")) && !maxChs) {
      return cylinders * heads * sectors * SECTOR;
    }
    return b.getLong(footer + VhdImageBuilder.F_CURRENT_SIZE);
  }

  private static String ascii(byte[] file, int at, int length) {
    return new String(file, at, length, StandardCharsets.ISO_8859_1);
  }

  private static long roundUp(long offset) {
    return (offset + SECTOR - 1) / SECTOR * SECTOR;
  }
}
