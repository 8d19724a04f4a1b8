package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link VhdImages#setParent} (issue 14, item 3): a child whose parent moved or was copied opens
 * again once pointed at it, and reads the same disk, for this library and libvhdi; a parent with
 * another id is refused unless the id is ignored; locators that outgrow their space move (VHD:
 * to where the footer was, the footer staying last; VHDX: within the metadata region, through
 * the log); cut after any host write, the child opens with its old or its new locators and
 * reads the same disk.
 */
@ExtendWith(SeedExtension.class)
final class SetParentTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final long SIZE = 8L * MIB;

  @TempDir Path dir;

  enum Format {
    VHD("vhd"),
    VHDX("vhdx");

    final String ext;

    Format(String ext) {
      this.ext = ext;
    }
  }

  /** A qemu-made base in {@code dir/a}, with data; our child of it beside it, with data. */
  private record Fixture(Path base, Path child, Path mirror) {}

  private Fixture qemuChain(Format format, Random r) throws IOException {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path base = a.resolve("base." + format.ext);
    Path child = a.resolve("child." + format.ext);
    Path mirror = dir.resolve("mirror.raw");
    List<QemuTools.Write> writes = List.of(new QemuTools.Write(0x5a, 0, 3 * MIB),
        new QemuTools.Write(0xa5, 5L * MIB + 4096, 70 * 4096));
    if (format == Format.VHD) {
      QemuTools qemu = QemuTools.require();
      qemu.create(base, SIZE, "");
      qemu.write(base, writes);
      qemu.convertToRaw(base, mirror);
      Files.write(mirror, Chains.readDisk(base));
    } else {
      VhdxTools qemu = VhdxTools.require();
      qemu.create(base, SIZE, "block_size=1M");
      qemu.write(base, writes);
      qemu.convertToRaw(base, mirror);
    }
    VhdImages.create(child, Map.of("type", "differencing", "parent", base.getFileName()
        .toString(), "blockSize", "1M"));
    writeAligned(child, mirror, r, 16);
    VhdxWriteTest.assertSameAsMirror(child, mirror, "fixture: the chain");
    return new Fixture(base, child, mirror);
  }

  /** {@code count} writes of whole 4 KiB grains (libvhdi misreads partly set bitmap bytes). */
  private static void writeAligned(Path image, Path mirror, Random r, int count)
      throws IOException {
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE);
        FileChannel m = FileChannel.open(mirror, StandardOpenOption.WRITE)) {
      long size = m.size();
      for (int i = 0; i < count; i++) {
        int length = 4096 * (1 + r.nextInt(40));
        long at = 4096L * r.nextInt((int) ((size - length) / 4096));
        byte[] data = Chains.randomBytes(length, r.nextLong());
        Chains.writeFully(ch, at, data);
        Chains.writeFully(m, at, data);
      }
    }
  }

  private void assertLibvhdiReads(List<Path> chain, Path mirror) throws IOException {
    List<Libvhdi.Window> windows = Libvhdi.chunks(Files.size(mirror), 512 * KIB);
    Libvhdi.Reading reading = Libvhdi.require().readChain(chain, windows, 4 * KIB, dir);
    try (FileChannel m = FileChannel.open(mirror)) {
      assertEquals(Libvhdi.hashes(m, windows), reading.lines(), "libvhdi, chain " + chain);
    }
  }

  private static void assertSoundAlone(Path image) throws IOException {
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check of " + image);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void aChildWhoseParentMovedReadsTheSameOncePointedAtIt(Format format, SeededRandom random)
      throws IOException {
    Fixture f = qemuChain(format, random);
    Path moved = Files.createDirectories(dir.resolve("b")).resolve("moved." + format.ext);
    Files.move(f.base(), moved);
    assertThrows(IOException.class, () -> Chains.readDisk(f.child()),
        "the child cannot find its moved parent");
    UUID before = format == Format.VHDX ? VhdxHeaders.read(f.child()).dataWriteGuid() : null;

    VhdImages.SetParent r = VhdImages.setParent(f.child(), moved, false);

    assertEquals(moved.toRealPath(), r.parent(), "SetParent.parent");
    assertFalse(r.idReplaced(), "the ids matched");
    assertEquals(r.oldParentId(), r.newParentId(), "the parent's id");
    VhdxWriteTest.assertSameAsMirror(f.child(), f.mirror(), "the child over its moved parent");
    assertLibvhdiReads(List.of(f.child(), moved), f.mirror());
    assertSoundAlone(f.child());
    if (format == Format.VHDX) {
      VhdxHeaders.read(f.child()).assertClosedCleanly();
      assertEquals(before, VhdxHeaders.read(f.child()).dataWriteGuid(),
          "the child reads the same: its own children stay linked");
    }
    // Both the relative and the absolute path lead there: moved together, they still link.
    Path c = dir.resolve("c");
    Files.move(dir.resolve("b"), c);
    Files.move(f.child(), c.resolve(f.child().getFileName()));
    VhdxWriteTest.assertSameAsMirror(c.resolve(f.child().getFileName()), f.mirror(),
        "the child moved with its parent, found by the relative path");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void aChildPointedAtACopyNoLongerNeedsTheOriginal(Format format, SeededRandom random)
      throws IOException {
    Fixture f = qemuChain(format, random);
    Path copy = Files.copy(f.base(), dir.resolve("copy." + format.ext));
    VhdImages.setParent(f.child(), copy, false);
    Files.delete(f.base());
    VhdxWriteTest.assertSameAsMirror(f.child(), f.mirror(), "the child over the copy");
    assertLibvhdiReads(List.of(f.child(), copy), f.mirror());
    if (format == Format.VHD) {
      Map<String, Object> d = VhdImages.describe(f.child(), Map.of());
      assertEquals("copy.vhd", d.get("parentName"), "the header's parent name: " + d);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void aParentWithAnotherIdIsRefusedUnlessTheIdIsIgnored(Format format, SeededRandom random)
      throws IOException {
    Fixture f = qemuChain(format, random);
    Path other = dir.resolve("other." + format.ext);
    if (format == Format.VHD) {
      QemuTools.require().create(other, SIZE, "");
    } else {
      VhdxTools.require().create(other, SIZE, "block_size=1M");
    }
    String childHash = Chains.sha256(f.child());

    FileSystemException e = assertThrows(FileSystemException.class,
        () -> VhdImages.setParent(f.child(), other, false));
    assertTrue(e.getMessage().contains("parent id"), e.getMessage());
    assertEquals(childHash, Chains.sha256(f.child()), "a refused reparent wrote nothing");

    VhdImages.SetParent r = VhdImages.setParent(f.child(), other, true);
    assertTrue(r.idReplaced(), "the child records the other parent's id now");
    assertNotEquals(r.oldParentId(), r.newParentId());
    assertEquals(Files.size(f.mirror()), Chains.readDisk(f.child()).length,
        "the child opens over the other parent, without ignoring ids");
    assertSoundAlone(f.child());

    // And back: the data it held was never touched.
    assertThrows(FileSystemException.class,
        () -> VhdImages.setParent(f.child(), f.base(), false));
    VhdImages.setParent(f.child(), f.base(), true);
    VhdxWriteTest.assertSameAsMirror(f.child(), f.mirror(), "the child back over its parent");
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void locatorsThatOutgrowTheirSpaceMoveAndTheChildStaysWritable(Format format,
      SeededRandom random) throws IOException {
    Fixture f = qemuChain(format, random);
    Path deep = dir;
    for (int i = 0; i < 4; i++) {
      deep = deep.resolve(String.valueOf((char) ('p' + i)).repeat(120));
    }
    Files.createDirectories(deep);
    Path moved = Files.move(f.base(), deep.resolve("moved." + format.ext));
    long lengthBefore = Files.size(f.child());

    VhdImages.setParent(f.child(), moved, false);

    VhdxWriteTest.assertSameAsMirror(f.child(), f.mirror(), "the child over the far parent");
    assertSoundAlone(f.child());
    assertLibvhdiReads(List.of(f.child(), moved), f.mirror());
    if (format == Format.VHD) {
      assertTrue(Files.size(f.child()) > lengthBefore, "the locators went where the footer was");
    }
    writeAligned(f.child(), f.mirror(), random, 12);
    VhdxWriteTest.assertSameAsMirror(f.child(), f.mirror(), "the child written after");
    assertSoundAlone(f.child());
    assertLibvhdiReads(List.of(f.child(), moved), f.mirror());
  }

  /**
   * A child made over a parent whose directory has a backslash in its name has a {@code MacX}
   * file URL too; pointed at a parent elsewhere it keeps one, naming the new place.
   */
  @org.junit.jupiter.api.Test
  void aChildWithAFileUrlLocatorKeepsOneNamingTheNewParent(SeededRandom random)
      throws IOException {
    Path odd = Files.createDirectories(dir.resolve("odd\\name"));
    Path base = odd.resolve("base.vhd");
    Chains.createDynamic(base, 4 * MIB, 512 * KIB);
    Path mirror = Files.write(dir.resolve("mirror.raw"), new byte[4 * MIB]);
    writeAligned(base, mirror, random, 4);
    Path child = odd.resolve("child.vhd");
    VhdImages.create(child, Map.of("type", "differencing", "parent", "base.vhd"));
    writeAligned(child, mirror, random, 6);
    assertTrue(platforms(child).contains("MacX"), "fixture: " + platforms(child));
    Path moved = Files.move(base, Files.createDirectories(dir.resolve("plain"))
        .resolve("base.vhd"));

    VhdImages.setParent(child, moved, false);

    assertEquals(List.of("W2ku", "W2ru", "MacX"), platforms(child));
    VhdxWriteTest.assertSameAsMirror(child, mirror, "the child over the moved parent");
    assertSoundAlone(child);
  }

  private static List<Object> platforms(Path image) throws IOException {
    List<?> locators = (List<?>) VhdImages.describe(image, Map.of()).get("parentLocators");
    return locators.stream().map(l -> ((Map<?, ?>) l).get("platform")).map(Object.class::cast)
        .toList();
  }

  /** Where the parent goes in the crash test: beside its old place, or far away (long paths). */
  enum Cut {
    VHD_NEAR(Format.VHD, false),
    VHD_FAR(Format.VHD, true),
    VHDX_NEAR(Format.VHDX, false),
    VHDX_FAR(Format.VHDX, true);

    final Format format;
    final boolean far;

    Cut(Format format, boolean far) {
      this.format = format;
      this.far = far;
    }
  }

  /**
   * The parent is copied, the original kept, so that old and new locators both find a parent
   * with the same disk: after every host write of the reparent, the child must open, by one or
   * the other, and read the same.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Cut.class)
  void aReparentCutAfterAnyHostWriteLeavesTheChildOpeningAndReadingTheSame(Cut cut,
      SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      String ext = cut.format.ext;
      Path a = Files.createDirectories(jimfs.getPath("/a"));
      Path base = a.resolve("base." + ext);
      Path child = a.resolve("child." + ext);
      VhdImages.create(base, Map.of("size", Long.toString(4 * MIB), "type", "dynamic",
          "blockSize", "1M"));
      Path mirror = jimfs.getPath("/mirror.raw");
      Files.write(mirror, new byte[Chains.readDisk(base).length]);
      writeAligned(base, mirror, random, 6);
      VhdImages.create(child, Map.of("type", "differencing", "parent", "base." + ext,
          "blockSize", "1M"));
      writeAligned(child, mirror, random, 8);
      byte[] expected = Files.readAllBytes(mirror);
      Path far = jimfs.getPath(cut.far ? "/" + "q".repeat(300) + "/" + "r".repeat(300) : "/b");
      Path copy = Files.copy(base, Files.createDirectories(far).resolve("copy." + ext));
      byte[] childBefore = Files.readAllBytes(child);

      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      VhdImages.setParent(host.wrap(child), host.wrap(copy), false);
      HostWriteLog log = host.log();
      int total = log.mutationCount();
      assertTrue(total > 0, "the reparent wrote nothing");
      for (HostWriteLog.Mutation m : log.mutations()) {
        assertEquals(child.toString(), m.file(), "the reparent wrote another file: " + m);
      }
      byte[] childAfter = Files.readAllBytes(child);
      for (int n = 0; n <= total; n++) {
        String at = "child cut after " + n + " of " + total + " host writes (" + random + ")";
        Files.write(child, log.replay(childBefore, n, child.toString()));
        byte[] read = Chains.readDiskOrFail(child, at + ":");
        assertSameBytes(expected, read, 0, at);
      }
      Files.write(child, childAfter);
      Files.delete(base);
      assertSameBytes(expected, Chains.readDisk(child), 0, "the child over the copy alone");
      assertSoundAlone(child);
    }
  }
}
