package io.vhdfs.disk;

import io.vhdfs.format.Bat;
import io.vhdfs.format.DiskType;
import io.vhdfs.format.DynamicHeader;
import io.vhdfs.format.Footer;
import io.vhdfs.format.Geometry;
import io.vhdfs.format.ParentLocator;
import io.vhdfs.format.VhdTime;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Collections;
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
public final class ImageCreator {
  /** Creator application written into new images. */
  public static final String CREATOR = "vhdf";
  /** Creator version written into new images: 1.0. */
  static final int CREATOR_VERSION = 0x0001_0000;
  /** Creator host OS written into new images: {@code Wi2k}, as qemu-img and Windows write it. */
  static final int HOST_OS_WINDOWS = 0x5769_326B;
  private static final long BAT_OFFSET = 1536;
  /** The largest geometry's sector count; sizes above it cannot be rounded to a geometry. */
  private static final long MAX_CHS_SECTORS = Geometry.MAX.totalSectors();

  private ImageCreator() {}

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
    if (size <= 0 || size > DiskOpener.MAX_SIZE) {
      throw new IllegalArgumentException("size " + requested + " out of range 1 byte .. 2040 GiB");
    }
    Footer footer = new Footer(Footer.FEATURE_RESERVED, Footer.VERSION_1_0,
        type == DiskType.FIXED ? Footer.NO_DATA_OFFSET : Footer.SIZE,
        VhdTime.of(Instant.now()), CREATOR, CREATOR_VERSION, HOST_OS_WINDOWS, size, size,
        geometryOf(size, exactSize), type, UUID.randomUUID(), 0, 0);
    try (SeekableByteChannel ch = Files.newByteChannel(image, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      boolean done = false;
      try {
        if (type == DiskType.FIXED) {
          // Writing only the footer leaves the data area a hole: no byte-by-byte zero fill.
          writeAt(ch, footer.encode(), size);
        } else {
          writeAt(ch, dynamicLayout(footer, size, blockSize), 0);
        }
        if (ch instanceof FileChannel fc) {
          fc.force(true);
        }
        done = true;
      } finally {
        if (!done) {
          ch.close();
          Files.deleteIfExists(image);
        }
      }
    }
  }

  private static byte[] dynamicLayout(Footer footer, long size, int blockSize) {
    long entries = (size + blockSize - 1) / blockSize;
    if (entries > DiskOpener.MAX_TABLE_ENTRIES) {
      throw new IllegalArgumentException("block size " + blockSize + " is too small for " + size
          + " bytes: the table would need " + entries + " entries");
    }
    DynamicHeader header = new DynamicHeader(Footer.NO_DATA_OFFSET, BAT_OFFSET, 0x0001_0000,
        entries, blockSize, new UUID(0, 0), 0, "",
        Collections.nCopies(DynamicHeader.LOCATOR_COUNT, ParentLocator.EMPTY));
    byte[] bat = Bat.empty((int) entries).encode();
    byte[] f = footer.encode();
    byte[] all = new byte[(int) (BAT_OFFSET + bat.length + Footer.SIZE)];
    System.arraycopy(f, 0, all, 0, Footer.SIZE);
    System.arraycopy(header.encode(), 0, all, Footer.SIZE, DynamicHeader.SIZE);
    System.arraycopy(bat, 0, all, (int) BAT_OFFSET, bat.length);
    System.arraycopy(f, 0, all, (int) BAT_OFFSET + bat.length, Footer.SIZE);
    return all;
  }

  private static void writeAt(SeekableByteChannel ch, byte[] b, long position)
      throws IOException {
    ch.position(position);
    ByteBuffer buf = ByteBuffer.wrap(b);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }
}
