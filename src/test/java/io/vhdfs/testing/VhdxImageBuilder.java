package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Writes VHDX images for tests, straight from the format notes ({@code docs/vhdx-format.md}
 * sections 1-6). It is an oracle independent of the library: it uses no library class, and it
 * writes the known GUIDs from the notes' on-disk byte column, so a shared misreading of the
 * format cannot hide in both.
 *
 * <p>Layout, the notes' recommendation for a creator (section 6): log 1 MiB at 1 MiB, metadata
 * region 1 MiB at 2 MiB, BAT at 3 MiB (whole MiB, at least one), blocks after it. Each can be
 * moved. Metadata items are packed from region offset 64 KiB in the order File Parameters,
 * Virtual Disk Size, Virtual Disk ID, Logical Sector Size, Physical Sector Size, Parent Locator,
 * then extra items. Region entries are written Required = 1 unless told otherwise.
 *
 * <p>Blocks: a fixed image has every payload block FULLY_PRESENT, in order after the BAT. A
 * dynamic image allocates a block at the end of the file (1 MiB aligned) the first time a write
 * touches it, state FULLY_PRESENT, in write order. A differencing image does the same with state
 * PARTIALLY_PRESENT and sets the written sectors' bits (LSB first) in the chunk's sector bitmap
 * block, allocated at the end of the file when first needed (or for every chunk up front, which
 * keeps libvhdi exact, see the notes section 7.x); blocks named by {@link #fullyPresent} are
 * FULLY_PRESENT instead. Writes in a differencing image must be whole logical sectors.
 *
 * <p>Defaults: 2 MiB blocks, 512-byte logical and physical sectors, creator
 * {@code "vhdfs test builder"}, random GUIDs, header 1 sequence 10 and header 2 sequence 11 (so
 * header 2 is current, as in QEMU's new files), LogGuid zero. The built {@link Image} is a
 * sparse byte model that tests can edit, add log entries to and write out.
 */
public final class VhdxImageBuilder {
  /** The three disk types. */
  public enum Type { FIXED, DYNAMIC, DIFFERENCING }

  public static final int KIB = 1024;
  public static final int MIB = 1 << 20;
  public static final int LOG_SECTOR = 4096;

  // On-disk GUID bytes, copied from the notes' tables.
  public static final byte[] BAT_REGION = hex("6677c22d23f600429d64115e9bfd4a08");
  public static final byte[] METADATA_REGION = hex("06a27c8b90479a4bb8fe575f050f886e");
  public static final byte[] FILE_PARAMETERS = hex("3767a1ca36fa434db3b633f0aa44e76b");
  public static final byte[] VIRTUAL_DISK_SIZE = hex("2442a52f1bcd7648b2115dbed83bf4b8");
  public static final byte[] VIRTUAL_DISK_ID = hex("ab12cabee6b2234593efc309e000c746");
  public static final byte[] LOGICAL_SECTOR_SIZE = hex("1dbf41816fa90947ba47f233a8faab5f");
  public static final byte[] PHYSICAL_SECTOR_SIZE = hex("c748a3cd5d4471449cc9e9885251c556");
  public static final byte[] PARENT_LOCATOR = hex("2d5fd3a80bb34d45abf7d3d84834ab0c");
  public static final byte[] VHDX_PARENT_LOCATOR_TYPE = hex("b7ef4ab09ed1814ab78925b8e9445913");

  public static final long HEADER1 = 0x10000;
  public static final long HEADER2 = 0x20000;
  public static final long REGION_TABLE1 = 0x30000;
  public static final long REGION_TABLE2 = 0x40000;

  private final Type type;
  private final long size;
  private int blockSize = 2 * MIB;
  private int logicalSectorSize = 512;
  private int physicalSectorSize = 512;
  private String creator = "vhdfs test builder";
  private UUID fileWriteGuid = UUID.randomUUID();
  private UUID dataWriteGuid = UUID.randomUUID();
  private UUID virtualDiskId = UUID.randomUUID();
  private long sequence1 = 10;
  private long sequence2 = 11;
  private long logOffset = MIB;
  private long logLength = MIB;
  private long metadataOffset = 2L * MIB;
  private long metadataLength = MIB;
  private long batOffset = 3L * MIB;
  private int regionRequired = 1;
  private final List<long[]> extraRegionPlaces = new ArrayList<>();
  private final List<byte[]> extraRegionGuids = new ArrayList<>();
  private final List<Item> extraItems = new ArrayList<>();
  private final List<byte[]> omittedItems = new ArrayList<>();
  private final LinkedHashMap<String, String> locator = new LinkedHashMap<>();
  private final List<Write> writes = new ArrayList<>();
  private final Map<Long, Integer> stateOverrides = new HashMap<>();
  private final Map<Long, Long> rawEntries = new HashMap<>();
  private final List<Long> fullyPresent = new ArrayList<>();
  private boolean bitmapForEveryChunk;

  private record Write(long offset, byte[] data) {}

  private record Item(byte[] guid, byte[] value, int flags) {}

  private VhdxImageBuilder(Type type, long size) {
    this.type = type;
    this.size = size;
  }

  /** A dynamic image of {@code size} virtual bytes. */
  public static VhdxImageBuilder dynamic(long size) {
    return new VhdxImageBuilder(Type.DYNAMIC, size);
  }

  /** A fixed image: every block allocated, FULLY_PRESENT, LeaveBlockAllocated set. */
  public static VhdxImageBuilder fixed(long size) {
    return new VhdxImageBuilder(Type.FIXED, size);
  }

  /**
   * A differencing image whose {@code parent_linkage} is {@code parentDataWriteGuid} (written
   * lowercase, in braces) and whose {@code relative_path} is {@code relativePath}.
   */
  public static VhdxImageBuilder differencing(long size, UUID parentDataWriteGuid,
      String relativePath) {
    VhdxImageBuilder b = new VhdxImageBuilder(Type.DIFFERENCING, size);
    b.locator.put("parent_linkage", "{" + parentDataWriteGuid + "}");
    b.locator.put("relative_path", relativePath);
    return b;
  }

  public VhdxImageBuilder blockSize(int bytes) {
    this.blockSize = bytes;
    return this;
  }

  public VhdxImageBuilder logicalSectorSize(int bytes) {
    this.logicalSectorSize = bytes;
    return this;
  }

  public VhdxImageBuilder physicalSectorSize(int bytes) {
    this.physicalSectorSize = bytes;
    return this;
  }

  public VhdxImageBuilder creator(String text) {
    this.creator = text;
    return this;
  }

  public VhdxImageBuilder fileWriteGuid(UUID id) {
    this.fileWriteGuid = id;
    return this;
  }

  public VhdxImageBuilder dataWriteGuid(UUID id) {
    this.dataWriteGuid = id;
    return this;
  }

  public VhdxImageBuilder virtualDiskId(UUID id) {
    this.virtualDiskId = id;
    return this;
  }

  /** The sequence numbers of header 1 and header 2. */
  public VhdxImageBuilder sequenceNumbers(long header1, long header2) {
    this.sequence1 = header1;
    this.sequence2 = header2;
    return this;
  }

  /** Where the log lies (whole MiB). */
  public VhdxImageBuilder log(long offset, long length) {
    this.logOffset = offset;
    this.logLength = length;
    return this;
  }

  /** Where the metadata region lies (whole MiB). */
  public VhdxImageBuilder metadataRegion(long offset, long length) {
    this.metadataOffset = offset;
    this.metadataLength = length;
    return this;
  }

  /** Where the BAT region starts (whole MiB); its length is the entries' bytes rounded up. */
  public VhdxImageBuilder batRegion(long offset) {
    this.batOffset = offset;
    return this;
  }

  /** The Required field written for the BAT and metadata regions (QEMU writes 0). */
  public VhdxImageBuilder regionRequired(int field) {
    this.regionRequired = field;
    return this;
  }

  /** An extra region entry; its bytes are left zero. */
  public VhdxImageBuilder extraRegion(UUID guid, long offset, long length, int requiredField) {
    extraRegionGuids.add(guidBytes(guid));
    extraRegionPlaces.add(new long[] {offset, length, requiredField});
    return this;
  }

  /** An extra metadata item with flags bit 0 IsUser, bit 1 IsVirtualDisk, bit 2 IsRequired. */
  public VhdxImageBuilder metadataItem(UUID guid, byte[] value, int flags) {
    extraItems.add(new Item(guidBytes(guid), value.clone(), flags));
    return this;
  }

  /** Leaves out a known item (given by its on-disk GUID bytes, e.g. {@link #FILE_PARAMETERS}). */
  public VhdxImageBuilder omitItem(byte[] knownGuid) {
    omittedItems.add(knownGuid.clone());
    return this;
  }

  /** Adds or replaces a parent locator key/value (differencing images). */
  public VhdxImageBuilder locator(String key, String value) {
    locator.put(key, value);
    return this;
  }

  /** Removes a parent locator key. */
  public VhdxImageBuilder withoutLocatorKey(String key) {
    locator.remove(key);
    return this;
  }

  /** Guest bytes at a virtual offset; later writes win. */
  public VhdxImageBuilder write(long offset, byte[] data) {
    writes.add(new Write(offset, data.clone()));
    return this;
  }

  /** {@code length} bytes of {@code pattern} at a virtual offset. */
  public VhdxImageBuilder fill(long offset, int length, int pattern) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) pattern);
    writes.add(new Write(offset, b));
    return this;
  }

  /** Sets a payload block's state code after the writes, keeping its file offset. */
  public VhdxImageBuilder blockState(long block, int state) {
    stateOverrides.put(block, state);
    return this;
  }

  /** Replaces the raw 64-bit BAT entry at {@code index} after everything else. */
  public VhdxImageBuilder batEntry(long index, long raw) {
    rawEntries.put(index, raw);
    return this;
  }

  /** Differencing: this block is FULLY_PRESENT (its unwritten bytes zero), not by sector. */
  public VhdxImageBuilder fullyPresent(long block) {
    fullyPresent.add(block);
    return this;
  }

  /** Differencing: give every chunk a (zero) sector bitmap block up front. */
  public VhdxImageBuilder sectorBitmapForEveryChunk() {
    this.bitmapForEveryChunk = true;
    return this;
  }

  // ---------------------------------------------------------------- geometry, from the notes 3.1

  public int chunkRatio() {
    return (int) ((1L << 23) * logicalSectorSize / blockSize);
  }

  public long payloadBlocks() {
    return (size + blockSize - 1) / blockSize;
  }

  public long totalBatEntries() {
    long n = payloadBlocks();
    if (n == 0) {
      return 0;
    }
    long cr = chunkRatio();
    if (type == Type.DIFFERENCING) {
      return (n + cr - 1) / cr * (cr + 1);
    }
    return n + (n - 1) / cr;
  }

  public long payloadIndex(long block) {
    return block + block / chunkRatio();
  }

  public long bitmapIndex(long chunk) {
    return chunk * (chunkRatio() + 1L) + chunkRatio();
  }

  // ---------------------------------------------------------------- building

  /** Writes the image into a sparse byte model. */
  public Image build() {
    Image img = new Image(this);
    long batLength = Math.max(MIB, roundUp(totalBatEntries() * 8, MIB));
    img.batLength = batLength;
    long end = Math.max(logOffset + logLength, Math.max(metadataOffset + metadataLength,
        batOffset + batLength));
    for (long[] r : extraRegionPlaces) {
      end = Math.max(end, r[0] + r[1]);
    }
    img.length = roundUp(end, MIB);

    // File type identifier.
    img.put(0, "vhdxfile".getBytes(StandardCharsets.US_ASCII));
    img.put(8, creator.getBytes(StandardCharsets.UTF_16LE));

    // Region tables, both copies identical.
    byte[] regions = new byte[64 * KIB];
    ascii(regions, 0, "regi");
    int count = 2 + extraRegionGuids.size();
    le32(regions, 8, count);
    regionEntry(regions, 0, BAT_REGION, batOffset, batLength, regionRequired);
    regionEntry(regions, 1, METADATA_REGION, metadataOffset, metadataLength, regionRequired);
    for (int i = 0; i < extraRegionGuids.size(); i++) {
      long[] r = extraRegionPlaces.get(i);
      regionEntry(regions, 2 + i, extraRegionGuids.get(i), r[0], r[1], (int) r[2]);
    }
    le32(regions, 4, crc(regions, 0, regions.length, 4));
    img.put(REGION_TABLE1, regions);
    img.put(REGION_TABLE2, regions);

    writeMetadata(img);

    // Blocks.
    long total = totalBatEntries();
    long[] bat = new long[(int) total];
    long n = payloadBlocks();
    int cr = chunkRatio();
    if (type == Type.FIXED) {
      long first = img.length;
      for (long b = 0; b < n; b++) {
        bat[(int) payloadIndex(b)] = (first + b * blockSize) | 6;
      }
      img.length = first + n * blockSize;
    }
    if (type == Type.DIFFERENCING && bitmapForEveryChunk) {
      for (long c = 0; c < (n + cr - 1) / cr; c++) {
        bat[(int) bitmapIndex(c)] = img.allocate(MIB) | 6;
      }
    }
    for (Write w : writes) {
      long at = w.offset;
      int done = 0;
      if (type == Type.DIFFERENCING
          && (w.offset % logicalSectorSize != 0 || w.data.length % logicalSectorSize != 0)) {
        throw new IllegalArgumentException("differencing writes must be whole sectors");
      }
      while (done < w.data.length) {
        long block = at / blockSize;
        int within = (int) (at % blockSize);
        int k = (int) Math.min(w.data.length - done, blockSize - within);
        int pi = (int) payloadIndex(block);
        if (bat[pi] == 0) {
          long off = img.allocate(blockSize);
          int state = type == Type.DIFFERENCING && !fullyPresent.contains(block) ? 7 : 6;
          bat[pi] = off | state;
        }
        long fileOffset = (bat[pi] & ~0xFFFFFL) + within;
        img.put(fileOffset, Arrays.copyOfRange(w.data, done, done + k));
        if (type == Type.DIFFERENCING && (bat[pi] & 7) == 7) {
          long chunk = block / cr;
          int bi = (int) bitmapIndex(chunk);
          if (bat[bi] == 0) {
            bat[bi] = img.allocate(MIB) | 6;
          }
          long bitmapStart = bat[bi] & ~0xFFFFFL;
          long firstSector = (block % cr) * (blockSize / logicalSectorSize)
              + within / logicalSectorSize;
          for (long s = firstSector; s < firstSector + k / logicalSectorSize; s++) {
            long byteAt = bitmapStart + (s >>> 3);
            int v = img.get(byteAt) | (1 << (s & 7));
            img.put(byteAt, new byte[] {(byte) v});
          }
        }
        at += k;
        done += k;
      }
    }
    if (type == Type.DIFFERENCING) {
      for (long block : fullyPresent) {
        int pi = (int) payloadIndex(block);
        if (bat[pi] == 0) {
          bat[pi] = img.allocate(blockSize) | 6;
        }
      }
    }
    for (Map.Entry<Long, Integer> e : stateOverrides.entrySet()) {
      int pi = (int) payloadIndex(e.getKey());
      bat[pi] = (bat[pi] & ~7L) | e.getValue();
    }
    for (Map.Entry<Long, Long> e : rawEntries.entrySet()) {
      bat[(int) (long) e.getKey()] = e.getValue();
    }
    img.bat = bat.clone();
    ByteBuffer batBytes = ByteBuffer.allocate(bat.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    batBytes.asLongBuffer().put(bat);
    img.put(batOffset, batBytes.array());

    img.writeHeaders(new UUID(0, 0));
    return img;
  }

  private void writeMetadata(Image img) {
    List<Item> items = new ArrayList<>();
    items.add(new Item(FILE_PARAMETERS, concat(le32(blockSize),
        le32((type == Type.FIXED ? 1 : 0) | (type == Type.DIFFERENCING ? 2 : 0))), 0x4));
    items.add(new Item(VIRTUAL_DISK_SIZE, le64(size), 0x6));
    items.add(new Item(VIRTUAL_DISK_ID, guidBytes(virtualDiskId), 0x6));
    items.add(new Item(LOGICAL_SECTOR_SIZE, le32(logicalSectorSize), 0x6));
    items.add(new Item(PHYSICAL_SECTOR_SIZE, le32(physicalSectorSize), 0x6));
    if (type == Type.DIFFERENCING) {
      items.add(new Item(PARENT_LOCATOR, locatorBytes(locator), 0x4));
    }
    items.addAll(extraItems);
    items.removeIf(i -> omittedItems.stream().anyMatch(g -> Arrays.equals(g, i.guid)));

    byte[] table = new byte[64 * KIB];
    ascii(table, 0, "metadata");
    le16(table, 10, items.size());
    long at = 64 * KIB;
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      int e = 32 + i * 32;
      System.arraycopy(item.guid, 0, table, e, 16);
      le32(table, e + 16, item.value.length == 0 ? 0 : (int) at);
      le32(table, e + 20, item.value.length);
      le32(table, e + 24, item.flags);
      img.itemOffsets.put(HexFormat.of().formatHex(item.guid) + "/" + (item.flags & 1),
          metadataOffset + at);
      if (item.value.length > 0) {
        img.put(metadataOffset + at, item.value);
        at += item.value.length;
      }
    }
    img.put(metadataOffset, table);
  }

  /** The parent locator value: header, entries, then keys and values packed in order. */
  public static byte[] locatorBytes(Map<String, String> pairs) {
    int count = pairs.size();
    List<byte[]> strings = new ArrayList<>();
    for (Map.Entry<String, String> e : pairs.entrySet()) {
      strings.add(e.getKey().getBytes(StandardCharsets.UTF_16LE));
      strings.add(e.getValue().getBytes(StandardCharsets.UTF_16LE));
    }
    int total = 20 + 12 * count + strings.stream().mapToInt(s -> s.length).sum();
    byte[] b = new byte[total];
    System.arraycopy(VHDX_PARENT_LOCATOR_TYPE, 0, b, 0, 16);
    le16(b, 18, count);
    int data = 20 + 12 * count;
    for (int i = 0; i < count; i++) {
      byte[] k = strings.get(2 * i);
      byte[] v = strings.get(2 * i + 1);
      int e = 20 + 12 * i;
      le32(b, e, data);
      System.arraycopy(k, 0, b, data, k.length);
      data += k.length;
      le32(b, e + 4, data);
      System.arraycopy(v, 0, b, data, v.length);
      data += v.length;
      le16(b, e + 8, k.length);
      le16(b, e + 10, v.length);
    }
    return b;
  }

  private static void regionEntry(byte[] t, int i, byte[] guid, long offset, long length,
      int required) {
    int e = 16 + 32 * i;
    System.arraycopy(guid, 0, t, e, 16);
    le64(t, e + 16, offset);
    le32(t, e + 24, (int) length);
    le32(t, e + 28, required);
  }

  // ---------------------------------------------------------------- the built image

  /** One logged update: a 4 KiB sector write or a zeroed range. */
  public sealed interface Update permits DataUpdate, ZeroUpdate {}

  /** Write {@code sector} (4096 bytes) at {@code fileOffset}. */
  public record DataUpdate(long fileOffset, byte[] sector) implements Update {}

  /** Zero {@code length} bytes from {@code fileOffset}. */
  public record ZeroUpdate(long fileOffset, long length) implements Update {}

  /**
   * A log entry to place in the ring.
   *
   * @param position log offset of its first sector (4 KiB multiple; may wrap the ring end)
   * @param sequenceNumber its sequence number
   * @param tail log offset of the first entry of its sequence
   * @param logGuid the LogGuid it carries
   * @param flushedFileOffset the FlushedFileOffset field
   * @param lastFileOffset the LastFileOffset field
   * @param updates its descriptors in order; data sectors follow in the same order
   */
  public record LogEntrySpec(long position, long sequenceNumber, long tail, UUID logGuid,
      long flushedFileOffset, long lastFileOffset, List<Update> updates) {
    /** Bytes of the encoded entry. */
    public long entryLength() {
      long data = updates.stream().filter(u -> u instanceof DataUpdate).count();
      return (descriptorSectors() + data) * LOG_SECTOR;
    }

    long descriptorSectors() {
      return (updates.size() + 2 + 127) / 128;
    }
  }

  /**
   * A built image: a sparse byte model plus where the builder put things. Tests may edit its
   * bytes, rewrite its headers, add log entries and fix checksums on purpose.
   */
  public static final class Image {
    private static final int PAGE = 4096;

    private final VhdxImageBuilder spec;
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private final Map<String, Long> itemOffsets = new HashMap<>();
    private long length;
    private long batLength;
    private long[] bat;
    private final long[] sequences;
    private final UUID[] dataWriteGuids;
    private UUID logGuid = new UUID(0, 0);

    private Image(VhdxImageBuilder spec) {
      this.spec = spec;
      this.sequences = new long[] {spec.sequence1, spec.sequence2};
      this.dataWriteGuids = new UUID[] {spec.dataWriteGuid, spec.dataWriteGuid};
    }

    public long length() {
      return length;
    }

    /** Sets the file length (growing with zeros or cutting bytes off). */
    public void setLength(long newLength) {
      length = newLength;
      pages.tailMap(newLength / PAGE + (newLength % PAGE == 0 ? 0 : 1), true).clear();
      if (newLength % PAGE != 0) {
        byte[] last = pages.get(newLength / PAGE);
        if (last != null) {
          Arrays.fill(last, (int) (newLength % PAGE), PAGE, (byte) 0);
        }
      }
    }

    public long batOffset() {
      return spec.batOffset;
    }

    public long batLength() {
      return batLength;
    }

    public long metadataOffset() {
      return spec.metadataOffset;
    }

    public long logOffset() {
      return spec.logOffset;
    }

    public long logLength() {
      return spec.logLength;
    }

    public int blockSize() {
      return spec.blockSize;
    }

    /** The BAT entries as built (before later byte edits). */
    public long[] bat() {
      return bat.clone();
    }

    /** The file offset of payload block {@code block}'s data, 0 when not allocated. */
    public long blockOffset(long block) {
      return bat[(int) spec.payloadIndex(block)] & ~0xFFFFFL;
    }

    /** The file offset of BAT entry {@code index}. */
    public long batEntryOffset(long index) {
      return spec.batOffset + index * 8;
    }

    /** The file offset of a metadata item's value, by its on-disk GUID bytes (system items). */
    public long itemOffset(byte[] guid) {
      return itemOffsets.get(HexFormat.of().formatHex(guid) + "/0");
    }

    /** The file offset of the metadata table entry {@code i}. */
    public long metadataEntryOffset(int i) {
      return spec.metadataOffset + 32 + 32L * i;
    }

    public byte[] read(long offset, int n) {
      byte[] out = new byte[n];
      for (int i = 0; i < n; ) {
        long at = offset + i;
        int within = (int) (at % PAGE);
        int k = Math.min(n - i, PAGE - within);
        byte[] page = pages.get(at / PAGE);
        if (page != null) {
          System.arraycopy(page, within, out, i, k);
        }
        i += k;
      }
      return out;
    }

    int get(long offset) {
      return read(offset, 1)[0] & 0xFF;
    }

    /** Overwrites bytes; the file grows to hold them. */
    public void put(long offset, byte[] data) {
      for (int i = 0; i < data.length; ) {
        long at = offset + i;
        int within = (int) (at % PAGE);
        int k = Math.min(data.length - i, PAGE - within);
        pages.computeIfAbsent(at / PAGE, p -> new byte[PAGE]);
        System.arraycopy(data, i, pages.get(at / PAGE), within, k);
        i += k;
      }
      length = Math.max(length, offset + data.length);
    }

    public void putLe32(long offset, int v) {
      put(offset, le32(v));
    }

    public void putLe64(long offset, long v) {
      put(offset, le64(v));
    }

    public long getLe64(long offset) {
      return ByteBuffer.wrap(read(offset, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    public int getLe32(long offset) {
      return ByteBuffer.wrap(read(offset, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    long allocate(long bytes) {
      long at = roundUp(length, MIB);
      length = at + bytes;
      return at;
    }

    /**
     * Rewrites both headers with their sequence numbers and this LogGuid (zero: clean), the
     * other fields as built; checksums fixed.
     */
    public void writeHeaders(UUID newLogGuid) {
      this.logGuid = newLogGuid;
      for (int slot = 1; slot <= 2; slot++) {
        writeHeader(slot, sequences[slot - 1], spec.fileWriteGuid, dataWriteGuids[slot - 1],
            newLogGuid, 0, 1, spec.logLength, spec.logOffset);
      }
    }

    /** Writes one header with every field given, checksum fixed. */
    public void writeHeader(int slot, long sequence, UUID fileWrite, UUID dataWrite, UUID log,
        int logVersion, int version, long logLen, long logOff) {
      byte[] h = new byte[LOG_SECTOR];
      ascii(h, 0, "head");
      le64(h, 8, sequence);
      System.arraycopy(guidBytes(fileWrite), 0, h, 16, 16);
      System.arraycopy(guidBytes(dataWrite), 0, h, 32, 16);
      System.arraycopy(guidBytes(log), 0, h, 48, 16);
      le16(h, 64, logVersion);
      le16(h, 66, version);
      le32(h, 68, (int) logLen);
      le64(h, 72, logOff);
      le32(h, 4, crc(h, 0, h.length, 4));
      put(slot == 1 ? HEADER1 : HEADER2, h);
      sequences[slot - 1] = sequence;
      dataWriteGuids[slot - 1] = dataWrite;
    }

    /** Recomputes the CRC-32C of header {@code slot} (1 or 2) over its current bytes. */
    public void fixHeaderChecksum(int slot) {
      fixChecksum(slot == 1 ? HEADER1 : HEADER2, LOG_SECTOR);
    }

    /** Recomputes the CRC-32C of region table copy {@code copy} (1 or 2). */
    public void fixRegionTableChecksum(int copy) {
      fixChecksum(copy == 1 ? REGION_TABLE1 : REGION_TABLE2, 64 * KIB);
    }

    private void fixChecksum(long at, int n) {
      byte[] b = read(at, n);
      putLe32(at + 4, crc(b, 0, n, 4));
    }

    /** Encodes {@code e} into the log ring at its position, wrapping at the ring's end. */
    public void writeLogEntry(LogEntrySpec e) {
      byte[] entry = encode(e);
      for (int k = 0; k < entry.length / LOG_SECTOR; k++) {
        put(logSectorOffset(e.position, k), Arrays.copyOfRange(entry, k * LOG_SECTOR,
            (k + 1) * LOG_SECTOR));
      }
    }

    /** The file offset of sector {@code k} of an entry at log offset {@code position}. */
    public long logSectorOffset(long position, long k) {
      return spec.logOffset + (position + k * LOG_SECTOR) % spec.logLength;
    }

    /** Recomputes the CRC-32C of the entry at log offset {@code position} over its bytes now. */
    public void fixLogEntryChecksum(long position) {
      int len = getLe32(logSectorOffset(position, 0) + 8);
      byte[] entry = new byte[len];
      for (int k = 0; k < len / LOG_SECTOR; k++) {
        System.arraycopy(read(logSectorOffset(position, k), LOG_SECTOR), 0, entry,
            k * LOG_SECTOR, LOG_SECTOR);
      }
      putLe32(logSectorOffset(position, 0) + 4, crc(entry, 0, entry.length, 4));
    }

    /** A whole entry as the format lays it out, checksum included. */
    public static byte[] encode(LogEntrySpec e) {
      long seq = e.sequenceNumber;
      byte[] b = new byte[(int) e.entryLength()];
      ascii(b, 0, "loge");
      le32(b, 8, (int) e.entryLength());
      le32(b, 12, (int) e.tail);
      le64(b, 16, seq);
      le32(b, 24, e.updates.size());
      System.arraycopy(guidBytes(e.logGuid), 0, b, 32, 16);
      le64(b, 48, e.flushedFileOffset);
      le64(b, 56, e.lastFileOffset);
      int dataSector = (int) e.descriptorSectors();
      for (int i = 0; i < e.updates.size(); i++) {
        int d = (i + 2) * 32; // slot i+2 counted across the descriptor sectors
        Update u = e.updates.get(i);
        if (u instanceof ZeroUpdate z) {
          ascii(b, d, "zero");
          le64(b, d + 8, z.length);
          le64(b, d + 16, z.fileOffset);
        } else {
          DataUpdate du = (DataUpdate) u;
          ascii(b, d, "desc");
          System.arraycopy(du.sector, 4092, b, d + 4, 4);
          System.arraycopy(du.sector, 0, b, d + 8, 8);
          le64(b, d + 16, du.fileOffset);
          int s = dataSector++ * LOG_SECTOR;
          System.arraycopy(du.sector, 0, b, s, LOG_SECTOR);
          ascii(b, s, "data");
          le32(b, s + 4, (int) (seq >>> 32));
          le32(b, s + 4092, (int) seq);
        }
        le64(b, d + 24, seq);
      }
      le32(b, 4, crc(b, 0, b.length, 4));
      return b;
    }

    /** The whole file as one array (for images up to 512 MiB). */
    public byte[] toBytes() {
      if (length > 512L * MIB) {
        throw new IllegalStateException("image of " + length + " bytes is too large for an "
            + "array; write it to a file");
      }
      byte[] out = new byte[(int) length];
      for (Map.Entry<Long, byte[]> p : pages.entrySet()) {
        long at = p.getKey() * PAGE;
        if (at < length) {
          System.arraycopy(p.getValue(), 0, out, (int) at, (int) Math.min(PAGE, length - at));
        }
      }
      return out;
    }

    /** Writes the file sparsely: only pages holding a non-zero byte are written. */
    public Path writeTo(Path file) throws IOException {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        for (Map.Entry<Long, byte[]> p : pages.entrySet()) {
          long at = p.getKey() * PAGE;
          if (at >= length || isZero(p.getValue())) {
            continue;
          }
          ByteBuffer buf = ByteBuffer.wrap(p.getValue(), 0, (int) Math.min(PAGE, length - at));
          while (buf.hasRemaining()) {
            ch.write(buf, at + buf.position());
          }
        }
        if (ch.size() < length) {
          ch.write(ByteBuffer.allocate(1), length - 1);
        }
      }
      return file;
    }

    /** The LogGuid both headers carry now. */
    public UUID logGuid() {
      return logGuid;
    }

    /** The DataWriteGuid header {@code slot} carries now. */
    public UUID dataWriteGuid(int slot) {
      return dataWriteGuids[slot - 1];
    }

    private static boolean isZero(byte[] b) {
      for (byte x : b) {
        if (x != 0) {
          return false;
        }
      }
      return true;
    }
  }

  // ---------------------------------------------------------------- encoding, independent

  /** A GUID's on-disk bytes: Data1 u32 LE, Data2 and Data3 u16 LE, then 8 bytes as they are. */
  public static byte[] guidBytes(UUID id) {
    byte[] rfc = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits()).array();
    byte[] ms = rfc.clone();
    ms[0] = rfc[3];
    ms[1] = rfc[2];
    ms[2] = rfc[1];
    ms[3] = rfc[0];
    ms[4] = rfc[5];
    ms[5] = rfc[4];
    ms[6] = rfc[7];
    ms[7] = rfc[6];
    return ms;
  }

  /** CRC-32C of {@code b[off, off+n)} with the 4 bytes at {@code off+field} taken as zero. */
  public static int crc(byte[] b, int off, int n, int field) {
    byte[] copy = Arrays.copyOfRange(b, off, off + n);
    Arrays.fill(copy, field, field + 4, (byte) 0);
    CRC32C c = new CRC32C();
    c.update(copy);
    return (int) c.getValue();
  }

  static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  static long roundUp(long v, long to) {
    return (v + to - 1) / to * to;
  }

  static void ascii(byte[] b, int off, String s) {
    byte[] a = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(a, 0, b, off, a.length);
  }

  static void le16(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
  }

  static void le32(byte[] b, int off, int v) {
    for (int i = 0; i < 4; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  static void le64(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  static byte[] le32(int v) {
    byte[] b = new byte[4];
    le32(b, 0, v);
    return b;
  }

  static byte[] le64(long v) {
    byte[] b = new byte[8];
    le64(b, 0, v);
    return b;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
