package io.vhdfs.testing;

import static io.vhdfs.testing.VhdImageBuilder.F_CHECKSUM;
import static io.vhdfs.testing.VhdImageBuilder.H_BLOCK_SIZE;
import static io.vhdfs.testing.VhdImageBuilder.H_CHECKSUM;
import static io.vhdfs.testing.VhdImageBuilder.H_MAX_TABLE_ENTRIES;
import static io.vhdfs.testing.VhdImageBuilder.H_TABLE_OFFSET;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Reads back the metadata of an image on any host provider, for tests that check what the
 * library wrote: the footer at the end and its copy at 0, the dynamic header, the BAT. Offsets are
 * those of {@link VhdImageBuilder}; numbers are big-endian.
 */
public final class ImageLayout {
  private ImageLayout() {}

  /** A 512-byte footer. */
  public record Footer(byte[] bytes) {
    public String cookie() {
      return new String(bytes, 0, 8, StandardCharsets.ISO_8859_1);
    }

    public int features() {
      return buf().getInt(VhdImageBuilder.F_FEATURES);
    }

    public int formatVersion() {
      return buf().getInt(VhdImageBuilder.F_FORMAT_VERSION);
    }

    public long dataOffset() {
      return buf().getLong(VhdImageBuilder.F_DATA_OFFSET);
    }

    public String creatorApplication() {
      return new String(bytes, VhdImageBuilder.F_CREATOR_APP, 4, StandardCharsets.ISO_8859_1);
    }

    public int creatorVersion() {
      return buf().getInt(VhdImageBuilder.F_CREATOR_VERSION);
    }

    public String creatorHostOs() {
      return new String(bytes, VhdImageBuilder.F_CREATOR_HOST_OS, 4, StandardCharsets.ISO_8859_1);
    }

    public long originalSize() {
      return buf().getLong(VhdImageBuilder.F_ORIGINAL_SIZE);
    }

    public long currentSize() {
      return buf().getLong(VhdImageBuilder.F_CURRENT_SIZE);
    }

    /** The four geometry bytes as one int: cylinders (16 bits), heads, sectors per track. */
    public int geometry() {
      return buf().getInt(VhdImageBuilder.F_GEOMETRY);
    }

    public int diskType() {
      return buf().getInt(VhdImageBuilder.F_DISK_TYPE);
    }

    public boolean checksumValid() {
      return buf().getInt(F_CHECKSUM) == VhdImageBuilder.checksum(bytes, F_CHECKSUM);
    }

    public UUID uniqueId() {
      return new UUID(buf().getLong(VhdImageBuilder.F_UNIQUE_ID),
          buf().getLong(VhdImageBuilder.F_UNIQUE_ID + 8));
    }

    public int savedState() {
      return bytes[VhdImageBuilder.F_SAVED_STATE];
    }

    /** Whether bytes 85..511 (reserved) are all zero. */
    public boolean reservedIsZero() {
      for (int i = VhdImageBuilder.F_SAVED_STATE + 1; i < bytes.length; i++) {
        if (bytes[i] != 0) {
          return false;
        }
      }
      return true;
    }

    private ByteBuffer buf() {
      return ByteBuffer.wrap(bytes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Footer f && Arrays.equals(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return String.format("footer[%s type=%d current=%d geometry=%08x creator='%s' checksum %s]",
          cookie(), diskType(), currentSize(), geometry(), creatorApplication(),
          checksumValid() ? "ok" : "BAD");
    }
  }

  /** A 1024-byte dynamic header. */
  public record Header(byte[] bytes) {
    public String cookie() {
      return new String(bytes, 0, 8, StandardCharsets.ISO_8859_1);
    }

    public long dataOffset() {
      return ByteBuffer.wrap(bytes).getLong(VhdImageBuilder.H_DATA_OFFSET);
    }

    public long tableOffset() {
      return ByteBuffer.wrap(bytes).getLong(H_TABLE_OFFSET);
    }

    public int headerVersion() {
      return ByteBuffer.wrap(bytes).getInt(VhdImageBuilder.H_HEADER_VERSION);
    }

    public int maxTableEntries() {
      return ByteBuffer.wrap(bytes).getInt(H_MAX_TABLE_ENTRIES);
    }

    public int blockSize() {
      return ByteBuffer.wrap(bytes).getInt(H_BLOCK_SIZE);
    }

    public boolean checksumValid() {
      return ByteBuffer.wrap(bytes).getInt(H_CHECKSUM) == VhdImageBuilder.checksum(bytes, H_CHECKSUM);
    }

    /** Whether bytes 40..1023 (parent id, time stamp, name, locators, reserved) are all zero. */
    public boolean parentFieldsAndReservedAreZero() {
      for (int i = VhdImageBuilder.H_PARENT_ID; i < bytes.length; i++) {
        if (bytes[i] != 0) {
          return false;
        }
      }
      return true;
    }
  }

  /** The footer in the last 512 bytes. */
  public static Footer endFooter(Path image) throws IOException {
    return new Footer(HostBytes.read(image, Files.size(image) - 512, 512));
  }

  /** The first 512 bytes (the footer copy of a dynamic image). */
  public static Footer copyFooter(Path image) throws IOException {
    return new Footer(HostBytes.read(image, 0, 512));
  }

  /** The dynamic header the end footer points at. */
  public static Header header(Path image) throws IOException {
    return new Header(HostBytes.read(image, endFooter(image).dataOffset(), 1024));
  }

  /** The BAT entries (sector numbers; -1 = unallocated). */
  public static int[] bat(Path image, Header header) throws IOException {
    byte[] raw = HostBytes.read(image, header.tableOffset(), header.maxTableEntries() * 4);
    int[] entries = new int[header.maxTableEntries()];
    ByteBuffer.wrap(raw).asIntBuffer().get(entries);
    return entries;
  }

  /** Bytes of a block's sector bitmap: one bit per sector, rounded up to whole sectors. */
  public static int bitmapBytes(int blockSize) {
    int bits = blockSize / 512;
    return ((bits + 8 * 512 - 1) / (8 * 512)) * 512;
  }

  /**
   * Problems with the allocated blocks of a dynamic image, empty when none: every entry must point
   * past the BAT, its bitmap and data must end before the end footer, blocks must not overlap, and
   * (the contract of this library) data must start on a 4 KiB boundary of the host file.
   */
  public static List<String> blockProblems(Path image, boolean require4KiBData)
      throws IOException {
    Header h = header(image);
    int[] bat = bat(image, h);
    long fileSize = Files.size(image);
    long metadataEnd = h.tableOffset() + ((h.maxTableEntries() * 4L + 511) / 512) * 512;
    long blockBytes = bitmapBytes(h.blockSize()) + (long) h.blockSize();
    List<String> problems = new ArrayList<>();
    List<long[]> spans = new ArrayList<>();
    for (int i = 0; i < bat.length; i++) {
      if (bat[i] == -1) {
        continue;
      }
      long start = Integer.toUnsignedLong(bat[i]) * 512;
      long data = start + bitmapBytes(h.blockSize());
      if (start < metadataEnd) {
        problems.add("block " + i + " at " + start + " overlaps the metadata ending at "
            + metadataEnd);
      }
      if (start + blockBytes > fileSize - 512) {
        problems.add("block " + i + " at " + start + " ends at " + (start + blockBytes)
            + ", past the end footer at " + (fileSize - 512));
      }
      if (require4KiBData && data % 4096 != 0) {
        problems.add("block " + i + ": data at host offset " + data
            + " is not on a 4 KiB boundary");
      }
      spans.add(new long[] {start, start + blockBytes, i});
    }
    spans.sort((a, b) -> Long.compare(a[0], b[0]));
    for (int i = 1; i < spans.size(); i++) {
      if (spans.get(i)[0] < spans.get(i - 1)[1]) {
        problems.add("blocks " + spans.get(i - 1)[2] + " and " + spans.get(i)[2] + " overlap");
      }
    }
    return problems;
  }

  /** Number of BAT entries that are not 0xFFFFFFFF. */
  public static int allocatedBlocks(Path image) throws IOException {
    int n = 0;
    for (int e : bat(image, header(image))) {
      if (e != -1) {
        n++;
      }
    }
    return n;
  }
}
