package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The system metadata of a VHDX: the values of the known items, decoded and checked together.
 *
 * <p>File Parameters, Virtual Disk Size, Virtual Disk ID, Logical and Physical Sector Size must be
 * present, each with exactly its defined length (QEMU also refuses a file lacking any); the Parent
 * Locator must be present when HasParent is set and is ignored otherwise. Unknown items are
 * tolerated unless marked required, which refuses the file as the spec demands. The item flags of
 * known items are not insisted on, as the region Required bit is not: a reader gains nothing by
 * refusing a file whose values it understands.
 *
 * @param table the metadata table the values were found by
 * @param fileParameters block size and disk type flags
 * @param virtualDiskSize bytes, a multiple of the logical sector size, at most 64 TiB
 * @param virtualDiskId the page 83 identifier; copied to children (unlike VHD's unique id)
 * @param logicalSectorSize 512 or 4096
 * @param physicalSectorSize 512 or 4096
 * @param parentLocator present exactly for differencing disks
 */
record VhdxMetadata(
    MetadataTable table,
    FileParameters fileParameters,
    long virtualDiskSize,
    UUID virtualDiskId,
    int logicalSectorSize,
    int physicalSectorSize,
    Optional<ParentLocator> parentLocator) {

  /** File Parameters, CAA16737-FA36-4D43-B3B6-33F0AA44E76B. */
  public static final UUID FILE_PARAMETERS =
      UUID.fromString("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
  /** Virtual Disk Size, 2FA54224-CD1B-4876-B211-5DBED83BF4B8. */
  public static final UUID VIRTUAL_DISK_SIZE =
      UUID.fromString("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
  /** Virtual Disk ID (page 83), BECA12AB-B2E6-4523-93EF-C309E000C746. */
  public static final UUID VIRTUAL_DISK_ID =
      UUID.fromString("BECA12AB-B2E6-4523-93EF-C309E000C746");
  /** Logical Sector Size, 8141BF1D-A96F-4709-BA47-F233A8FAAB5F. */
  public static final UUID LOGICAL_SECTOR_SIZE =
      UUID.fromString("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");
  /** Physical Sector Size, CDA348C7-445D-4471-9CC9-E9885251C556. */
  public static final UUID PHYSICAL_SECTOR_SIZE =
      UUID.fromString("CDA348C7-445D-4471-9CC9-E9885251C556");
  /** Parent Locator, A8D35F2D-B30B-454D-ABF7-D3D84834AB0C. */
  public static final UUID PARENT_LOCATOR =
      UUID.fromString("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
  /** Largest virtual disk: 64 TiB. */
  public static final long MAX_VIRTUAL_DISK_SIZE = 64L << 40;

  private static final Map<UUID, String> KNOWN = knownItems();

  private static Map<UUID, String> knownItems() {
    Map<UUID, String> m = new LinkedHashMap<>();
    m.put(FILE_PARAMETERS, "File Parameters");
    m.put(VIRTUAL_DISK_SIZE, "Virtual Disk Size");
    m.put(VIRTUAL_DISK_ID, "Virtual Disk ID");
    m.put(LOGICAL_SECTOR_SIZE, "Logical Sector Size");
    m.put(PHYSICAL_SECTOR_SIZE, "Physical Sector Size");
    m.put(PARENT_LOCATOR, "Parent Locator");
    return Collections.unmodifiableMap(m);
  }

  /** Checks the values against each other. */
  public VhdxMetadata {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(fileParameters, "fileParameters");
    Objects.requireNonNull(virtualDiskId, "virtualDiskId");
    Objects.requireNonNull(parentLocator, "parentLocator");
    if (!validSectorSize(logicalSectorSize) || !validSectorSize(physicalSectorSize)) {
      throw new IllegalArgumentException("sector sizes are 512 or 4096");
    }
    if (virtualDiskSize < 0 || virtualDiskSize > MAX_VIRTUAL_DISK_SIZE
        || virtualDiskSize % logicalSectorSize != 0) {
      throw new IllegalArgumentException("virtual disk size out of range");
    }
    if (fileParameters.hasParent() != parentLocator.isPresent()) {
      throw new IllegalArgumentException("a parent locator goes with HasParent, and only then");
    }
  }

  /**
   * Reads the metadata region: its table, then the value of every known item the table lists.
   * Reads are bounded by the table's checks: at most 64 KiB plus 1 MiB per known item.
   */
  public static VhdxMetadata read(ByteSource source, RegionEntry region) throws IOException {
    byte[] head = source.readStructure(region.fileOffset(), MetadataTable.SIZE, "metadata table");
    MetadataTable table = MetadataTable.decode(head, region.length(), source.name(),
        region.fileOffset());
    Map<UUID, byte[]> values = new HashMap<>();
    for (UUID id : KNOWN.keySet()) {
      Optional<MetadataEntry> e = table.system(id);
      if (e.isPresent()) {
        values.put(id, source.readStructure(region.fileOffset() + e.get().offset(),
            (int) e.get().length(), "metadata item " + KNOWN.get(id)));
      }
    }
    return decode(table, values, source.name(), region.fileOffset());
  }

  /**
   * Decodes the known items' values.
   *
   * @param values each known system item's value by GUID, as the table locates it
   * @param regionOffset the metadata region's file offset, for messages
   */
  public static VhdxMetadata decode(MetadataTable table, Map<UUID, byte[]> values, String file,
      long regionOffset) throws VhdFormatException {
    for (MetadataEntry e : table.entries()) {
      if (e.isRequired() && (e.isUser() || !KNOWN.containsKey(e.itemId()))) {
        throw new VhdFormatException(file, regionOffset, "unknown required "
            + MetadataTable.nameOf(e) + ": this reader cannot open the file without "
            + "understanding it");
      }
    }
    FileParameters params = FileParameters.decode(
        value(table, values, FILE_PARAMETERS, FileParameters.SIZE, file, regionOffset), file,
        at(table, FILE_PARAMETERS, regionOffset));
    int lss = sectorSize(table, values, LOGICAL_SECTOR_SIZE, file, regionOffset);
    int pss = sectorSize(table, values, PHYSICAL_SECTOR_SIZE, file, regionOffset);
    long size = LittleEndian.int64(
        value(table, values, VIRTUAL_DISK_SIZE, 8, file, regionOffset), 0);
    if (size < 0 || size > MAX_VIRTUAL_DISK_SIZE || size % lss != 0) {
      throw new VhdFormatException(file, at(table, VIRTUAL_DISK_SIZE, regionOffset),
          "virtual disk size " + Long.toUnsignedString(size) + " is not a multiple of the "
              + lss + "-byte logical sector up to 64 TiB");
    }
    UUID diskId = MsGuid.read(value(table, values, VIRTUAL_DISK_ID, 16, file, regionOffset), 0);
    Optional<ParentLocator> locator = Optional.empty();
    if (params.hasParent()) {
      if (table.system(PARENT_LOCATOR).isEmpty()) {
        throw new VhdFormatException(file, regionOffset, "differencing disk (HasParent) without "
            + "a Parent Locator metadata item");
      }
      byte[] raw = values.get(PARENT_LOCATOR);
      if (raw == null) {
        throw new IllegalArgumentException("no value given for the listed parent locator");
      }
      locator = Optional.of(ParentLocator.decode(raw, file,
          at(table, PARENT_LOCATOR, regionOffset)));
    }
    return new VhdxMetadata(table, params, size, diskId, lss, pss, locator);
  }

  private static int sectorSize(MetadataTable table, Map<UUID, byte[]> values, UUID id,
      String file, long regionOffset) throws VhdFormatException {
    long v = LittleEndian.uint32(value(table, values, id, 4, file, regionOffset), 0);
    if (!validSectorSize(v)) {
      throw new VhdFormatException(file, at(table, id, regionOffset), KNOWN.get(id) + " " + v
          + " is neither 512 nor 4096");
    }
    return (int) v;
  }

  private static byte[] value(MetadataTable table, Map<UUID, byte[]> values, UUID id,
      int length, String file, long regionOffset) throws VhdFormatException {
    Optional<MetadataEntry> e = table.system(id);
    if (e.isEmpty()) {
      throw new VhdFormatException(file, regionOffset, "required metadata item "
          + KNOWN.get(id) + " is missing");
    }
    if (e.get().length() != length) {
      throw new VhdFormatException(file, regionOffset + e.get().offset(), "metadata item "
          + KNOWN.get(id) + " is " + e.get().length() + " bytes long, not " + length);
    }
    byte[] v = values.get(id);
    if (v == null || v.length != length) {
      throw new IllegalArgumentException("no " + length + "-byte value given for " + id);
    }
    return v;
  }

  private static long at(MetadataTable table, UUID id, long regionOffset) {
    return regionOffset + table.system(id).map(MetadataEntry::offset).orElse(0L);
  }

  private static boolean validSectorSize(long v) {
    return v == 512 || v == 4096;
  }

  /** The readable name of a known system item, or {@code null}. */
  static String knownItemName(UUID id) {
    return KNOWN.get(id);
  }

  /** The disk type the File Parameters flags make. */
  public VhdxDiskType diskType() {
    return fileParameters.diskType();
  }

  /** The BAT geometry these values imply. */
  public BatGeometry batGeometry() {
    return new BatGeometry(virtualDiskSize, fileParameters.blockSize(), logicalSectorSize,
        fileParameters.hasParent());
  }
}
