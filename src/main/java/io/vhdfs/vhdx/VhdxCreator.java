package io.vhdfs.vhdx;

import io.vhdfs.disk.NewImageFile;
import io.vhdfs.disk.WindowsPaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Creates new fixed and dynamic VHDX images in the layout of {@code vhdx-format.md} §6: the log
 * (1 MiB, empty) at 1 MiB, the metadata region at 2 MiB, the BAT at 3 MiB, payload blocks after
 * it. Regions are marked required as Hyper-V marks them; the two headers carry sequence numbers
 * 1 and 2 and the same GUIDs, so either one is the image; both region table copies are the same.
 *
 * <p>A dynamic image is only its structures: its BAT is all NOT_PRESENT, so the BAT region is a
 * hole on the host. A fixed image has every block FULLY_PRESENT in ascending order with
 * LeaveBlockAllocated set; its data area is never written, so it is a hole where the host has
 * them, and reads as zeros.
 */
final class VhdxCreator {
  /** The creator text of the file identifier. */
  static final String CREATOR = "vhdfs";
  /** Hyper-V's default block size. */
  static final int DEFAULT_BLOCK_SIZE = 32 << 20;
  static final long LOG_OFFSET = 1 << 20;
  static final long LOG_LENGTH = 1 << 20;
  static final long METADATA_OFFSET = 2 << 20;
  static final long METADATA_LENGTH = 1 << 20;
  static final long BAT_OFFSET = 3 << 20;
  private static final long MIB = 1 << 20;
  /** Bytes of BAT encoded per write of a fixed image's table. */
  private static final int BAT_PAGE = 1 << 20;

  private VhdxCreator() {}

  /** The BAT region's length for {@code geometry}: its entries, rounded up to 1 MiB. */
  static long batLength(BatGeometry geometry) {
    return roundUpMib(geometry.requiredBatBytes());
  }

  /** Where the first payload block of an image of {@code geometry} goes. */
  static long firstBlockOffset(BatGeometry geometry) {
    return BAT_OFFSET + batLength(geometry);
  }

  /**
   * Creates {@code image}, which must not exist, durably; nothing is left behind if that fails.
   *
   * @param fixed a fixed image (every block allocated) rather than a dynamic one
   * @param size the virtual size, a multiple of {@code logicalSectorSize}, at most 64 TiB
   * @param blockSize a power of two from 1 to 256 MiB
   * @param logicalSectorSize 512 or 4096
   * @param physicalSectorSize 512 or 4096
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   * @throws IllegalArgumentException if a value is out of range
   */
  static void create(Path image, boolean fixed, long size, int blockSize, int logicalSectorSize,
      int physicalSectorSize) throws IOException {
    if (size <= 0) {
      throw new IllegalArgumentException("virtual disk size must be more than 0 bytes");
    }
    write(image, fixed ? Kind.FIXED : Kind.DYNAMIC, size, blockSize, logicalSectorSize,
        physicalSectorSize, UUID.randomUUID(), null);
  }

  /**
   * Creates {@code image}, which must not exist, as a differencing child of the VHDX at real path
   * {@code parent} whose metadata and current header are {@code parentFields}: the parent's
   * virtual-disk items (size, disk id, sector sizes), a locator with the parent's DataWriteGuid
   * as {@code parent_linkage} and its path relative to the child and absolute (of a parent on
 * another host, its file name and its URI, {@link ParentLocator#VHDFS_PARENT_URI}), and a sector
   * bitmap block for every chunk, zeros (a hole on the host), all blocks NOT_PRESENT. The bitmap
   * blocks cost 1 MiB per chunk of host address space only, and keep libvhdi exact: it reads a
   * chunk without one from the wrong place ({@code vhdx-format.md} §7.x).
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   */
  static void createChild(Path image, Path parent, VhdxFields parentFields, int blockSize)
      throws IOException {
    VhdxMetadata m = parentFields.metadata();
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put(ParentLocator.PARENT_LINKAGE,
        MsGuid.format(parentFields.header().dataWriteGuid()));
    if (!parent.getFileSystem().equals(image.getFileSystem())) {
      // On another host (an object store, say) no Windows path leads there: the file name
      // beside the child, for every reader, should the parent be copied there; and its URI
      // under a key of vhdfs's own, which the spec's readers pass over.
      entries.put(ParentLocator.RELATIVE_PATH, ".\\" + parent.getFileName());
      entries.put(ParentLocator.VHDFS_PARENT_URI, parent.toUri().toASCIIString());
    } else {
      String relative = WindowsPaths.relative(image, parent);
      if (relative != null) {
        entries.put(ParentLocator.RELATIVE_PATH, relative);
      }
      entries.put(ParentLocator.ABSOLUTE_WIN32_PATH, WindowsPaths.absolute(parent));
    }
    write(image, Kind.DIFFERENCING, m.virtualDiskSize(), blockSize, m.logicalSectorSize(),
        m.physicalSectorSize(), m.virtualDiskId(),
        new ParentLocator(ParentLocator.VHDX_PARENT_LOCATOR, entries));
  }

  private enum Kind { DYNAMIC, FIXED, DIFFERENCING }

  private static void write(Path image, Kind kind, long size, int blockSize,
      int logicalSectorSize, int physicalSectorSize, UUID diskId, ParentLocator locator)
      throws IOException {
    if (physicalSectorSize != 512 && physicalSectorSize != 4096) {
      throw new IllegalArgumentException("physical sector size must be 512 or 4096");
    }
    boolean fixed = kind == Kind.FIXED;
    BatGeometry geometry = new BatGeometry(size, blockSize, logicalSectorSize,
        kind == Kind.DIFFERENCING);
    long batLength = batLength(geometry);
    long firstBlock = BAT_OFFSET + batLength;
    long end = switch (kind) {
      case DYNAMIC -> firstBlock;
      case FIXED -> firstBlock + geometry.payloadBlocks() * blockSize;
      case DIFFERENCING -> firstBlock + geometry.bitmapBlocks() * BatGeometry.BITMAP_BLOCK_SIZE;
    };

    UUID fileWrite = UUID.randomUUID();
    UUID dataWrite = UUID.randomUUID();
    byte[] identifier = new FileIdentifier(CREATOR).encode();
    byte[] header1 = header(1, fileWrite, dataWrite).encode();
    byte[] header2 = header(2, fileWrite, dataWrite).encode();
    byte[] regions = new RegionTable(List.of(
        RegionEntry.of(RegionTable.METADATA, METADATA_OFFSET, METADATA_LENGTH, true),
        RegionEntry.of(RegionTable.BAT, BAT_OFFSET, batLength, true))).encode();
    byte[] metadata = metadata(fixed, size, blockSize, logicalSectorSize, physicalSectorSize,
        diskId, locator);

    NewImageFile.write(image, ch -> {
      writeAt(ch, identifier, 0);
      writeAt(ch, header1, VhdxHeader.HEADER1_OFFSET);
      writeAt(ch, header2, VhdxHeader.HEADER2_OFFSET);
      writeAt(ch, regions, RegionTable.COPY1_OFFSET);
      writeAt(ch, regions, RegionTable.COPY2_OFFSET);
      writeAt(ch, metadata, METADATA_OFFSET);
      if (kind != Kind.DYNAMIC) {
        writeBat(ch, geometry, firstBlock);
      }
      // The file's length without writing what lies before: the rest is a hole.
      if (ch.size() < end) {
        writeAt(ch, new byte[1], end - 1);
      }
    });
  }

  private static VhdxHeader header(long sequence, UUID fileWrite, UUID dataWrite) {
    return new VhdxHeader(sequence, fileWrite, dataWrite, MsGuid.ZERO, 0, VhdxHeader.VERSION,
        LOG_LENGTH, LOG_OFFSET);
  }

  /**
   * The metadata region's used part: the table, then the system items packed from 64 KiB in the
   * order qemu-img packs them; the file parameters (and a child's locator) required, the others
   * virtual-disk items.
   */
  private static byte[] metadata(boolean fixed, long size, int blockSize, int logicalSectorSize,
      int physicalSectorSize, UUID diskId, ParentLocator locator) {
    int base = MetadataTable.SIZE;
    byte[] located = locator == null ? new byte[0] : locator.encode();
    List<MetadataEntry> items = new ArrayList<>(List.of(
        MetadataEntry.of(VhdxMetadata.FILE_PARAMETERS, base, FileParameters.SIZE, false, false,
            true),
        MetadataEntry.of(VhdxMetadata.VIRTUAL_DISK_SIZE, base + 8, 8, false, true, true),
        MetadataEntry.of(VhdxMetadata.VIRTUAL_DISK_ID, base + 16, 16, false, true, true),
        MetadataEntry.of(VhdxMetadata.LOGICAL_SECTOR_SIZE, base + 32, 4, false, true, true),
        MetadataEntry.of(VhdxMetadata.PHYSICAL_SECTOR_SIZE, base + 36, 4, false, true, true)));
    if (locator != null) {
      items.add(MetadataEntry.of(VhdxMetadata.PARENT_LOCATOR, base + 40, located.length, false,
          false, true));
    }
    byte[] b = new byte[base + 40 + located.length];
    System.arraycopy(new MetadataTable(items).encode(), 0, b, 0, MetadataTable.SIZE);
    System.arraycopy(FileParameters.of(blockSize, fixed, locator != null).encode(), 0, b, base,
        FileParameters.SIZE);
    LittleEndian.putInt64(b, base + 8, size);
    MsGuid.write(b, base + 16, diskId);
    LittleEndian.putInt32(b, base + 32, logicalSectorSize);
    LittleEndian.putInt32(b, base + 36, physicalSectorSize);
    System.arraycopy(located, 0, b, base + 40, located.length);
    return b;
  }

  /**
   * A fixed image's table: every payload entry FULLY_PRESENT at {@code firstBlock + i *
   * blockSize}, every bitmap slot NOT_PRESENT; a child's: every payload entry NOT_PRESENT, chunk
   * c's bitmap block present at {@code firstBlock + c MiB}. Written a page at a time: a 64 TiB
   * table of 1 MiB blocks is 512 MiB.
   */
  private static void writeBat(SeekableByteChannel ch, BatGeometry geometry, long firstBlock)
      throws IOException {
    long total = geometry.totalEntries();
    int perPage = BAT_PAGE / BatGeometry.ENTRY_SIZE;
    byte[] page = new byte[BAT_PAGE];
    for (long start = 0; start < total; start += perPage) {
      int count = (int) Math.min(perPage, total - start);
      for (int i = 0; i < count; i++) {
        long index = start + i;
        long raw;
        if (geometry.differencing()) {
          raw = !geometry.isBitmapIndex(index) ? 0 : BatEntry.of(BatEntry.SB_BLOCK_PRESENT,
              firstBlock + geometry.chunkOfIndex(index) * BatGeometry.BITMAP_BLOCK_SIZE).raw();
        } else {
          raw = geometry.isBitmapIndex(index) ? 0 : BatEntry.of(PayloadState.FULLY_PRESENT.code,
              firstBlock + geometry.blockOfIndex(index) * geometry.blockSize()).raw();
        }
        LittleEndian.putInt64(page, i * BatGeometry.ENTRY_SIZE, raw);
      }
      NewImageFile.writeAt(ch, ByteBuffer.wrap(page, 0, count * BatGeometry.ENTRY_SIZE),
          BAT_OFFSET + start * BatGeometry.ENTRY_SIZE);
    }
  }

  private static long roundUpMib(long n) {
    return (n + MIB - 1) / MIB * MIB;
  }

  private static void writeAt(SeekableByteChannel ch, byte[] b, long at) throws IOException {
    NewImageFile.writeAt(ch, ByteBuffer.wrap(b), at);
  }
}
