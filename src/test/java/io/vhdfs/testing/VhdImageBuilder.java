package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Writes VHD images for tests, straight from the format description (Microsoft VHD spec 1.0 as
 * restated in {@code docs/vhd-format.md} section 1). It is an oracle independent of the library:
 * it uses no library class, so a shared misreading of the format cannot hide in both.
 *
 * <p>Layout of dynamic and differencing images as qemu-img writes them: footer copy at 0, dynamic
 * header at 512, BAT at 1536 padded with 0xFF to a sector, parent locator data after the BAT,
 * blocks (bitmap + data) from the next sector, in index order unless told otherwise, footer at the
 * end. Fixed images are the data followed by the footer; only the written ranges and the footer
 * are put on the host, so a default-file-system image stays sparse.
 *
 * <p>Defaults: block size 2 MiB, creator {@code "vhdt"} (so every reader takes the current size),
 * creator version 1.0, host {@code Wi2k}, geometry the spec's CHS floor of the size, a random
 * unique id, a fixed time stamp. To damage an image, write it, then edit bytes at the offsets
 * {@link Layout} gives (with {@link HostBytes}) and keep or break checksums on purpose with
 * {@link #fixFooterChecksum(Path, long)} and {@link #fixHeaderChecksum(Path, long)}.
 */
public final class VhdImageBuilder {

  /** Disk types and their footer codes. */
  public enum DiskType {
    FIXED(2), DYNAMIC(3), DIFFERENCING(4);

    public final int code;

    DiskType(int code) {
      this.code = code;
    }
  }

  public static final int SECTOR = 512;
  public static final int FOOTER_SIZE = 512;
  public static final int HEADER_SIZE = 1024;
  public static final int DEFAULT_BLOCK_SIZE = 2 << 20;
  public static final int UNUSED_BAT_ENTRY = 0xFFFFFFFF;
  /** 2040 GiB: 0xFF000000 sectors, the largest dynamic disk the spec allows. */
  public static final long MAX_DYNAMIC_SIZE = 0xFF000000L * SECTOR;
  /** Seconds from the Unix epoch to 2000-01-01T00:00:00Z, the base of VHD time stamps. */
  public static final long VHD_EPOCH_SECONDS = 946_684_800L;

  // Footer fields (offsets within the 512-byte footer).
  public static final int F_COOKIE = 0;
  public static final int F_FEATURES = 8;
  public static final int F_FORMAT_VERSION = 12;
  public static final int F_DATA_OFFSET = 16;
  public static final int F_TIMESTAMP = 24;
  public static final int F_CREATOR_APP = 28;
  public static final int F_CREATOR_VERSION = 32;
  public static final int F_CREATOR_HOST_OS = 36;
  public static final int F_ORIGINAL_SIZE = 40;
  public static final int F_CURRENT_SIZE = 48;
  public static final int F_GEOMETRY = 56;
  public static final int F_DISK_TYPE = 60;
  public static final int F_CHECKSUM = 64;
  public static final int F_UNIQUE_ID = 68;
  public static final int F_SAVED_STATE = 84;

  // Dynamic header fields (offsets within the 1024-byte header).
  public static final int H_COOKIE = 0;
  public static final int H_DATA_OFFSET = 8;
  public static final int H_TABLE_OFFSET = 16;
  public static final int H_HEADER_VERSION = 24;
  public static final int H_MAX_TABLE_ENTRIES = 28;
  public static final int H_BLOCK_SIZE = 32;
  public static final int H_CHECKSUM = 36;
  public static final int H_PARENT_ID = 40;
  public static final int H_PARENT_TIMESTAMP = 56;
  public static final int H_PARENT_NAME = 64;
  public static final int H_PARENT_LOCATORS = 576;
  public static final int LOCATOR_ENTRY_SIZE = 24;
  public static final int MAX_LOCATORS = 8;

  // Parent locator entry fields (offsets within a 24-byte entry).
  public static final int L_CODE = 0;
  public static final int L_DATA_SPACE = 4;
  public static final int L_DATA_LENGTH = 8;
  public static final int L_DATA_OFFSET = 16;

  public static final int PLATFORM_W2RU = 0x57327275;
  public static final int PLATFORM_W2KU = 0x57326B75;
  public static final int PLATFORM_MACX = 0x4D616358;

  /** The largest physical BAT this builder writes; larger tables are for patched fields only. */
  private static final long MAX_PHYSICAL_BAT_ENTRIES = 1L << 26;

  private final DiskType type;
  private long currentSize;
  private Long originalSize;
  private int blockSize = DEFAULT_BLOCK_SIZE;
  private byte[] creatorApp = ascii4("vhdt");
  private int creatorVersion = 0x00010000;
  private int creatorHostOs = 0x5769326B; // "Wi2k"
  private int[] geometry;
  private UUID uniqueId = UUID.randomUUID();
  private int timestamp = toVhdTime(Instant.parse("2026-01-01T00:00:00Z"));
  private UUID parentId = new UUID(0, 0);
  private int parentTimestamp;
  private String parentName = "";
  private VhdImageBuilder parentImage;
  private final List<Locator> locators = new ArrayList<>();
  private final TreeMap<Integer, BlockSpec> blocks = new TreeMap<>();
  private int[] blockOrder;
  private final List<FixedWrite> fixedWrites = new ArrayList<>();
  private Boolean footerCopy;
  private boolean shortFooter;
  private long headerOffset = 512;
  private long tableOffset = 1536;

  private VhdImageBuilder(DiskType type, long size) {
    this.type = type;
    this.currentSize = size;
  }

  public static VhdImageBuilder fixed(long size) {
    return new VhdImageBuilder(DiskType.FIXED, size);
  }

  public static VhdImageBuilder dynamic(long size) {
    return new VhdImageBuilder(DiskType.DYNAMIC, size);
  }

  /** A differencing image with no parent fields set; see {@link #differencing(VhdImageBuilder, String)}. */
  public static VhdImageBuilder differencing(long size) {
    return new VhdImageBuilder(DiskType.DIFFERENCING, size);
  }

  /**
   * A child of {@code parent}, which the test writes as {@code parentFileName} next to the child:
   * same size, the parent's unique id and time stamp, the name in the header and a relative
   * {@code W2ru} locator {@code .\name}, as Windows writes them.
   */
  public static VhdImageBuilder differencing(VhdImageBuilder parent, String parentFileName) {
    VhdImageBuilder child = new VhdImageBuilder(DiskType.DIFFERENCING, parent.currentSize);
    child.blockSize = parent.type == DiskType.FIXED ? DEFAULT_BLOCK_SIZE : parent.blockSize;
    child.parentImage = parent;
    child.parentId = parent.uniqueId;
    child.parentTimestamp = parent.timestamp;
    child.parentName = parentFileName;
    child.parentLocator(PLATFORM_W2RU, ".\\" + parentFileName);
    return child;
  }

  // ---- settings ---------------------------------------------------------------------------

  public VhdImageBuilder size(long bytes) {
    this.currentSize = bytes;
    return this;
  }

  public VhdImageBuilder originalSize(long bytes) {
    this.originalSize = bytes;
    return this;
  }

  public VhdImageBuilder blockSize(int bytes) {
    if (bytes < SECTOR || Integer.bitCount(bytes) != 1) {
      throw new IllegalArgumentException("block size must be a power of two >= 512: " + bytes
          + " (write a valid image and patch the field to test bad ones)");
    }
    this.blockSize = bytes;
    return this;
  }

  /** Four characters, padded with NULs when shorter ({@code "wa"} is Azure's {@code wa\0\0}). */
  public VhdImageBuilder creator(String app) {
    this.creatorApp = ascii4(app);
    return this;
  }

  public VhdImageBuilder creatorVersion(int majorMinor) {
    this.creatorVersion = majorMinor;
    return this;
  }

  public VhdImageBuilder hostOs(String os) {
    this.creatorHostOs = ByteBuffer.wrap(ascii4(os)).getInt();
    return this;
  }

  public VhdImageBuilder geometry(int cylinders, int heads, int sectorsPerTrack) {
    this.geometry = new int[] {cylinders, heads, sectorsPerTrack};
    return this;
  }

  public VhdImageBuilder uniqueId(UUID id) {
    this.uniqueId = id;
    return this;
  }

  public VhdImageBuilder timestamp(Instant time) {
    this.timestamp = toVhdTime(time);
    return this;
  }

  public VhdImageBuilder parentId(UUID id) {
    this.parentId = id;
    return this;
  }

  public VhdImageBuilder parentTimestamp(Instant time) {
    this.parentTimestamp = toVhdTime(time);
    return this;
  }

  /** The header's parent name field (UTF-16BE, at most 256 UTF-16 units). */
  public VhdImageBuilder parentName(String name) {
    if (name.length() > 256) {
      throw new IllegalArgumentException("parent name longer than 256 UTF-16 units");
    }
    this.parentName = name;
    return this;
  }

  /** Adds a locator; W2ru/W2ku text is stored UTF-16LE, MacX UTF-8, as real writers do. */
  public VhdImageBuilder parentLocator(int platformCode, String text) {
    byte[] data = platformCode == PLATFORM_MACX
        ? text.getBytes(StandardCharsets.UTF_8)
        : text.getBytes(StandardCharsets.UTF_16LE);
    return parentLocator(platformCode, data);
  }

  public VhdImageBuilder parentLocator(int platformCode, byte[] data) {
    if (locators.size() == MAX_LOCATORS) {
      throw new IllegalStateException("at most 8 parent locators");
    }
    locators.add(new Locator(platformCode, data.clone()));
    return this;
  }

  public VhdImageBuilder clearParentLocators() {
    locators.clear();
    return this;
  }

  /** Allocates block {@code index} with a full bitmap; {@code data} is zero-padded to the block. */
  public VhdImageBuilder block(int index, byte[] data) {
    requireDynamic();
    if (data.length > blockSize) {
      throw new IllegalArgumentException("block data longer than the block size");
    }
    spec(index).data = Arrays.copyOf(data, blockSize);
    spec(index).lazy = null;
    return this;
  }

  /**
   * Allocates block {@code index} whose data is produced only while writing and forgotten right
   * after, so gigabyte images can be built with a small heap. The supplier must be repeatable:
   * {@link #expectedContent} calls it again.
   */
  public VhdImageBuilder block(int index, Supplier<byte[]> data) {
    requireDynamic();
    spec(index).lazy = data;
    spec(index).data = null;
    return this;
  }

  /** Puts {@code data} at a virtual offset: into the data area (fixed) or allocated blocks. */
  public VhdImageBuilder write(long virtualOffset, byte[] data) {
    if (virtualOffset < 0 || virtualOffset + data.length > currentSize) {
      throw new IllegalArgumentException("write outside the virtual disk");
    }
    if (type == DiskType.FIXED) {
      fixedWrites.add(new FixedWrite(virtualOffset, data.clone()));
      return this;
    }
    int done = 0;
    while (done < data.length) {
      long pos = virtualOffset + done;
      int index = (int) (pos / blockSize);
      int inBlock = (int) (pos % blockSize);
      int n = Math.min(blockSize - inBlock, data.length - done);
      BlockSpec b = spec(index);
      if (b.data == null) {
        b.data = b.lazy != null ? Arrays.copyOf(b.lazy.get(), blockSize) : new byte[blockSize];
        b.lazy = null;
      }
      System.arraycopy(data, done, b.data, inBlock, n);
      done += n;
    }
    return this;
  }

  /**
   * Gives block {@code index} this sector bitmap (MSB of byte 0 = first sector) instead of a full
   * one, allocating an all-zero block if needed. Data under clear bits is written as zeros, as
   * the spec requires.
   */
  public VhdImageBuilder bitmap(int index, byte[] bitmap) {
    requireDynamic();
    BlockSpec b = spec(index);
    if (b.data == null && b.lazy == null) {
      b.data = new byte[blockSize];
    }
    b.bitmap = Arrays.copyOf(bitmap, bitmapSize(blockSize));
    return this;
  }

  /** Places block {@code index} (its bitmap) at this host sector instead of the next free one. */
  public VhdImageBuilder blockAt(int index, long hostSector) {
    requireDynamic();
    BlockSpec b = spec(index);
    if (b.data == null && b.lazy == null) {
      b.data = new byte[blockSize];
    }
    b.hostSector = hostSector;
    return this;
  }

  /** The order in which allocated blocks follow each other in the file (others follow sorted). */
  public VhdImageBuilder blockOrder(int... indices) {
    this.blockOrder = indices.clone();
    return this;
  }

  /** Whether the footer copy at offset 0 is written (default: yes for dynamic/differencing). */
  public VhdImageBuilder footerCopy(boolean write) {
    this.footerCopy = write;
    return this;
  }

  /** Writes the end footer as the 511 bytes of pre-2004 Virtual PC (file size 512n + 511). */
  public VhdImageBuilder shortFooter(boolean shortFooter) {
    this.shortFooter = shortFooter;
    return this;
  }

  /** Moves the dynamic header (and the footer's data offset with it). Sector aligned. */
  public VhdImageBuilder headerOffset(long offset) {
    this.headerOffset = offset;
    return this;
  }

  /** Moves the BAT (and the header's table offset with it). Sector aligned. */
  public VhdImageBuilder tableOffset(long offset) {
    this.tableOffset = offset;
    return this;
  }

  // ---- what the image is -----------------------------------------------------------------

  public DiskType type() {
    return type;
  }

  public long currentSize() {
    return currentSize;
  }

  public int blockSize() {
    return blockSize;
  }

  public UUID uniqueId() {
    return uniqueId;
  }

  public int[] geometry() {
    return geometry != null ? geometry.clone() : chs(currentSize / SECTOR);
  }

  /**
   * The size a reader shows by the public contract: C x H x S x 512 for creators {@code "vpc "}
   * and {@code "qemu"} unless the geometry is 65535/16/255, the footer's current size otherwise.
   */
  public long expectedVirtualSize() {
    String app = new String(creatorApp, StandardCharsets.ISO_8859_1);
    int[] g = geometry();
    boolean maxChs = g[0] == 65535 && g[1] == 16 && g[2] == 255;
    if ((app.equals("vpc ") || app.equals("qemu")) && !maxChs) {
      return (long) g[0] * g[1] * g[2] * SECTOR;
    }
    return currentSize;
  }

  /** Number of BAT entries the header declares: ceil(size / block size). */
  public long tableEntries() {
    return type == DiskType.FIXED ? 0 : ceilDiv(currentSize, blockSize);
  }

  public Layout layout() {
    if (type == DiskType.FIXED) {
      long footerAt = currentSize;
      return new Layout(type, -1, -1, -1, 0, 0, blockSize, 0, Map.of(), new long[0], footerAt,
          footerAt + (shortFooter ? FOOTER_SIZE - 1 : FOOTER_SIZE));
    }
    long entries = tableEntries();
    if (entries > MAX_PHYSICAL_BAT_ENTRIES) {
      throw new IllegalStateException(entries + " BAT entries: write a small image and patch "
          + "the size fields instead");
    }
    if (!blocks.isEmpty() && blocks.lastKey() >= entries) {
      throw new IllegalStateException("block " + blocks.lastKey() + " outside the disk");
    }
    if (headerOffset % SECTOR != 0 || tableOffset % SECTOR != 0) {
      throw new IllegalStateException("header and table offsets must be sector aligned");
    }
    long batBytes = roundUp(entries * 4, SECTOR);
    long end = Math.max(copyAtZero() ? FOOTER_SIZE : 0, headerOffset + HEADER_SIZE);
    end = Math.max(end, tableOffset + batBytes);
    long[] locatorOffsets = new long[locators.size()];
    for (int k = 0; k < locators.size(); k++) {
      locatorOffsets[k] = end;
      end += locatorSpace(locators.get(k).data.length);
    }
    int bitmap = bitmapSize(blockSize);
    long blockSectors = (bitmap + (long) blockSize) / SECTOR;
    long nextFree = end / SECTOR;
    Map<Integer, Long> sectors = new LinkedHashMap<>();
    for (int index : placementOrder()) {
      Long at = blocks.get(index).hostSector;
      long sector = at != null ? at : nextFree;
      sectors.put(index, sector);
      nextFree = Math.max(nextFree, sector + blockSectors);
    }
    long footerAt = nextFree * SECTOR;
    return new Layout(type, copyAtZero() ? 0 : -1, headerOffset, tableOffset, batBytes,
        (int) entries, blockSize, bitmap, Collections.unmodifiableMap(sectors), locatorOffsets,
        footerAt, footerAt + (shortFooter ? FOOTER_SIZE - 1 : FOOTER_SIZE));
  }

  /** The 512-byte footer this builder writes, checksum included. */
  public byte[] footerBytes() {
    ByteBuffer f = ByteBuffer.allocate(FOOTER_SIZE);
    f.put(F_COOKIE, ascii("conectix"));
    f.putInt(F_FEATURES, 0x00000002);
    f.putInt(F_FORMAT_VERSION, 0x00010000);
    f.putLong(F_DATA_OFFSET, type == DiskType.FIXED ? -1L : headerOffset);
    f.putInt(F_TIMESTAMP, timestamp);
    f.put(F_CREATOR_APP, creatorApp);
    f.putInt(F_CREATOR_VERSION, creatorVersion);
    f.putInt(F_CREATOR_HOST_OS, creatorHostOs);
    f.putLong(F_ORIGINAL_SIZE, originalSize != null ? originalSize : currentSize);
    f.putLong(F_CURRENT_SIZE, currentSize);
    int[] g = geometry();
    f.putShort(F_GEOMETRY, (short) g[0]);
    f.put(F_GEOMETRY + 2, (byte) g[1]);
    f.put(F_GEOMETRY + 3, (byte) g[2]);
    f.putInt(F_DISK_TYPE, type.code);
    f.put(F_UNIQUE_ID, uuidBytes(uniqueId));
    byte[] bytes = f.array();
    recomputeFooterChecksum(bytes);
    return bytes;
  }

  /** The 1024-byte dynamic header this builder writes, checksum included. */
  public byte[] headerBytes() {
    requireDynamic();
    Layout layout = layout();
    ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE);
    h.put(H_COOKIE, ascii("cxsparse"));
    h.putLong(H_DATA_OFFSET, -1L);
    h.putLong(H_TABLE_OFFSET, tableOffset);
    h.putInt(H_HEADER_VERSION, 0x00010000);
    h.putInt(H_MAX_TABLE_ENTRIES, (int) tableEntries());
    h.putInt(H_BLOCK_SIZE, blockSize);
    h.put(H_PARENT_ID, uuidBytes(parentId));
    h.putInt(H_PARENT_TIMESTAMP, parentTimestamp);
    h.put(H_PARENT_NAME, parentName.getBytes(StandardCharsets.UTF_16BE));
    for (int k = 0; k < locators.size(); k++) {
      int at = H_PARENT_LOCATORS + k * LOCATOR_ENTRY_SIZE;
      int length = locators.get(k).data.length;
      h.putInt(at + L_CODE, locators.get(k).code);
      // Bytes, not sectors, in "data space": what Windows and blktap write.
      h.putInt(at + L_DATA_SPACE, (int) locatorSpace(length));
      h.putInt(at + L_DATA_LENGTH, length);
      h.putLong(at + L_DATA_OFFSET, layout.locatorDataOffsets[k]);
    }
    byte[] bytes = h.array();
    recomputeHeaderChecksum(bytes);
    return bytes;
  }

  /**
   * Writes the image through {@code Files.newByteChannel} (so any provider works), replacing an
   * existing file. Only structures and data are written; gaps stay holes where the host allows.
   */
  public Layout writeTo(Path file) throws IOException {
    Layout layout = layout();
    byte[] footer = footerBytes();
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      if (type == DiskType.FIXED) {
        for (FixedWrite w : fixedWrites) {
          HostBytes.writeFully(ch, w.offset, ByteBuffer.wrap(w.data));
        }
      } else {
        if (layout.footerCopyOffset == 0) {
          HostBytes.writeFully(ch, 0, ByteBuffer.wrap(footer));
        }
        HostBytes.writeFully(ch, headerOffset, ByteBuffer.wrap(headerBytes()));
        writeBat(ch, layout);
        for (int k = 0; k < locators.size(); k++) {
          HostBytes.writeFully(ch, layout.locatorDataOffsets[k],
              ByteBuffer.wrap(locators.get(k).data));
        }
        for (Map.Entry<Integer, Long> e : layout.blockSectors.entrySet()) {
          BlockSpec b = blocks.get(e.getKey());
          ByteBuffer bitmap = ByteBuffer.wrap(bitmapOf(b));
          HostBytes.writeFully(ch, e.getValue() * SECTOR, bitmap);
          byte[] data = storedData(b);
          if (!isZeros(data)) { // zeros stay a hole: huge images cost only their metadata
            HostBytes.writeFully(ch, e.getValue() * SECTOR + layout.bitmapSize,
                ByteBuffer.wrap(data));
          }
        }
      }
      HostBytes.writeFully(ch, layout.footerOffset,
          ByteBuffer.wrap(footer, 0, shortFooter ? FOOTER_SIZE - 1 : FOOTER_SIZE));
    }
    return layout;
  }

  /** The whole virtual disk as a reader should see it (parent content from the parent builder). */
  public byte[] expectedDisk() {
    long size = expectedVirtualSize();
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("disk too large for one array; use expectedContent");
    }
    return expectedContent(0, (int) size);
  }

  /**
   * {@code length} bytes of the virtual disk from {@code offset}: written data, zeros in
   * unallocated blocks and under clear bitmap bits of a dynamic disk, the parent's bytes there
   * for a differencing disk (zeros without a parent builder).
   */
  public byte[] expectedContent(long offset, int length) {
    byte[] out = new byte[length];
    long end = offset + length;
    if (type == DiskType.FIXED) {
      for (FixedWrite w : fixedWrites) {
        copyOverlap(w.data, w.offset, out, offset);
      }
      return out;
    }
    if (type == DiskType.DIFFERENCING && parentImage != null) {
      byte[] fromParent = parentImage.expectedContent(offset, length);
      System.arraycopy(fromParent, 0, out, 0, length);
    }
    long firstBlock = offset / blockSize;
    long lastBlock = length == 0 ? firstBlock - 1 : (end - 1) / blockSize;
    for (long index = firstBlock; index <= lastBlock; index++) {
      BlockSpec b = blocks.get((int) index);
      if (b == null) {
        continue;
      }
      byte[] data = b.data != null ? b.data : Arrays.copyOf(b.lazy.get(), blockSize);
      byte[] bitmap = bitmapOf(b);
      long blockStart = index * blockSize;
      for (int s = 0; s < blockSize / SECTOR; s++) {
        if (bitSet(bitmap, s)) {
          long sectorStart = blockStart + (long) s * SECTOR;
          copyOverlap(Arrays.copyOfRange(data, s * SECTOR, (s + 1) * SECTOR), sectorStart, out,
              offset);
        } else if (type == DiskType.DYNAMIC) {
          long sectorStart = blockStart + (long) s * SECTOR;
          copyOverlap(new byte[SECTOR], sectorStart, out, offset);
        }
      }
    }
    return out;
  }

  // ---- static format helpers -------------------------------------------------------------

  /**
   * One's complement of the byte sum of {@code structure}, with the 4 bytes at
   * {@code checksumOffset} counted as zero (footer: 64, dynamic header: 36).
   */
  public static int checksum(byte[] structure, int checksumOffset) {
    int sum = 0;
    for (int i = 0; i < structure.length; i++) {
      if (i < checksumOffset || i >= checksumOffset + 4) {
        sum += structure[i] & 0xFF;
      }
    }
    return ~sum;
  }

  /** Stores the right checksum into a 512-byte (or 511-byte) footer. */
  public static void recomputeFooterChecksum(byte[] footer) {
    ByteBuffer.wrap(footer).putInt(F_CHECKSUM, checksum(footer, F_CHECKSUM));
  }

  /** Stores the right checksum into a 1024-byte dynamic header. */
  public static void recomputeHeaderChecksum(byte[] header) {
    ByteBuffer.wrap(header).putInt(H_CHECKSUM, checksum(header, H_CHECKSUM));
  }

  /** Recomputes every checksum of a written image (each footer, the dynamic header). */
  public static void fixChecksums(Path image, Layout layout) throws IOException {
    for (long at : layout.footerOffsets()) {
      fixFooterChecksum(image, at);
    }
    if (layout.headerOffset() >= 0) {
      fixHeaderChecksum(image, layout.headerOffset());
    }
  }

  /**
   * Recomputes the checksum of the footer at {@code offset} of {@code image} after an edit (a
   * 511-byte footer at the very end too: its missing last byte counts as zero).
   */
  public static void fixFooterChecksum(Path image, long offset) throws IOException {
    int length = (int) Math.min(FOOTER_SIZE, Files.size(image) - offset);
    byte[] footer = Arrays.copyOf(HostBytes.read(image, offset, length), FOOTER_SIZE);
    recomputeFooterChecksum(footer);
    HostBytes.write(image, offset + F_CHECKSUM, Arrays.copyOfRange(footer, F_CHECKSUM,
        F_CHECKSUM + 4));
  }

  /** Sets a footer field in every footer copy of {@code image}, keeping their checksums right. */
  public static void setFooterLong(Path image, Layout l, int field, long value)
      throws IOException {
    for (long at : l.footerOffsets()) {
      HostBytes.writeLong(image, at + field, value);
      fixFooterChecksum(image, at);
    }
  }

  /** Sets a 4-byte footer field in every footer copy, keeping their checksums right. */
  public static void setFooterInt(Path image, Layout l, int field, int value)
      throws IOException {
    for (long at : l.footerOffsets()) {
      HostBytes.writeInt(image, at + field, value);
      fixFooterChecksum(image, at);
    }
  }

  /** Sets a dynamic-header field, keeping the header checksum right. */
  public static void setHeaderLong(Path image, Layout l, long field, long value)
      throws IOException {
    HostBytes.writeLong(image, l.headerOffset() + field, value);
    fixHeaderChecksum(image, l.headerOffset());
  }

  /** Sets a 4-byte dynamic-header field, keeping the header checksum right. */
  public static void setHeaderInt(Path image, Layout l, long field, int value)
      throws IOException {
    HostBytes.writeInt(image, l.headerOffset() + field, value);
    fixHeaderChecksum(image, l.headerOffset());
  }

  /** Recomputes the checksum of the dynamic header at {@code offset} of {@code image}. */
  public static void fixHeaderChecksum(Path image, long offset) throws IOException {
    byte[] header = HostBytes.read(image, offset, HEADER_SIZE);
    recomputeHeaderChecksum(header);
    HostBytes.write(image, offset + H_CHECKSUM, Arrays.copyOfRange(header, H_CHECKSUM,
        H_CHECKSUM + 4));
  }

  /** Bytes of a block's sector bitmap: one bit per sector, rounded up to whole sectors. */
  public static int bitmapSize(int blockSize) {
    return (int) roundUp(ceilDiv(blockSize / SECTOR, 8), SECTOR);
  }

  /**
   * The spec's CHS geometry for {@code totalSectors} (appendix "CHS calculation", restated in
   * {@code vhd-format.md} §1.9): a floor, so C x H x S never exceeds the sectors; clamped at
   * 65535/16/255. Written from that prose as a search over the spec's translations, not from the
   * library's {@code Geometry}, so a slip in one cannot hide in the other: from 65535 x 16 x 63
   * sectors on, 16 heads of 255 sectors; below, the first of 17 sectors per track (with the
   * fewest heads, at least 4, that 1024 tracks per head can hold), 31 and 63 sectors per track
   * (16 heads) whose track count stays below heads x 1024, 63 in any case.
   */
  public static int[] chs(long totalSectors) {
    long sectors = Math.min(totalSectors, 65535L * 16 * 255);
    if (sectors >= 65535L * 16 * 63) {
      return new int[] {(int) (sectors / (16 * 255)), 16, 255};
    }
    for (int perTrack : new int[] {17, 31, 63}) {
      long tracks = sectors / perTrack; // cylinders x heads
      long heads = perTrack == 17 ? Math.max(4, ceilDiv(tracks, 1024)) : 16;
      boolean fits = heads <= 16 && tracks < heads * 1024;
      if (fits || perTrack == 63) {
        return new int[] {(int) (tracks / heads), (int) heads, perTrack};
      }
    }
    throw new AssertionError("63 sectors per track always ends the search");
  }

  /** Seconds since 2000-01-01 UTC as the unsigned 32-bit field stores them. */
  public static int toVhdTime(Instant time) {
    return (int) (time.getEpochSecond() - VHD_EPOCH_SECONDS);
  }

  public static byte[] uuidBytes(UUID id) {
    return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
        .putLong(id.getLeastSignificantBits()).array();
  }

  // ---- internals -------------------------------------------------------------------------

  private void writeBat(SeekableByteChannel ch, Layout layout) throws IOException {
    // The padding after the last entry is 0xFF as qemu-img writes it, so every slot reads unused.
    // Written in chunks so a 64 Mi-entry table does not need its 256 MiB in the test's heap.
    int chunkEntries = 1 << 18;
    long totalEntries = layout.batBytes / 4;
    for (long first = 0; first < totalEntries; first += chunkEntries) {
      int n = (int) Math.min(chunkEntries, totalEntries - first);
      ByteBuffer chunk = ByteBuffer.allocate(n * 4);
      while (chunk.hasRemaining()) {
        chunk.putInt(UNUSED_BAT_ENTRY);
      }
      for (Map.Entry<Integer, Long> e :
          blocksBetween(layout, (int) first, (int) (first + n)).entrySet()) {
        chunk.putInt((int) ((e.getKey() - first) * 4), (int) (long) e.getValue());
      }
      chunk.flip();
      HostBytes.writeFully(ch, layout.tableOffset + first * 4, chunk);
    }
  }

  private Map<Integer, Long> blocksBetween(Layout layout, int from, int to) {
    Map<Integer, Long> within = new LinkedHashMap<>();
    for (int index : blocks.subMap(from, to).keySet()) {
      within.put(index, layout.blockSectors.get(index));
    }
    return within;
  }

  private Collection<Integer> placementOrder() {
    Set<Integer> order = new LinkedHashSet<>();
    if (blockOrder != null) {
      for (int index : blockOrder) {
        if (blocks.containsKey(index)) {
          order.add(index);
        }
      }
    }
    order.addAll(blocks.keySet());
    return order;
  }

  private byte[] bitmapOf(BlockSpec b) {
    if (b.bitmap != null) {
      return b.bitmap;
    }
    byte[] full = new byte[bitmapSize(blockSize)];
    Arrays.fill(full, (byte) 0xFF);
    return full;
  }

  private byte[] storedData(BlockSpec b) {
    byte[] data = b.data != null ? b.data : Arrays.copyOf(b.lazy.get(), blockSize);
    if (b.bitmap == null) {
      return data;
    }
    byte[] masked = data.clone();
    for (int s = 0; s < blockSize / SECTOR; s++) {
      if (!bitSet(b.bitmap, s)) {
        Arrays.fill(masked, s * SECTOR, (s + 1) * SECTOR, (byte) 0);
      }
    }
    return masked;
  }

  private static boolean isZeros(byte[] b) {
    return Arrays.mismatch(b, new byte[b.length]) < 0;
  }

  private static boolean bitSet(byte[] bitmap, int sector) {
    return (bitmap[sector >>> 3] & (0x80 >>> (sector & 7))) != 0;
  }

  private BlockSpec spec(int index) {
    if (index < 0 || index >= tableEntries()) {
      throw new IllegalArgumentException("block " + index + " outside the disk");
    }
    return blocks.computeIfAbsent(index, i -> new BlockSpec());
  }

  private boolean copyAtZero() {
    return footerCopy != null ? footerCopy : type != DiskType.FIXED;
  }

  private void requireDynamic() {
    if (type == DiskType.FIXED) {
      throw new IllegalStateException("fixed images have no blocks or dynamic header");
    }
  }

  private static void copyOverlap(byte[] src, long srcStart, byte[] out, long outStart) {
    long from = Math.max(srcStart, outStart);
    long to = Math.min(srcStart + src.length, outStart + out.length);
    if (from < to) {
      System.arraycopy(src, (int) (from - srcStart), out, (int) (from - outStart),
          (int) (to - from));
    }
  }

  private static long locatorSpace(int length) {
    return Math.max(SECTOR, roundUp(length, SECTOR));
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static long roundUp(long value, long unit) {
    return ceilDiv(value, unit) * unit;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] ascii4(String s) {
    byte[] b = ascii(s);
    if (b.length > 4) {
      throw new IllegalArgumentException("four characters at most: " + s);
    }
    return Arrays.copyOf(b, 4);
  }

  private static final class BlockSpec {
    byte[] data;
    Supplier<byte[]> lazy;
    byte[] bitmap;
    Long hostSector;
  }

  private record Locator(int code, byte[] data) {}

  private record FixedWrite(long offset, byte[] data) {}

  /**
   * Where each structure of a written image sits, so tests can damage exactly one field.
   * Offsets are -1 for structures the image type does not have.
   */
  public static final class Layout {
    private final DiskType type;
    private final long footerCopyOffset;
    private final long headerOffset;
    private final long tableOffset;
    private final long batBytes;
    private final int batEntries;
    private final int blockSize;
    private final int bitmapSize;
    private final Map<Integer, Long> blockSectors;
    private final long[] locatorDataOffsets;
    private final long footerOffset;
    private final long fileSize;

    Layout(DiskType type, long footerCopyOffset, long headerOffset, long tableOffset,
        long batBytes, int batEntries, int blockSize, int bitmapSize,
        Map<Integer, Long> blockSectors, long[] locatorDataOffsets, long footerOffset,
        long fileSize) {
      this.type = type;
      this.footerCopyOffset = footerCopyOffset;
      this.headerOffset = headerOffset;
      this.tableOffset = tableOffset;
      this.batBytes = batBytes;
      this.batEntries = batEntries;
      this.blockSize = blockSize;
      this.bitmapSize = bitmapSize;
      this.blockSectors = blockSectors;
      this.locatorDataOffsets = locatorDataOffsets;
      this.footerOffset = footerOffset;
      this.fileSize = fileSize;
    }

    public DiskType type() {
      return type;
    }

    /** 0 for dynamic/differencing images, -1 when there is no copy. */
    public long footerCopyOffset() {
      return footerCopyOffset;
    }

    public long headerOffset() {
      return headerOffset;
    }

    public long tableOffset() {
      return tableOffset;
    }

    /** The BAT's bytes on the host, padding included. */
    public long batBytes() {
      return batBytes;
    }

    public int batEntries() {
      return batEntries;
    }

    public long batEntryOffset(int index) {
      return tableOffset + 4L * index;
    }

    public int bitmapSize() {
      return bitmapSize;
    }

    /** Bytes of one block on the host: bitmap plus data. */
    public long blockSpan() {
      return bitmapSize + (long) blockSize;
    }

    public boolean isAllocated(int index) {
      return blockSectors.containsKey(index);
    }

    /** The BAT entry of block {@code index}: the host sector of its bitmap. */
    public long blockSector(int index) {
      Long sector = blockSectors.get(index);
      if (sector == null) {
        throw new IllegalArgumentException("block " + index + " is not allocated");
      }
      return sector;
    }

    public long bitmapOffset(int index) {
      return blockSector(index) * SECTOR;
    }

    public long blockDataOffset(int index) {
      return bitmapOffset(index) + bitmapSize;
    }

    /** Allocated block indices in file order. */
    public List<Integer> allocatedBlocks() {
      List<Integer> order = new ArrayList<>(blockSectors.keySet());
      order.sort((a, b) -> Long.compare(blockSectors.get(a), blockSectors.get(b)));
      return order;
    }

    /** The 24-byte entry of parent locator {@code k} inside the dynamic header. */
    public long parentLocatorEntryOffset(int k) {
      return headerOffset + H_PARENT_LOCATORS + (long) k * LOCATOR_ENTRY_SIZE;
    }

    public long locatorDataOffset(int k) {
      return locatorDataOffsets[k];
    }

    /** Offset of the end footer (for a 511-byte footer too). */
    public long footerOffset() {
      return footerOffset;
    }

    public long fileSize() {
      return fileSize;
    }

    /** Every footer the image holds (end, and the copy at 0 if any). */
    public List<Long> footerOffsets() {
      List<Long> all = new ArrayList<>();
      all.add(footerOffset);
      if (footerCopyOffset >= 0) {
        all.add(footerCopyOffset);
      }
      return all;
    }
  }
}
