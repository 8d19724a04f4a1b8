package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.Backing;
import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.TableBudget;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One VHDX file, opened read-only on its own, in the order the spec requires
 * ({@code docs/vhdx-format.md} sections 1-4): the file identifier, the current header, the log
 * (a dirty one replayed in memory; onto the file only once the disk is made writable), then, through the replayed
 * bytes, the region tables, the structure areas, the metadata and the BAT. The BAT is read in
 * pages as blocks are first touched ({@link BatReader}), so a 64 TiB disk opens without reading
 * its table; its allocated blocks are counted at open only where the table is small
 * ({@link #COUNTED_ENTRIES}), and are -1 (unknown) otherwise.
 */
final class VhdxLayer implements DiskLayer {
  /**
   * Most BAT entries counted at open for {@link DiskInfo#allocatedBlocks}: 1 MiB of table, one
   * page. A larger table is not read whole to count, so opening stays cheap; the count is then
   * unknown (-1).
   */
  static final long COUNTED_ENTRIES = BatReader.DEFAULT_PAGE_BYTES / BatGeometry.ENTRY_SIZE;

  private final HostFile host;
  private final ByteSource source;
  private final boolean replayed;
  private final VhdxMetadata metadata;
  private final long locatorAt;
  private final VhdxBlockMap map;
  private final BatReader bat;
  private final PendingSectors pending;
  private final long heldEntries;
  private final DiskInfo info;

  private VhdxLayer(HostFile host, ByteSource source, boolean replayed, VhdxMetadata metadata,
      long locatorAt, VhdxBlockMap map, BatReader bat, PendingSectors pending, long heldEntries,
      DiskInfo info) {
    this.host = host;
    this.source = source;
    this.replayed = replayed;
    this.metadata = metadata;
    this.locatorAt = locatorAt;
    this.map = map;
    this.bat = bat;
    this.pending = pending;
    this.heldEntries = heldEntries;
    this.info = info;
  }

  /**
   * Reads and validates the VHDX in {@code host}. On failure the caller still owns and closes
   * {@code host}.
   *
   * @param budget claimed before the BAT is read
   */
  static VhdxLayer open(HostFile host, TableBudget budget) throws IOException {
    String name = host.name();
    ByteSource raw = new HostSource(host);
    long hostSize = raw.size();
    if (hostSize < 8 || !FileIdentifier.matches(raw.read(0, 8))) {
      throw new VhdFormatException(name, 0, "not a VHDX image: no 'vhdxfile' signature at "
          + "offset 0");
    }
    FileIdentifier identifier = FileIdentifier.decode(
        raw.readStructure(0, FileIdentifier.DECODED_BYTES, "file identifier"), name);
    HeaderChoice headers = HeaderChoice.read(raw);
    VhdxHeader header = headers.current();
    ReplayedLog log = LogReplay.replay(raw, header);
    ByteSource source = log.overlay().over(raw);
    RegionTableChoice regions = RegionTableChoice.read(source);
    StructureAreas areas = StructureAreas.of(header, regions.table(), source.size(), name);
    RegionEntry metadataRegion = regions.table().metadata();
    VhdxMetadata metadata = VhdxMetadata.read(source, metadataRegion);
    BatGeometry geometry = metadata.batGeometry();
    RegionEntry batRegion = regions.table().bat();
    long held = Math.min(geometry.totalEntries(), (long) BatReader.DEFAULT_CACHED_PAGES
        * (BatReader.DEFAULT_PAGE_BYTES / BatGeometry.ENTRY_SIZE));
    budget.claim(name, batRegion.fileOffset(), held);
    // A writer's changed sectors count for every structure read from here on.
    PendingSectors pending = new PendingSectors(source);
    BatReader bat = new BatReader(pending, geometry, batRegion, areas);
    VhdxBlockMap map = new VhdxBlockMap(bat, pending);
    Map<PayloadState, Long> states =
        geometry.totalEntries() <= COUNTED_ENTRIES ? VhdxStructure.count(bat) : null;
    long allocated = states == null ? -1 : states.entrySet().stream()
        .filter(e -> e.getKey().hasData()).mapToLong(Map.Entry::getValue).sum();
    long locatorAt = metadata.table().system(VhdxMetadata.PARENT_LOCATOR)
        .map(e -> metadataRegion.fileOffset() + e.offset()).orElse(-1L);
    boolean replayed = !log.sequence().isEmpty();
    DiskInfo info = new DiskInfo(VhdxFormat.INSTANCE, typeOf(metadata.diskType()),
        metadata.virtualDiskSize(), metadata.logicalSectorSize(), geometry.blockSize(),
        allocated, hostSize, null, header.dataWriteGuid(),
        new VhdxFields(identifier.creator(), header, metadata,
            log.sequence().entries().size(),
            new VhdxStructure(headers, regions, metadata, metadataRegion.fileOffset(),
                log.sequence(), geometry, states)));
    return new VhdxLayer(host, replayed ? source : null, replayed, metadata, locatorAt, map,
        bat, pending, held, info);
  }

  private static DiskType typeOf(VhdxDiskType type) {
    return switch (type) {
      case FIXED -> DiskType.FIXED;
      case DYNAMIC -> DiskType.DYNAMIC;
      case DIFFERENCING -> DiskType.DIFFERENCING;
    };
  }

  /** Reads every page of the BAT once, checking each entry as reading it would. */
  void checkTable() throws IOException {
    bat.checkAll();
  }

  /** Whether a dirty log was replayed in memory to read the file. */
  boolean replayed() {
    return replayed;
  }

  /** The BAT, read through {@link #pending}. */
  BatReader bat() {
    return bat;
  }

  /** Metadata sectors changed and not yet in the file, over the file's bytes. */
  PendingSectors pending() {
    return pending;
  }

  @Override
  public DiskInfo info() {
    return info;
  }

  @Override
  public BlockMap blockMap() {
    return map;
  }

  @Override
  public ParentLink parentLink() {
    return metadata.parentLocator().map(l -> VhdxParentLinks.of(l, locatorAt)).orElse(null);
  }

  @Override
  public long tableEntries() {
    return heldEntries;
  }

  @Override
  public VirtualDisk open(Backing backing) throws IOException {
    List<Path> parents = backing.chain();
    DiskInfo opened = parents.isEmpty() ? info : info.withParent(parents.get(0));
    return new VhdxDisk(host, opened, bat, map, pending, backing, source);
  }
}
