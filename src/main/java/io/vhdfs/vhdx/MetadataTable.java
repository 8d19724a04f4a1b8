package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The metadata table, the first 64 KiB of the metadata region: an entry per item, saying where
 * its value lies in the region.
 *
 * <p>Decoding checks the signature, at most 2047 entries of which at most 1024 user items, each
 * (ItemId, IsUser) pair once, each value at most 1 MiB, inside the region, after the table and
 * clear of every other value, and an empty value at offset 0. The metadata region has no checksum,
 * so these bounds are all that stands between a crafted table and a wild read. Which items must
 * be present and understood is {@link VhdxMetadata}'s business.
 *
 * @param entries in table order
 */
record MetadataTable(List<MetadataEntry> entries) {
  /** Bytes of the table at the start of the region. */
  public static final int SIZE = 64 * 1024;
  /** Most entries a table may hold. */
  public static final int MAX_ENTRIES = 2047;
  /** Most user items a table may hold. */
  public static final int MAX_USER_ENTRIES = 1024;
  /** Largest value of one item. */
  public static final int MAX_ITEM_LENGTH = 1 << 20;

  static final byte[] SIGNATURE = "metadata".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_SIZE = 32;

  /** Copies the entry list. */
  public MetadataTable {
    entries = List.copyOf(entries);
    if (entries.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("a metadata table holds at most 2047 entries");
    }
  }

  /**
   * Decodes and checks the table in {@code b} (its first {@link #SIZE} bytes).
   *
   * @param regionLength bytes of the metadata region, which every value must lie inside
   * @param file the image, for messages
   * @param regionOffset the region's file offset, for messages
   */
  public static MetadataTable decode(byte[] b, long regionLength, String file, long regionOffset)
      throws VhdFormatException {
    if (b.length < SIZE || regionLength < SIZE) {
      throw new VhdFormatException(file, regionOffset, "metadata region of " + regionLength
          + " bytes cannot hold its 64 KiB table");
    }
    if (!LittleEndian.matches(b, 0, SIGNATURE)) {
      throw new VhdFormatException(file, regionOffset, "metadata table has no 'metadata' "
          + "signature");
    }
    int count = LittleEndian.uint16(b, 10);
    if (count > MAX_ENTRIES) {
      throw new VhdFormatException(file, regionOffset + 10, "metadata table claims " + count
          + " entries; at most 2047 are allowed");
    }
    List<MetadataEntry> entries = new ArrayList<>(count);
    Set<String> seen = new HashSet<>();
    int users = 0;
    for (int i = 0; i < count; i++) {
      int off = HEADER_SIZE + i * MetadataEntry.SIZE;
      long at = regionOffset + off;
      int flags = LittleEndian.int32(b, off + 24);
      MetadataEntry e = new MetadataEntry(MsGuid.read(b, off), LittleEndian.uint32(b, off + 16),
          LittleEndian.uint32(b, off + 20), (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0,
          flags);
      String name = nameOf(e);
      if (e.length() > MAX_ITEM_LENGTH) {
        throw new VhdFormatException(file, at + 20, name + " is " + e.length()
            + " bytes long; at most 1 MiB is allowed");
      }
      if (e.length() == 0) {
        if (e.offset() != 0) {
          throw new VhdFormatException(file, at + 16, name + " is empty but has offset "
              + e.offset() + " (must be 0)");
        }
      } else if (e.offset() < SIZE || e.end() > regionLength) {
        throw new VhdFormatException(file, at + 16, name + " at region offset " + e.offset()
            + " (" + e.length() + " bytes) is not between the table's end and the region's end ("
            + regionLength + " bytes)");
      }
      if (!seen.add(e.itemId() + "/" + e.isUser())) {
        throw new VhdFormatException(file, at, name + " appears twice in the metadata table");
      }
      if (e.isUser() && ++users > MAX_USER_ENTRIES) {
        throw new VhdFormatException(file, at, "more than 1024 user metadata items");
      }
      entries.add(e);
    }
    List<MetadataEntry> byOffset = new ArrayList<>(entries);
    byOffset.removeIf(e -> e.length() == 0);
    byOffset.sort((x, y) -> Long.compare(x.offset(), y.offset()));
    for (int i = 1; i < byOffset.size(); i++) {
      MetadataEntry before = byOffset.get(i - 1);
      MetadataEntry after = byOffset.get(i);
      if (after.offset() < before.end()) {
        throw new VhdFormatException(file, regionOffset + after.offset(), "the values of "
            + nameOf(before) + " and " + nameOf(after) + " overlap");
      }
    }
    return new MetadataTable(entries);
  }

  /** The system (not user) item with this GUID, if the table has one. */
  public Optional<MetadataEntry> system(UUID itemId) {
    return entries.stream().filter(e -> !e.isUser() && e.itemId().equals(itemId)).findFirst();
  }

  /** How messages name an item. */
  static String nameOf(MetadataEntry e) {
    String known = e.isUser() ? null : VhdxMetadata.knownItemName(e.itemId());
    if (known != null) {
      return "metadata item " + known;
    }
    return (e.isUser() ? "user" : "system") + " metadata item " + e.itemId();
  }

  /** The 64 KiB table, reserved bytes zero. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(SIGNATURE, 0, b, 0, SIGNATURE.length);
    LittleEndian.putInt16(b, 10, entries.size());
    for (int i = 0; i < entries.size(); i++) {
      MetadataEntry e = entries.get(i);
      int off = HEADER_SIZE + i * MetadataEntry.SIZE;
      MsGuid.write(b, off, e.itemId());
      LittleEndian.putInt32(b, off + 16, (int) e.offset());
      LittleEndian.putInt32(b, off + 20, (int) e.length());
      LittleEndian.putInt32(b, off + 24, e.flags());
    }
    return b;
  }
}
