package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A region table (64 KiB, two copies at 192 KiB and 256 KiB): the GUID, place and length of the
 * BAT, the metadata region and any region this reader does not know.
 *
 * <p>Decoding checks the signature, the CRC-32C over all 64 KiB, at most 2047 entries, each
 * offset a multiple of 1 MiB from 1 MiB on, each length a multiple of 1 MiB, unique GUIDs, exactly
 * one BAT and one metadata region, both non-empty, regions that do not overlap, and no unknown
 * region marked required. The Required bit of the two known regions is not insisted on: QEMU writes
 * 0 there. Whether the regions lie inside the file and clear of the log is
 * {@link StructureAreas}' check, which knows the file's size and the header.
 *
 * @param entries in table order
 */
record RegionTable(List<RegionEntry> entries) {
  /** Bytes of a table copy. */
  public static final int SIZE = 64 * 1024;
  /** File offset of copy 1. */
  public static final long COPY1_OFFSET = 0x30000;
  /** File offset of copy 2. */
  public static final long COPY2_OFFSET = 0x40000;
  /** Most entries a table may hold. */
  public static final int MAX_ENTRIES = 2047;
  /** The BAT region, 2DC27766-F623-4200-9D64-115E9BFD4A08. */
  public static final UUID BAT = UUID.fromString("2DC27766-F623-4200-9D64-115E9BFD4A08");
  /** The metadata region, 8B7CA206-4790-4B9A-B8FE-575F050F886E. */
  public static final UUID METADATA = UUID.fromString("8B7CA206-4790-4B9A-B8FE-575F050F886E");

  static final byte[] SIGNATURE = "regi".getBytes(StandardCharsets.US_ASCII);
  static final int CHECKSUM_OFFSET = 4;
  private static final int HEADER_SIZE = 16;
  private static final long MIB = 1 << 20;

  /** Copies the entry list. */
  public RegionTable {
    entries = List.copyOf(entries);
    if (entries.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("a region table holds at most 2047 entries");
    }
  }

  /**
   * Decodes and checks the 64 KiB table copy in {@code b}.
   *
   * @param file the image, for messages
   * @param at the copy's file offset, for messages
   */
  public static RegionTable decode(byte[] b, String file, long at) throws VhdFormatException {
    if (b.length < SIZE) {
      throw new VhdFormatException(file, at, "region table truncated");
    }
    if (!LittleEndian.matches(b, 0, SIGNATURE)) {
      throw new VhdFormatException(file, at, "region table has no 'regi' signature");
    }
    Crc32cField.verify(b, 0, SIZE, CHECKSUM_OFFSET, "region table", file, at);
    long count = LittleEndian.uint32(b, 8);
    if (count > MAX_ENTRIES) {
      throw new VhdFormatException(file, at + 8, "region table claims " + count
          + " entries; at most 2047 are allowed");
    }
    List<RegionEntry> entries = new ArrayList<>((int) count);
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < count; i++) {
      int off = HEADER_SIZE + i * RegionEntry.SIZE;
      long entryAt = at + off;
      UUID guid = MsGuid.read(b, off);
      long fileOffset = LittleEndian.int64(b, off + 16);
      long length = LittleEndian.uint32(b, off + 24);
      int requiredField = LittleEndian.int32(b, off + 28);
      RegionEntry e = new RegionEntry(guid, fileOffset, length, (requiredField & 1) != 0,
          requiredField);
      String name = nameOf(e);
      if (fileOffset < MIB || fileOffset % MIB != 0) {
        throw new VhdFormatException(file, entryAt + 16, name + " offset "
            + Long.toUnsignedString(fileOffset) + " is not a multiple of 1 MiB from 1 MiB on");
      }
      if (length % MIB != 0) {
        throw new VhdFormatException(file, entryAt + 24, name + " length " + length
            + " is not a multiple of 1 MiB");
      }
      if (e.known() && length == 0) {
        throw new VhdFormatException(file, entryAt + 24, name + " is empty");
      }
      if (!seen.add(guid)) {
        throw new VhdFormatException(file, entryAt, "region " + guid
            + " appears twice in the region table");
      }
      if (!e.known() && e.required()) {
        throw new VhdFormatException(file, entryAt, "unknown required region " + guid
            + ": this reader cannot open the file without understanding it");
      }
      entries.add(e);
    }
    RegionTable table = new RegionTable(entries);
    if (table.find(BAT) == null) {
      throw new VhdFormatException(file, at, "region table has no BAT region");
    }
    if (table.find(METADATA) == null) {
      throw new VhdFormatException(file, at, "region table has no metadata region");
    }
    List<RegionEntry> byOffset = new ArrayList<>(entries);
    byOffset.removeIf(e -> e.length() == 0);
    // Not Comparator.comparingLong: its serializable lambda is bound through method handles
    // on first use, some 15 ms of a short run of the tool (issue 14).
    byOffset.sort((x, y) -> Long.compare(x.fileOffset(), y.fileOffset()));
    for (int i = 1; i < byOffset.size(); i++) {
      RegionEntry before = byOffset.get(i - 1);
      RegionEntry after = byOffset.get(i);
      if (after.fileOffset() < before.end()) {
        throw new VhdFormatException(file, at, nameOf(before) + " and " + nameOf(after)
            + " overlap at file offset " + after.fileOffset());
      }
    }
    return table;
  }

  /** The BAT region. */
  public RegionEntry bat() {
    return find(BAT);
  }

  /** The metadata region. */
  public RegionEntry metadata() {
    return find(METADATA);
  }

  /** The regions this reader does not know (all optional, or decoding would have refused). */
  public List<RegionEntry> unknown() {
    return entries.stream().filter(e -> !e.known()).toList();
  }

  private RegionEntry find(UUID guid) {
    for (RegionEntry e : entries) {
      if (e.guid().equals(guid)) {
        return e;
      }
    }
    return null;
  }

  /** How messages name a region. */
  static String nameOf(RegionEntry e) {
    if (e.guid().equals(BAT)) {
      return "BAT region";
    }
    if (e.guid().equals(METADATA)) {
      return "metadata region";
    }
    return "region " + e.guid();
  }

  /** The 64 KiB of this table, checksum included, unused bytes zero. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(SIGNATURE, 0, b, 0, SIGNATURE.length);
    LittleEndian.putInt32(b, 8, entries.size());
    for (int i = 0; i < entries.size(); i++) {
      RegionEntry e = entries.get(i);
      int off = HEADER_SIZE + i * RegionEntry.SIZE;
      MsGuid.write(b, off, e.guid());
      LittleEndian.putInt64(b, off + 16, e.fileOffset());
      LittleEndian.putInt32(b, off + 24, (int) e.length());
      LittleEndian.putInt32(b, off + 28, e.requiredField());
    }
    Crc32cField.store(b, 0, SIZE, CHECKSUM_OFFSET);
    return b;
  }
}
