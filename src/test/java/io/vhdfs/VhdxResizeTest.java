package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Exit;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link VhdImages#resize} on VHDX (issue 14, item 1): fixed, dynamic and differencing images made
 * by qemu-img and by this library, 512- and 4096-byte sectors, grow (the BAT region moving to the
 * end of the file where it is too small) and shrink over an empty range; afterwards qemu-img info
 * shows the new size, qemu-img check is clean, qemu-img compare and libvhdi read the old bytes
 * then zeros. A shrink over data is refused naming its first offset. Cut after any host write of
 * a resize, the image opens with its old or its new size and every byte it held.
 */
final class VhdxResizeTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;
  /** libvhdi's reading of a differencing image before its resize. */
  private List<String> libvhdiBefore;

  /** Images resized: who made them, and how. */
  enum Kind {
    QEMU_DYNAMIC(true, "block_size=1M", MIB, 512),
    QEMU_FIXED(true, "subformat=fixed,block_size=8M", 8 * MIB, 512),
    VHDFS_DYNAMIC(false, "dynamic", 32 * MIB, 512),
    VHDFS_FIXED(false, "fixed", MIB, 512),
    VHDFS_DYNAMIC_4K_SECTORS(false, "dynamic", MIB, 4096),
    VHDFS_DIFFERENCING(false, "differencing", MIB, 512);

    final boolean byQemu;
    final String how;
    final int blockSize;
    final int sector;

    Kind(boolean byQemu, String how, int blockSize, int sector) {
      this.byQemu = byQemu;
      this.how = how;
      this.blockSize = blockSize;
      this.sector = sector;
    }

    boolean differencing() {
      return how.equals("differencing");
    }

    /** qemu-img refuses 4096-byte logical sectors, and reads no VHDX chain here. */
    boolean qemuReads() {
      return sector == 512 && !differencing();
    }
  }

  private long create(Kind kind, Path image, long size) throws IOException {
    if (kind.byQemu) {
      VhdxTools.require().create(image, size, kind.how);
    } else if (kind.differencing()) {
      Path base = base(image);
      VhdImages.create(base, Map.of("type", "dynamic", "size", Long.toString(size),
          "blockSize", Integer.toString(kind.blockSize)));
      Chains.write(base, 0, Chains.randomBytes(2 * MIB, 7));
      VhdImages.create(image, Map.of("type", "differencing", "parent",
          base.getFileName().toString(), "blockSize", Integer.toString(kind.blockSize)));
    } else {
      VhdImages.create(image, Map.of("type", kind.how, "size", Long.toString(size),
          "blockSize", Integer.toString(kind.blockSize), "logicalSectorSize",
          Integer.toString(kind.sector)));
    }
    return Chains.diskSize(image);
  }

  private static Path base(Path image) {
    return image.resolveSibling("base-" + image.getFileName());
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void growKeepsEveryByteAndEveryReaderSeesTheNewSize(Kind kind) throws IOException {
    Path image = dir.resolve("disk.vhdx");
    long oldSize = create(kind, image, 24 * MIB);
    Chains.write(image, 0, Chains.randomBytes(8192, 1));
    Chains.write(image, 5 * MIB + 512 * 8, Chains.randomBytes(70 * KIB, 2));
    Chains.write(image, oldSize - 4096, Chains.randomBytes(4096, 3));
    byte[] before = Chains.readDisk(image);
    if (kind.differencing()) {
      libvhdiBefore = readChain(image, oldSize).lines();
    }
    long requested = 300L * MIB + 512;

    VhdImages.Resize r = VhdImages.resize(image, requested, false);

    long expected = (requested + kind.sector - 1) / kind.sector * kind.sector;
    assertEquals(oldSize, r.oldSize(), "Resize.oldSize");
    assertEquals(expected, r.newSize(), "Resize.newSize");
    assertNull(r.moved(), "a 1 MiB BAT region has room for 300 MiB");
    assertReadsAs(image, before, expected);
    assertPeersRead(kind, image, before, expected);

    byte[] tail = Chains.randomBytes(64 * KIB, 5);
    long at = expected - 64 * KIB - 4096;
    Chains.write(image, at, tail);
    byte[] now = Arrays.copyOf(before, (int) (at + tail.length));
    System.arraycopy(tail, 0, now, (int) at, tail.length);
    assertReadsAs(image, now, expected);
    assertPeersRead(kind, image, now, expected);
  }

  @Test
  void growPastWhatTheBatRegionHoldsMovesItToTheEndOfTheFile() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("disk.vhdx");
    qemu.create(image, 8L * MIB, "block_size=1M");
    qemu.write(image, List.of(new QemuTools.Write(0x5a, 0, 3 * MIB)));
    long size = 130L << 30;

    VhdImages.Resize r = VhdImages.resize(image, size, false);

    assertEquals(size, r.newSize());
    assertNotNull(r.moved(), "131072 entries of 8 bytes fill 1 MiB: the region had to move");
    assertEquals(size, qemu.virtualSize(image), qemu.infoJson(image));
    Exit check = qemu.check(image, false);
    assertEquals(0, check.code(), check.describe());
    assertEquals(0, qemu.readPattern(image, 0x5a, 0, 3 * MIB).code(), "qemu-io: old data");
    assertEquals(0, qemu.readPattern(image, 0, size - 8 * MIB, 8 * MIB).code(),
        "qemu-io: zeros at the new end");
    Chains.write(image, size - MIB, new byte[MIB]);
    Chains.write(image, size - 2 * MIB, filled(MIB, 0x33));
    assertEquals(0, qemu.readPattern(image, 0x33, size - 2 * MIB, MIB).code(),
        "qemu-io: a block written past the old end");
    check = qemu.check(image, false);
    assertEquals(0, check.code(), check.describe());
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check");
    Libvhdi.Reading reading = Libvhdi.require().read(image,
        List.of(new Window(0, 3 * MIB), new Window(size - 2 * MIB, MIB)), dir);
    try (FileChannel expected = expectedRaw(filled(3 * MIB, 0x5a), 3 * MIB)) {
      assertEquals(Libvhdi.hashes(expected, List.of(new Window(0, 3 * MIB))).get(0),
          reading.lines().get(0), "libvhdi: old data");
    }
    assertEquals(size, reading.mediaSize(), "libvhdi's size");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void shrinkOverAnEmptyRangeKeepsEveryByte(Kind kind) throws IOException {
    Path image = dir.resolve("disk.vhdx");
    long oldSize = create(kind, image, 24 * MIB);
    Chains.write(image, 4096, Chains.randomBytes(2 * MIB + 4096, 3));
    byte[] before = Chains.readDisk(image);
    long expected = (8 * MIB + 512 + kind.sector - 1) / kind.sector * kind.sector;
    if (kind.differencing()) {
      libvhdiBefore = readChain(image, expected).lines();
    }
    assertThrows(FileSystemException.class, () -> VhdImages.resize(image, 8 * MIB, false));

    VhdImages.Resize r = VhdImages.resize(image, 8 * MIB + 512, true);

    assertEquals(expected, r.newSize());
    byte[] kept = Arrays.copyOf(before, (int) expected);
    assertReadsAs(image, kept, expected);
    assertPeersRead(kind, image, kept, expected);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void shrinkOverDataIsRefusedNamingItsFirstOffset(Kind kind) throws IOException {
    Path image = dir.resolve("disk.vhdx");
    create(kind, image, 24 * MIB);
    long dataAt = 17 * MIB + 4096;
    byte[] data = Chains.randomBytes(8192, 9);
    data[0] = 1;
    Chains.write(image, dataAt, data);
    byte[] file = Files.readAllBytes(image);

    FileSystemException e = assertThrows(FileSystemException.class,
        () -> VhdImages.resize(image, 8 * MIB, true));

    // A fixed image stores every block, and a block the new end cuts is kept: there the first
    // non-zero byte is named; elsewhere the first block stored past the new end.
    // A differencing image stores the written sectors only: the first of them is named.
    boolean bytes = kind.how.contains("fixed") || dataAt / kind.blockSize == 8 * MIB
        / kind.blockSize;
    long first = bytes || kind.differencing() ? dataAt : dataAt / kind.blockSize * kind.blockSize;
    String what = bytes ? "holds a non-zero byte" : "is allocated";
    assertTrue(e.getMessage().contains("virtual offset " + first + " " + what),
        "the refusal names offset " + first + ": " + e.getMessage());
    assertArrayEquals(file, Files.readAllBytes(image), "a refused shrink changed the file");
  }

  /** Resizes cut after every host write. */
  enum Cut {
    DYNAMIC_GROW("dynamic", 24 * MIB, 300L * MIB),
    DYNAMIC_GROW_MOVING_THE_BAT("dynamic", 24 * MIB, 130L << 30),
    DYNAMIC_SHRINK("dynamic", 24 * MIB, 8 * MIB),
    FIXED_GROW("fixed", 8 * MIB, 20 * MIB);

    final String type;
    final long from;
    final long to;

    Cut(String type, long from, long to) {
      this.type = type;
      this.from = from;
      this.to = to;
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Cut.class)
  void resizeCutAfterAnyHostWriteOpensWithTheOldOrTheNewSizeAndEveryByte(Cut cut)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = Files.createDirectories(jimfs.getPath("/images")).resolve("disk.vhdx");
      VhdImages.create(image, Map.of("type", cut.type, "size", Long.toString(cut.from),
          "blockSize", Integer.toString(MIB)));
      long kept = Math.min(cut.from, cut.to);
      Chains.write(image, 4096, Chains.randomBytes(MIB, 1));
      Chains.write(image, kept - 8192, Chains.randomBytes(4096, 2));
      byte[] disk = Arrays.copyOf(Chains.readDisk(image), (int) kept);
      byte[] file = Files.readAllBytes(image);

      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      VhdImages.Resize r = VhdImages.resize(host.wrap(image), cut.to, true);
      assertEquals(cut.to, r.newSize());
      assertEquals(cut == Cut.DYNAMIC_GROW_MOVING_THE_BAT, r.moved() != null,
          "whether the BAT region moved: " + r.moved());
      HostWriteLog log = host.log();
      int total = log.mutationCount();
      assertTrue(total >= 2, "a resize writes more than once: " + total);
      boolean sawNew = false;
      java.util.Optional<VhdxTools> qemu = QemuTools.find().map(q -> VhdxTools.require());
      for (int n = 0; n <= total; n++) {
        String at = "cut after " + n + " of " + total + " host writes";
        byte[] cutBytes = log.replay(file, n, image.toString());
        Files.write(image, cutBytes);
        if (qemu.isPresent() && n % Math.max(1, total / 4) == 0) {
          // QEMU replays the log a cut leaves, repairs nothing else, and sees one of the sizes.
          Path local = Files.write(dir.resolve("cut-" + n + ".vhdx"), cutBytes);
          Exit check = qemu.get().check(local, true);
          assertEquals(0, check.code(), at + ": qemu-img check -r all: " + check.describe());
          long seen = qemu.get().virtualSize(local);
          assertTrue(seen == cut.from || seen == cut.to, at + ": qemu-img info: " + seen);
          Files.delete(local);
        }
        try {
          long size = Chains.diskSize(image);
          assertTrue(size == cut.from || size == cut.to, at + ": size " + size);
          sawNew |= size == cut.to;
          assertSameBytes(disk, Chains.readDisk(image, 0, kept), 0, at);
          if (size > cut.from) {
            Chains.assertDiskZeros(image, cut.from, Math.min(size, cut.from + 16 * MIB), at);
          }
        } catch (IOException e) {
          throw new AssertionError(at + ": does not open: " + e, e);
        }
        // Run again on what the cut left, the resize finishes.
        VhdImages.resize(image, cut.to, true);
        assertEquals(cut.to, Chains.diskSize(image), at + ": size after running the resize again");
        assertSameBytes(Arrays.copyOf(disk, (int) kept), Chains.readDisk(image, 0, kept), 0,
            at + ", resized again");
      }
      assertTrue(sawNew, "the last cut is the whole resize");
    }
  }

  // ------------------------------------------------------------------------------ helpers

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  private FileChannel expectedRaw(byte[] prefix, long size) throws IOException {
    Path raw = Files.createTempFile(dir, "expected", ".raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.write(prefix);
      f.setLength(size);
    }
    return FileChannel.open(raw);
  }

  private static void assertReadsAs(Path image, byte[] prefix, long size) throws IOException {
    assertEquals(size, Chains.diskSize(image), "the disk's size");
    assertSameBytes(prefix, Chains.readDisk(image, 0, prefix.length), 0, "the disk's kept bytes");
    Chains.assertDiskZeros(image, prefix.length, size, "the disk past its kept bytes");
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check");
  }

  private void assertPeersRead(Kind kind, Path image, byte[] prefix, long size)
      throws IOException {
    if (kind.qemuReads()) {
      VhdxTools qemu = VhdxTools.require();
      assertEquals(size, qemu.virtualSize(image), qemu.infoJson(image));
      Exit check = qemu.check(image, false);
      assertEquals(0, check.code(), "qemu-img check: " + check.describe());
      Path raw = dir.resolve("expected.raw");
      try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
        f.setLength(0);
        f.write(prefix);
        f.setLength(size);
      }
      Exit cmp = qemu.compare(image, raw);
      assertEquals(0, cmp.code(), "qemu-img compare: " + cmp.describe());
      Files.delete(raw);
    }
    if (kind.differencing()) {
      Libvhdi.Reading reading = readChain(image, size);
      assertEquals(size, reading.mediaSize(), "libvhdi's media size");
      assertEquals(libvhdiBefore.subList(0, reading.lines().size()), reading.lines(),
          "libvhdi's bytes of the child, against its reading before the resize");
      return;
    }
    List<Window> windows = new ArrayList<>(Libvhdi.chunks(prefix.length, MIB));
    windows.add(new Window(size - MIB, MIB));
    Libvhdi.Reading reading = Libvhdi.require().read(image, windows, kind.blockSize, dir);
    assertEquals(size, reading.mediaSize(), "libvhdi's media size");
    try (FileChannel raw = expectedRaw(prefix, size)) {
      assertEquals(Libvhdi.hashes(raw, windows), reading.lines(), "libvhdi's bytes");
    }
  }

  /**
   * libvhdi's reading of the differencing {@code image} over its base, up to the base's end
   * (libvhdi fails reads of a child past its parent's end).
   */
  private Libvhdi.Reading readChain(Path image, long size) throws IOException {
    Path base = base(image);
    List<Window> windows = Libvhdi.chunks(Math.min(size, Chains.diskSize(base)), MIB);
    return Libvhdi.require().readChain(List.of(image, base), windows, MIB, dir);
  }
}
