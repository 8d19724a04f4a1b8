package io.vhdfs.vhdx;

import java.util.Objects;
import java.util.UUID;

/**
 * One entry of the metadata table: which item, where its value lies in the metadata region, and
 * its flags.
 *
 * @param itemId the item's GUID; unique together with {@code isUser}
 * @param offset from the region start; at least 64 KiB, or 0 for an empty item
 * @param length bytes of the value, at most 1 MiB
 * @param isUser a user item rather than a system one
 * @param isVirtualDisk belongs to the virtual disk (copied to a new child)
 * @param isRequired a reader that does not know the item must refuse the file
 * @param flags the whole flags field as stored, for byte-exact encoding
 */
record MetadataEntry(
    UUID itemId, long offset, long length, boolean isUser, boolean isVirtualDisk,
    boolean isRequired, int flags) {
  /** Bytes of an entry. */
  public static final int SIZE = 32;

  /** Checks the field widths and that the booleans are the flags' bits 0-2. */
  public MetadataEntry {
    Objects.requireNonNull(itemId, "itemId");
    if ((offset >>> 32) != 0 || (length >>> 32) != 0) {
      throw new IllegalArgumentException("metadata offsets and lengths are 32-bit fields");
    }
    if (isUser != ((flags & 1) != 0) || isVirtualDisk != ((flags & 2) != 0)
        || isRequired != ((flags & 4) != 0)) {
      throw new IllegalArgumentException("the booleans must be bits 0-2 of flags");
    }
  }

  /** An entry whose flags field holds just the three defined bits. */
  public static MetadataEntry of(UUID itemId, long offset, long length, boolean isUser,
      boolean isVirtualDisk, boolean isRequired) {
    int flags = (isUser ? 1 : 0) | (isVirtualDisk ? 2 : 0) | (isRequired ? 4 : 0);
    return new MetadataEntry(itemId, offset, length, isUser, isVirtualDisk, isRequired, flags);
  }

  /** The region offset just past the value. */
  public long end() {
    return offset + length;
  }
}
