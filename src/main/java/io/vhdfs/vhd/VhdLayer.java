package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.Backing;
import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.FlatDisk;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.TableBudget;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One VHD file, opened on its own: finds its footer, and for sparse images validates the header,
 * the BAT and every BAT entry against the file before a single data byte is read, so a crafted
 * image fails here with a precise message instead of misreading, allocating without bound, or
 * reading outside its file. A differencing image's parent is found and opened by the shared
 * engine ({@link io.vhdfs.disk.DiskOpener}) from the {@link #parentLink} this layer decodes.
 */
final class VhdLayer implements DiskLayer {
  /** 0xFF000000 sectors: the largest disk whose blocks 32-bit BAT sector numbers can address. */
  static final long MAX_SIZE = 0xFF00_0000L * 512;
  /**
   * The most BAT entries held in memory (16 MiB of table): enough for the largest disk, 2040 GiB,
   * with 512 KiB blocks, the smallest size Microsoft tested. Smaller blocks on disks that large
   * would need tables no crafted header should be able to make us allocate.
   */
  static final long MAX_TABLE_ENTRIES = 1L << 22;
  /** Longest parent locator payload accepted: a Windows path is at most 32,767 UTF-16 units. */
  static final long MAX_LOCATOR_BYTES = 64 * 1024;

  private final HostFile host;
  private final LocatedFooter located;
  /** The dynamic header, or null for a fixed image. */
  private final DynamicHeader header;
  /** The blocks, or null for a fixed image. */
  private final VhdBlockMap blockMap;
  private final DiskInfo info;

  private VhdLayer(HostFile host, LocatedFooter located, DynamicHeader header,
      VhdBlockMap blockMap, DiskInfo info) {
    this.host = host;
    this.located = located;
    this.header = header;
    this.blockMap = blockMap;
    this.info = info;
  }

  /**
   * Reads and validates the image in {@code host}. On failure the caller still owns and closes
   * {@code host}.
   *
   * @param budget claimed before the BAT is read
   */
  static VhdLayer open(HostFile host, SizeRule sizeRule, TableBudget budget) throws IOException {
    long length = host.size();
    LocatedFooter located = FooterLocator.locate(host, length);
    Footer footer = located.footer();
    String name = host.name();
    if (footer.diskType() == DiskType.FIXED) {
      long size = checkSize(name, located, VisibleSize.of(sizeRule, footer, located.offset()));
      if (size > located.offset()) {
        throw new VhdFormatException(name, located.offset() + 48, "virtual size " + size
            + " bytes does not fit the " + located.offset() + " bytes of data in front of the "
            + "footer: the fixed image is truncated");
      }
      return new VhdLayer(host, located, null, null, info(footer, null, size, 0, length));
    }
    // Without a trusted footer at the end, blocks may run up to the end of the file.
    long dataLimit = located.atEnd() ? located.offset() : length;
    DynamicHeader header = readHeader(host, located, dataLimit);
    budget.claim(name, footer.dataOffset() + 28, header.maxTableEntries());
    long capacity = header.maxTableEntries() * header.blockSize();
    long size = checkSize(name, located, VisibleSize.of(sizeRule, footer, capacity));
    Bat bat = readBat(host, header, footer, size, dataLimit);
    List<MetadataRange> metadata = metadataRanges(host, footer, header, dataLimit);
    int allocated = checkEntries(host, header, bat, metadata, dataLimit);
    VhdBlockMap map = new VhdBlockMap(new BlockTable(bat),
        new BlockBitmaps(host, bat.size(), header.blockSize(), header.bitmapSize()),
        header.blockSize(), header.bitmapSize());
    return new VhdLayer(host, located, header, map,
        info(footer, header, size, allocated, length));
  }

  /**
   * The metadata of an image with {@code footer} and {@code header} (null for a fixed image), in
   * the common terms and as its own fields.
   */
  static DiskInfo info(Footer footer, DynamicHeader header, long size, long allocatedBlocks,
      long hostSize) {
    return new DiskInfo(VhdFormat.INSTANCE, footer.diskType(), size, 512,
        header == null ? 0 : header.blockSize(), allocatedBlocks, hostSize, null,
        footer.uniqueId(), new VhdFields(footer, header));
  }

  @Override
  public DiskInfo info() {
    return info;
  }

  /** The footer the image was opened with, and where it is. */
  LocatedFooter located() {
    return located;
  }

  /** The dynamic header, or null for a fixed image. */
  DynamicHeader header() {
    return header;
  }

  /** The blocks, or null for a fixed image. */
  VhdBlockMap vhdBlockMap() {
    return blockMap;
  }

  @Override
  public BlockMap blockMap() {
    return blockMap;
  }

  @Override
  public ParentLink parentLink() throws IOException {
    if (located.footer().diskType() != DiskType.DIFFERENCING) {
      return null;
    }
    return VhdParentLinks.of(host, header, located.footer().dataOffset());
  }

  @Override
  public long tableEntries() {
    return header == null ? 0 : header.maxTableEntries();
  }

  @Override
  public VirtualDisk open(Backing backing) {
    if (header == null) {
      return new FlatDisk(host, info, located.footer().encode(), located.offset());
    }
    List<Path> parents = backing.chain();
    DiskInfo opened = parents.isEmpty() ? info : info.withParent(parents.get(0));
    return new VhdDynamicDisk(host, opened, located, header, blockMap, backing);
  }

  private static long checkSize(String name, LocatedFooter located, long size)
      throws VhdFormatException {
    if (size > MAX_SIZE) {
      throw new VhdFormatException(name, located.offset() + 48, "virtual size " + size
          + " bytes exceeds the format's maximum of 2040 GiB (" + MAX_SIZE + " bytes)");
    }
    return size;
  }

  private static DynamicHeader readHeader(HostFile host, LocatedFooter located, long dataLimit)
      throws IOException {
    long at = located.footer().dataOffset();
    if (at < Footer.SIZE || at > dataLimit - DynamicHeader.SIZE) {
      throw new VhdFormatException(host.name(), located.offset() + 16, "data offset " + at
          + " of the dynamic header lies outside the file's " + dataLimit
          + " bytes of metadata and data (or on the footer copy at offset 0)");
    }
    return DynamicHeader.decode(host.readBytes(at, DynamicHeader.SIZE), 0, host.name(), at);
  }

  private static Bat readBat(HostFile host, DynamicHeader header, Footer footer, long size,
      long dataLimit) throws IOException {
    String name = host.name();
    long headerAt = footer.dataOffset();
    long entries = header.maxTableEntries();
    long blockSize = header.blockSize();
    long needed = ceilDiv(size, blockSize);
    if (entries < needed) {
      throw new VhdFormatException(name, headerAt + 28, "max table entries " + entries
          + " too few: a virtual size of " + size + " bytes needs " + needed + " blocks of "
          + blockSize + " bytes");
    }
    if (entries > MAX_TABLE_ENTRIES) {
      throw new VhdFormatException(name, headerAt + 28, "max table entries " + entries
          + " exceed the " + MAX_TABLE_ENTRIES + " this reader holds in memory (block size "
          + blockSize + " is too small for a virtual size of " + size + " bytes)");
    }
    long tableAt = header.tableOffset();
    // Compared without adding to tableAt, which a crafted header may set near Long.MAX_VALUE.
    boolean pastEnd = tableAt > dataLimit - entries * 4;
    if (tableAt < Footer.SIZE || pastEnd) {
      throw new VhdFormatException(name, headerAt + 16, "table offset " + tableAt + " places the "
          + entries + "-entry BAT outside the file's " + dataLimit + " bytes of metadata and data"
          + (pastEnd ? " (past the end of file)" : " (on the footer copy)"));
    }
    long tableEnd = tableAt + entries * 4;
    if (overlaps(tableAt, tableEnd, headerAt, headerAt + DynamicHeader.SIZE)) {
      throw new VhdFormatException(name, headerAt + 16,
          "table offset " + tableAt + " makes the BAT overlap the dynamic header at " + headerAt);
    }
    byte[] raw = host.readBytes(tableAt, (int) (entries * 4));
    Bat bat = Bat.decode(raw, (int) entries);
    long largest = Math.max(size, Math.min(footer.currentSize(), MAX_SIZE));
    long allowed = slackEntries(largest, blockSize);
    // More entries than any size the footer names are a crafted number, unless every one past
    // them is unallocated: a resize cut between its header and its footer leaves exactly that.
    int stray = firstAllocated(bat, allowed);
    if (stray >= 0) {
      throw new VhdFormatException(name, headerAt + 28, "max table entries " + entries
          + " far exceed the " + needed + " blocks a virtual size of " + size + " bytes needs"
          + " (entry " + stray + " past them is allocated)");
    }
    return bat;
  }

  /** Byte ranges no block may touch: footer copy, header, BAT and, for children, locator data. */
  private static List<MetadataRange> metadataRanges(HostFile host, Footer footer, DynamicHeader header,
      long dataLimit) throws VhdFormatException {
    List<MetadataRange> ranges = new ArrayList<>();
    ranges.add(new MetadataRange("footer copy", 0, Footer.SIZE));
    ranges.add(new MetadataRange("dynamic header", footer.dataOffset(),
        footer.dataOffset() + DynamicHeader.SIZE));
    ranges.add(new MetadataRange("BAT", header.tableOffset(),
        header.tableOffset() + header.tableBytes()));
    if (footer.diskType() != DiskType.DIFFERENCING) {
      // Parent locators mean nothing in a dynamic image; like QEMU and libvhdi, ignore them.
      return ranges;
    }
    List<ParentLocator> locators = header.locators();
    for (int i = 0; i < locators.size(); i++) {
      ParentLocator l = locators.get(i);
      if (!l.isPresent()) {
        continue;
      }
      long entryAt = footer.dataOffset() + 576 + i * ParentLocator.SIZE;
      if (l.dataLength() > MAX_LOCATOR_BYTES) {
        throw new VhdFormatException(host.name(), entryAt + 8, "parent locator " + i
            + " claims " + l.dataLength() + " bytes of path; at most " + MAX_LOCATOR_BYTES
            + " are accepted");
      }
      if (l.dataOffset() < 0 || l.dataOffset() > dataLimit - l.dataLength()) {
        throw new VhdFormatException(host.name(), entryAt + 16, "parent locator " + i
            + " data at offset " + l.dataOffset() + " (" + l.dataLength()
            + " bytes) lies past the end of file");
      }
      ranges.add(new MetadataRange("parent locator " + i + " data", l.dataOffset(),
          l.dataOffset() + l.dataLength()));
    }
    return ranges;
  }

  /** Checks every allocated entry; returns how many there are. */
  private static int checkEntries(HostFile host, DynamicHeader header, Bat bat,
      List<MetadataRange> metadata, long dataLimit) throws VhdFormatException {
    String name = host.name();
    long span = header.bitmapSize() + (long) header.blockSize();
    int allocated = bat.allocatedCount();
    // Sector number in the high half, entry index in the low: sorting finds overlaps in one pass.
    long[] starts = new long[allocated];
    int k = 0;
    for (int i = 0; i < bat.size(); i++) {
      long at = bat.bitmapOffset(i);
      if (at < 0) {
        continue;
      }
      long entryAt = header.tableOffset() + 4L * i;
      if (at + span > dataLimit) {
        throw new VhdFormatException(name, entryAt, "BAT entry " + i + " points at byte " + at
            + ", and its block would end at " + (at + span) + ", past the end of file ("
            + dataLimit + " bytes of metadata and data)");
      }
      for (MetadataRange m : metadata) {
        if (overlaps(at, at + span, m.start(), m.end())) {
          throw new VhdFormatException(name, entryAt, "BAT entry " + i + " points at byte " + at
              + ", so its block would overlap the " + m.what() + " at " + m.start());
        }
      }
      starts[k++] = ((at / 512) << 32) | i;
    }
    Arrays.sort(starts);
    for (int j = 1; j < starts.length; j++) {
      long prev = (starts[j - 1] >>> 32) * 512;
      long cur = (starts[j] >>> 32) * 512;
      if (cur < prev + span) {
        int a = (int) starts[j - 1];
        int b = (int) starts[j];
        throw new VhdFormatException(name, header.tableOffset() + 4L * b, "BAT entry " + b
            + " overlaps BAT entry " + a + (cur == prev ? ": both point at the block at byte "
                + cur : ": their blocks at bytes " + prev + " and " + cur + " are " + span
                    + " bytes long"));
      }
    }
    return allocated;
  }

  /**
   * The most table entries a virtual size of {@code size} bytes is allowed to come with: some
   * writers round the table up or add one entry too many (old qemu-img).
   */
  static long slackEntries(long size, long blockSize) {
    return roundUp(ceilDiv(size, blockSize) + 1, 128);
  }

  /** The first allocated entry at or after {@code from}, or -1. */
  static int firstAllocated(Bat bat, long from) {
    for (long i = from; i < bat.size(); i++) {
      if (bat.isAllocated((int) i)) {
        return (int) i;
      }
    }
    return -1;
  }

  /** A stretch of the file that holds metadata, named for messages. */
  private record MetadataRange(String what, long start, long end) {}

  private static boolean overlaps(long a0, long a1, long b0, long b1) {
    return a0 < b1 && b0 < a1;
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static long roundUp(long a, long multiple) {
    return ceilDiv(a, multiple) * multiple;
  }
}
