package io.vhdfs.vhd;

import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.NewImageFile;
import io.vhdfs.disk.WindowsPaths;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Creates new fixed and dynamic images laid out as qemu-img lays them out, so every reader finds
 * what it expects: a dynamic image is the footer copy, the header at 512, the BAT at 1536 (0xFF
 * padded to a sector) and the footer; a fixed image is the data area, left as a hole on the host,
 * and the footer.
 *
 * <p>Sizes: by default the size is rounded up to a whole CHS geometry as qemu-img does, so QEMU of
 * every version (some read the geometry, some the size field), libvhdi and Hyper-V all see the same
 * bytes. With {@code exactSize} the size is kept and the geometry is 65535/16/255, which every
 * reader takes to mean "use the size field"; that is what Azure wants.
 */
public final class VhdCreator {
  /** Creator application written into new images. */
  public static final String CREATOR = "vhdf";
  /** Creator version written into new images: 1.0. */
  static final int CREATOR_VERSION = 0x0001_0000;
  /** Creator host OS written into new images: {@code Wi2k}, as qemu-img and Windows write it. */
  static final int HOST_OS_WINDOWS = 0x5769_326B;
  private static final long BAT_OFFSET = 1536;
  /** The largest geometry's sector count; sizes above it cannot be rounded to a geometry. */
  private static final long MAX_CHS_SECTORS = Geometry.MAX.totalSectors();

  private VhdCreator() {}

  /** The virtual size an image created for {@code requested} bytes has. */
  public static long createdSize(long requested, boolean exactSize) {
    long sectors = (requested + 511) / 512;
    Geometry g = geometryOf(sectors * 512, exactSize);
    // Where rounding up reaches 65535/16/255 that geometry stands for "use the size field", so,
    // as qemu-img does, the requested size is kept.
    return g.isMax() ? sectors * 512 : g.totalSectors() * 512;
  }

  /** The geometry stored for a new image of {@code size} bytes (whole sectors). */
  static Geometry geometryOf(long size, boolean exactSize) {
    long sectors = size / 512;
    return exactSize || sectors > MAX_CHS_SECTORS ? Geometry.MAX : Geometry.roundingUp(sectors);
  }

  /**
   * Creates {@code image}, which must not exist.
   *
   * @param requested the requested virtual size; see {@link #createdSize}
   * @param blockSize the block size of a dynamic image (ignored for a fixed one)
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   */
  public static void create(Path image, DiskType type, long requested, int blockSize,
      boolean exactSize) throws IOException {
    if (type == DiskType.DIFFERENCING) {
      throw new IllegalArgumentException("differencing images are created with their parent");
    }
    long size = createdSize(requested, exactSize);
    if (size <= 0 || size > VhdLayer.MAX_SIZE) {
      throw new IllegalArgumentException("size " + requested + " out of range 1 byte .. 2040 GiB");
    }
    Footer footer = newFooter(type, size, exactSize);
    NewImageFile.write(image, ch -> {
      if (type == DiskType.FIXED) {
        // Writing only the footer leaves the data area a hole: no byte-by-byte zero fill.
        writeAt(ch, footer.encode(), size);
      } else {
        writeAt(ch, dynamicLayout(footer, size, blockSize), 0);
      }
    });
  }

  /**
   * The footer of a new fixed or dynamic image of {@code size} bytes, a size {@link #createdSize}
   * gives: a new unique id, the time now, our creator fields, the geometry for the size.
   */
  public static Footer newFooter(DiskType type, long size, boolean exactSize) {
    return new Footer(Footer.FEATURE_RESERVED, Footer.VERSION_1_0,
        type == DiskType.FIXED ? Footer.NO_DATA_OFFSET : Footer.SIZE,
        VhdTime.of(Instant.now()), CREATOR, CREATOR_VERSION, HOST_OS_WINDOWS, size, size,
        geometryOf(size, exactSize), type, UUID.randomUUID(), 0, 0);
  }

  /**
   * Creates {@code image}, which must not exist, as a differencing child of the image at real
   * path {@code parent}, open as {@code parentInfo}: the parent's size (and geometry, where that
   * spans the size; 65535/16/255 otherwise), its unique id,
   * its file's modification time, its file name in the header, and, as Hyper-V writes them, a
   * {@code W2ku} locator with the absolute path and a {@code W2ru} one with the path relative to
   * the child ({@code .\base.vhd}), both UTF-16LE, their data space in bytes; and a
   * {@code MacX} file URL where a backslash in the path would be misread in those. A parent on
   * another host than the child's gets its URI in a {@code MacX} locator and its file name in a
   * {@code W2ru} one instead. The locator data sits between the header and the BAT, where no
   * writer that ignores locators puts blocks.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   */
  static void createChild(Path image, Path parent, DiskInfo parentInfo, int blockSize)
      throws IOException {
    Footer p = VhdFields.of(parentInfo).footer();
    long size = parentInfo.size();
    // The parent's geometry where it spans the size; otherwise (Hyper-V's floor geometries) the
    // one every QEMU reads as "use the size field", so no reader sees the child smaller.
    Geometry geometry = p.geometry().totalSectors() * 512 == size ? p.geometry() : Geometry.MAX;
    Footer footer = new Footer(Footer.FEATURE_RESERVED, Footer.VERSION_1_0, Footer.SIZE,
        VhdTime.of(Instant.now()), CREATOR, CREATOR_VERSION, HOST_OS_WINDOWS, size, size,
        geometry, DiskType.DIFFERENCING, UUID.randomUUID(), 0, 0);
    String name = parent.getFileName().toString();
    if (name.length() > 256) {
      throw new IllegalArgumentException("parent file name longer than the 256 UTF-16 units the "
          + "header holds: " + name);
    }
    List<LocatorData> data = parentLocators(image, parent);
    long entries = tableEntries(size, blockSize);
    // Locator data goes between the header and the BAT: QEMU, which knows no locators, puts its
    // first new block right after the BAT and would overwrite data placed there.
    long at = BAT_OFFSET;
    List<ParentLocator> locators = new ArrayList<>();
    List<byte[]> paths = new ArrayList<>();
    for (LocatorData d : data) {
      long space = d.space();
      locators.add(new ParentLocator(d.code(), space, d.bytes().length, at));
      paths.add(d.bytes());
      at += space;
    }
    while (locators.size() < DynamicHeader.LOCATOR_COUNT) {
      locators.add(ParentLocator.EMPTY);
    }
    long parentTime = VhdTime.of(Files.getLastModifiedTime(parent).toInstant());
    DynamicHeader header = new DynamicHeader(Footer.NO_DATA_OFFSET, at, 0x0001_0000,
        entries, blockSize, p.uniqueId(), parentTime, name, locators);
    byte[] layout = dynamicLayout(footer, header, paths);
    NewImageFile.write(image, ch -> writeAt(ch, layout, 0));
  }

  /**
   * One parent locator's data as a new child records it: its platform code and bytes.
   *
   * @param code {@link ParentLocator#W2KU}, {@link ParentLocator#W2RU} or
   *     {@link ParentLocator#MACX}
   */
  record LocatorData(int code, byte[] bytes) {
    /** The whole sectors the data is given. */
    long space() {
      return (bytes.length + 511L) / 512 * 512;
    }
  }

  /**
   * The locators a child at {@code image} records for the parent at real path {@code parent}:
   * {@code W2ku} with the absolute path, {@code W2ru} with the path from the child's directory
   * where one leads there, and {@code MacX} where a backslash in the path would be misread in
   * those; for a parent on another host, its URI in {@code MacX} and its name in {@code W2ru}.
   */
  static List<LocatorData> parentLocators(Path image, Path parent) throws IOException {
    List<LocatorData> data = new ArrayList<>();
    if (!parent.getFileSystem().equals(image.getFileSystem())) {
      // On another host (an object store, say) no Windows path leads there: its URI, in the
      // MacX locator, where file URLs go, for vhdfs; and the file name beside the child, for
      // every reader, should the parent be copied there.
      data.add(new LocatorData(ParentLocator.MACX,
          parent.toUri().toASCIIString().getBytes(StandardCharsets.UTF_8)));
      data.add(new LocatorData(ParentLocator.W2RU,
          ParentLocator.windowsPathData(".\\" + parent.getFileName())));
      return data;
    }
    data.add(new LocatorData(ParentLocator.W2KU,
        ParentLocator.windowsPathData(WindowsPaths.absolute(parent))));
    String relative = WindowsPaths.relative(image, parent);
    if (relative != null) {
      data.add(new LocatorData(ParentLocator.W2RU, ParentLocator.windowsPathData(relative)));
    }
    String absolute = parent.toAbsolutePath().toString();
    if (!parent.getFileSystem().getSeparator().equals("\\") && absolute.indexOf('\\') >= 0) {
      // A backslash in a name here reads as a separator in the Windows forms; a file URL, as
      // blktap also writes, names the parent unambiguously.
      data.add(new LocatorData(ParentLocator.MACX, ParentLocator.fileUrlData(absolute)));
    }
    return data;
  }

  private static long tableEntries(long size, int blockSize) {
    long entries = (size + blockSize - 1) / blockSize;
    if (entries > VhdLayer.MAX_TABLE_ENTRIES) {
      throw new IllegalArgumentException("block size " + blockSize + " is too small for " + size
          + " bytes: the table would need " + entries + " entries");
    }
    return entries;
  }

  private static byte[] dynamicLayout(Footer footer, long size, int blockSize) {
    DynamicHeader header = new DynamicHeader(Footer.NO_DATA_OFFSET, BAT_OFFSET, 0x0001_0000,
        tableEntries(size, blockSize), blockSize, new UUID(0, 0), 0, "",
        Collections.nCopies(DynamicHeader.LOCATOR_COUNT, ParentLocator.EMPTY));
    return dynamicLayout(footer, header, List.of());
  }

  /** Footer copy, header, locator data in their reserved space, BAT, footer. */
  private static byte[] dynamicLayout(Footer footer, DynamicHeader header, List<byte[]> paths) {
    byte[] bat = Bat.empty((int) header.maxTableEntries()).encode();
    long end = header.tableOffset() + bat.length;
    byte[] f = footer.encode();
    byte[] all = new byte[(int) (end + Footer.SIZE)];
    System.arraycopy(f, 0, all, 0, Footer.SIZE);
    System.arraycopy(header.encode(), 0, all, Footer.SIZE, DynamicHeader.SIZE);
    System.arraycopy(bat, 0, all, (int) header.tableOffset(), bat.length);
    for (int i = 0; i < paths.size(); i++) {
      byte[] p = paths.get(i);
      System.arraycopy(p, 0, all, (int) header.locators().get(i).dataOffset(), p.length);
    }
    System.arraycopy(f, 0, all, (int) end, Footer.SIZE);
    return all;
  }

  private static void writeAt(SeekableByteChannel ch, byte[] b, long position)
      throws IOException {
    NewImageFile.writeAt(ch, ByteBuffer.wrap(b), position);
  }
}
