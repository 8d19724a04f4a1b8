package io.vhdfs;

import static io.vhdfs.testing.Chains.randomBytes;
import static io.vhdfs.testing.Chains.windowsPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.ImageLayout;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Exit;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Creating a differencing image with {@code create=true, type=differencing, parent=...}: the bytes
 * on the host are read back field by field, independently of the library, against what Hyper-V
 * writes (the parent's size, geometry and unique id, its file's time and name, a {@code W2ku}
 * locator with the absolute path and a {@code W2ru} one with the relative path, both UTF-16LE in
 * reserved space counted in bytes), then the new child is opened here, by qemu-img (which reads a
 * child as a plain dynamic image) and by libvhdi (given the parent), and must read as its parent.
 */
final class ChildCreateTest {
  private static final long MIB = 1L << 20;
  /** The parent file time the tests pin, so the header's parent time stamp is known. */
  private static final Instant PARENT_TIME = Instant.parse("2024-02-29T12:34:56Z");
  /** Where a new child's locator data starts: right after the header. */
  private static final int LOCATORS_OFFSET = 1536;

  @TempDir Path dir;

  /** The two ways to create with an env on the default file system. */
  enum Route {
    URI {
      @Override
      FileSystem create(Path image, Map<String, ?> env) throws IOException {
        return FileSystems.newFileSystem(java.net.URI.create("vhd:"
            + image.toUri().getRawPath()), env);
      }
    },
    /** The provider itself: {@code FileSystems.newFileSystem(path, create)} would make a zip. */
    PROVIDER {
      @Override
      FileSystem create(Path image, Map<String, ?> env) throws IOException {
        return Chains.vhd().newFileSystem(image, env);
      }
    };

    abstract FileSystem create(Path image, Map<String, ?> env) throws IOException;
  }

  // ---------------------------------------------------------------- what is written

  @ParameterizedTest
  @EnumSource(Route.class)
  void newChildHasTheLayoutHyperVWritesAndReadsAsItsParent(Route route) throws IOException {
    VhdImageBuilder base = base(1);
    Path parent = writeParent(base, dir.resolve("base.vhd"));
    byte[] parentBefore = Files.readAllBytes(parent);
    Path image = dir.resolve("child.vhd");

    try (FileSystem fs = route.create(image, childEnv("base.vhd"))) {
      assertArrayEquals(base.expectedDisk(), readDisk(fs), "the new file system reads");
    }
    Child c = Child.read(image);
    c.assertLayout(base.expectedVirtualSize(), base.geometry(), base.uniqueId(),
        VhdImageBuilder.DEFAULT_BLOCK_SIZE, "base.vhd",
        windowsPath(parent.toRealPath()), ".\\base.vhd");
    assertArrayEquals(parentBefore, Files.readAllBytes(parent), "the parent was changed");
    assertEquals(PARENT_TIME, Files.getLastModifiedTime(parent).toInstant(), "parent time");

    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
      assertArrayEquals(base.expectedDisk(), readDisk(fs), "reopened");
      assertEquals(parent.toRealPath().toString(),
          Files.getAttribute(fs.getPath("/disk"), "vhd:parentPath"));
      assertEquals(base.uniqueId(), Files.getAttribute(fs.getPath("/disk"), "vhd:parentUniqueId"));
    }

    // A second child of the same parent gets its own unique id.
    Path sibling = dir.resolve("sibling.vhd");
    route.create(sibling, childEnv("base.vhd")).close();
    assertNotEquals(c.footer.uniqueId(), Child.read(sibling).footer.uniqueId(),
        "two new children share a unique id");
  }

  @Test
  void newChildOnAJimfsHostHasTheSameLayoutAndReadsAsItsParent() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      VhdImageBuilder base = base(2);
      writeParent(base, Files.createDirectories(jimfs.getPath("/bases")).resolve("base.vhd"));
      Path image = images.resolve("child.vhd");
      try (FileSystem fs = Chains.vhd().newFileSystem(image,
          childEnv("../bases/base.vhd"))) {
        assertArrayEquals(base.expectedDisk(), readDisk(fs));
      }
      Child.read(image).assertLayout(base.expectedVirtualSize(), base.geometry(),
          base.uniqueId(), VhdImageBuilder.DEFAULT_BLOCK_SIZE, "base.vhd",
          "\\bases\\base.vhd", ".\\..\\bases\\base.vhd");

      // Through a vhd: URI nesting the Jimfs one, too.
      Path second = images.resolve("second.vhd");
      try (FileSystem fs = FileSystems.newFileSystem(
          URI.create("vhd:" + second.toUri()), childEnv("/bases/base.vhd"))) {
        assertArrayEquals(base.expectedDisk(), readDisk(fs));
      }
      Child.read(second).assertLayout(base.expectedVirtualSize(), base.geometry(),
          base.uniqueId(), VhdImageBuilder.DEFAULT_BLOCK_SIZE, "base.vhd",
          "\\bases\\base.vhd", ".\\..\\bases\\base.vhd");
    }
  }

  /**
   * Names beyond ASCII (a surrogate pair too) go into the header as UTF-16BE and into the locators
   * as UTF-16LE, and lead back to the parent; on Jimfs, whose names are not limited to the
   * platform's file name encoding.
   */
  @Test
  void parentNameBeyondAsciiIsStoredAsUtf16AndFoundAgain() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      String name = "b\u00e4se-\u65e5\u672c-\ud83d\ude00.vhd";
      Path dirs = Files.createDirectories(jimfs.getPath("/v\u00f6lumes"));
      VhdImageBuilder base = base(30);
      writeParent(base, dirs.resolve(name));
      Path image = dirs.resolve("child.vhd");
      Chains.vhd().newFileSystem(image, childEnv(name)).close();
      Child.read(image).assertLayout(base.expectedVirtualSize(), base.geometry(),
          base.uniqueId(), VhdImageBuilder.DEFAULT_BLOCK_SIZE, name,
          "\\v\u00f6lumes\\" + name, ".\\" + name);
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
        assertArrayEquals(base.expectedDisk(), readDisk(fs));
      }
    }
  }

  /** The header holds 256 UTF-16 units of parent name: exactly that fits, with no NUL. */
  @Test
  void parentNameOf256UnitsFillsTheFieldAndOneMoreIsRefused() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      String longest = "p".repeat(252) + ".vhd";
      VhdImageBuilder base = base(31);
      writeParent(base, images.resolve(longest));
      Path image = images.resolve("child.vhd");
      Chains.vhd().newFileSystem(image, childEnv(longest)).close();
      Child.read(image).assertLayout(base.expectedVirtualSize(), base.geometry(),
          base.uniqueId(), VhdImageBuilder.DEFAULT_BLOCK_SIZE, longest,
          "\\images\\" + longest, ".\\" + longest);
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
        assertArrayEquals(base.expectedDisk(), readDisk(fs));
      }

      String tooLong = "q".repeat(253) + ".vhd";
      writeParent(base(32), images.resolve(tooLong));
      Path refused = images.resolve("refused.vhd");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Chains.vhd().newFileSystem(refused, childEnv(tooLong)).close());
      assertTrue(String.valueOf(e.getMessage()).contains("256"), e.getMessage());
      assertFalse(Files.exists(refused, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
    }
  }

  /** W2ru climbs out of the child's directory as far as it must: {@code .\..\..\a\base.vhd}. */
  @Test
  void parentInAnotherDirectoryGetsARelativeLocatorThroughDotDot() throws IOException {
    VhdImageBuilder base = base(3);
    Path parent = writeParent(base, Files.createDirectories(dir.resolve("a")).resolve("base.vhd"));
    Path image = Files.createDirectories(dir.resolve("b").resolve("c")).resolve("child.vhd");
    try (FileSystem fs = Route.URI.create(image, childEnv(parent.toString()))) {
      assertArrayEquals(base.expectedDisk(), readDisk(fs));
    }
    Child.read(image).assertLayout(base.expectedVirtualSize(), base.geometry(), base.uniqueId(),
        VhdImageBuilder.DEFAULT_BLOCK_SIZE, "base.vhd", windowsPath(parent.toRealPath()),
        ".\\..\\..\\a\\base.vhd");
  }

  /** As qemu-img -b: a relative parent is relative to the new image, not the working directory. */
  @ParameterizedTest
  @EnumSource(Route.class)
  void relativeParentResolvesAgainstTheNewImagesDirectory(Route route) throws IOException {
    VhdImageBuilder base = base(4);
    Path parent = writeParent(base, Files.createDirectories(dir.resolve("bases"))
        .resolve("base.vhd"));
    Path kids = Files.createDirectories(dir.resolve("kids"));
    assertFalse(Files.exists(Path.of("../bases/base.vhd")), "the working directory has one");
    Path image = kids.resolve("child.vhd");
    try (FileSystem fs = route.create(image, childEnv("../bases/base.vhd"))) {
      assertArrayEquals(base.expectedDisk(), readDisk(fs));
    }
    Child c = Child.read(image);
    assertEquals(windowsPath(parent.toRealPath()), c.locatorText(0));
    assertEquals(".\\..\\bases\\base.vhd", c.locatorText(1));

    Path beside = dir.resolve("bases").resolve("beside.vhd");
    route.create(beside, childEnv("base.vhd")).close();
    assertEquals(".\\base.vhd", Child.read(beside).locatorText(1));
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void blockSizeEnvIsTheNewChildsBlockSize(Route route) throws IOException {
    VhdImageBuilder base = base(5);
    writeParent(base, dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    Map<String, Object> env = new HashMap<>(childEnv("base.vhd"));
    env.put("blockSize", "512K");
    route.create(image, env).close();
    Child c = Child.read(image);
    c.assertLayout(base.expectedVirtualSize(), base.geometry(), base.uniqueId(), 512 * 1024,
        "base.vhd", windowsPath(dir.resolve("base.vhd").toRealPath()), ".\\base.vhd");
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      write(fs, 1536 * 1024, randomBytes(8192, 6));
    }
    // The write went into one 512 KiB block: the fourth.
    int[] bat = ImageLayout.bat(image, c.header);
    for (int i = 0; i < bat.length; i++) {
      assertEquals(i == 3, bat[i] != -1, "BAT entry " + i);
    }
    byte[] expected = base.expectedDisk();
    System.arraycopy(randomBytes(8192, 6), 0, expected, 1536 * 1024, 8192);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertArrayEquals(expected, readDisk(fs));
    }
  }

  // ---------------------------------------------------------------- kinds of parents

  @Test
  void childOfAFixedParentReadsAsIt() throws IOException {
    VhdImageBuilder base = VhdImageBuilder.fixed(5 * MIB + 3 * 512)
        .write(0, randomBytes(100_000, 7)).write(5 * MIB, randomBytes(1536, 8));
    Path parent = writeParent(base, dir.resolve("fixed.vhd"));
    Path image = dir.resolve("child.vhd");
    try (FileSystem fs = Route.PROVIDER.create(image, childEnv("fixed.vhd"))) {
      assertArrayEquals(base.expectedDisk(), readDisk(fs));
    }
    Child.read(image).assertLayout(base.expectedVirtualSize(), base.geometry(), base.uniqueId(),
        VhdImageBuilder.DEFAULT_BLOCK_SIZE, "fixed.vhd", windowsPath(parent.toRealPath()),
        ".\\fixed.vhd");
  }

  /** qemu-img's sizes come from its CHS rounding: the child takes the size the parent shows. */
  @Test
  void childOfAQemuMadeParentTakesItsSizeAndGeometry() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path parent = dir.resolve("qemu-base.vhd");
    qemu.create(parent, 5 * MIB, "");
    qemu.write(parent, List.of(new QemuTools.Write(0x5a, 0, 65536),
        new QemuTools.Write(0xa5, 3 * MIB + 4096, 12288)));
    Files.setLastModifiedTime(parent, FileTime.from(PARENT_TIME));
    Path raw = dir.resolve("qemu-base.raw");
    qemu.convertToRaw(parent, raw);
    byte[] expected = Files.readAllBytes(raw);
    ImageLayout.Footer pf = ImageLayout.endFooter(parent);
    assertEquals(qemu.virtualSize(parent), expected.length);

    Path image = dir.resolve("child.vhd");
    try (FileSystem fs = Route.URI.create(image, childEnv("qemu-base.vhd"))) {
      assertArrayEquals(expected, readDisk(fs));
    }
    Child c = Child.read(image);
    assertEquals(pf.geometry(), c.footer.geometry(), "geometry");
    c.assertLayout(expected.length, geometryOf(pf.geometry()), pf.uniqueId(),
        VhdImageBuilder.DEFAULT_BLOCK_SIZE, "qemu-base.vhd", windowsPath(parent.toRealPath()),
        ".\\qemu-base.vhd");
    assertEquals(expected.length, qemu.virtualSize(image), "qemu-img's size of the child");
  }

  /**
   * QEMU knows no parent locators and puts its first new block right after the BAT; a child's
   * locator data must not be there, or a write through qemu-io would cut the child off.
   */
  @Test
  void qemuWritingIntoANewChildLeavesItsLocatorsIntact() throws IOException {
    QemuTools qemu = QemuTools.require();
    VhdImageBuilder base = base(12);
    writeParent(base, dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    Route.URI.create(image, childEnv("base.vhd")).close();
    Child before = Child.read(image);
    qemu.write(image, List.of(new QemuTools.Write(0x3c, MIB, 8192)));
    Child after = Child.read(image);
    for (int k = 0; k < 2; k++) {
      assertArrayEquals(before.locatorData(k), after.locatorData(k), "locator " + k);
    }
    byte[] expected = base.expectedDisk();
    java.util.Arrays.fill(expected, (int) MIB, (int) MIB + 8192, (byte) 0x3c);
    // QEMU sets every bit of the block it allocates (it ignores bitmaps), so the rest of that
    // block reads as the zeros QEMU wrote, not the parent: that is QEMU's view of a child.
    java.util.Arrays.fill(expected, 0, (int) (2 * MIB), (byte) 0);
    java.util.Arrays.fill(expected, (int) MIB, (int) MIB + 8192, (byte) 0x3c);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertArrayEquals(expected, readDisk(fs), "the child still finds its parent");
    }
  }

  @Test
  void childOfANewChildReadsThroughBoth() throws IOException {
    VhdImageBuilder base = base(9);
    writeParent(base, dir.resolve("base.vhd"));
    Path middle = dir.resolve("middle.vhd");
    byte[] expected = base.expectedDisk();
    try (FileSystem fs = Route.PROVIDER.create(middle, childEnv("base.vhd"))) {
      write(fs, 2 * MIB - 4096, randomBytes(3 * 4096, 10));
    }
    System.arraycopy(randomBytes(3 * 4096, 10), 0, expected, (int) (2 * MIB - 4096), 3 * 4096);
    Files.setLastModifiedTime(middle, FileTime.from(PARENT_TIME));

    Path image = dir.resolve("top.vhd");
    try (FileSystem fs = Route.URI.create(image, childEnv("middle.vhd"))) {
      assertArrayEquals(expected, readDisk(fs), "the new top reads the whole chain");
    }
    Child c = Child.read(image);
    c.assertLayout(base.expectedVirtualSize(), base.geometry(),
        ImageLayout.endFooter(middle).uniqueId(), VhdImageBuilder.DEFAULT_BLOCK_SIZE,
        "middle.vhd", windowsPath(middle.toRealPath()), ".\\middle.vhd");
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      write(fs, 0, randomBytes(4096, 11));
      System.arraycopy(randomBytes(4096, 11), 0, expected, 0, 4096);
      assertArrayEquals(expected, readDisk(fs), "writes into the top");
    }
    Optional<Libvhdi> libvhdi = Libvhdi.find();
    if (libvhdi.isPresent()) {
      assertEquals(windowHashes(expected, 64 * 1024),
          libvhdiChain(libvhdi.get(), List.of(image, middle, dir.resolve("base.vhd")),
              expected.length, 64 * 1024),
          "libvhdi's reading of the three-image chain");
    }
  }

  // ---------------------------------------------------------------- other readers

  /**
   * QEMU takes a Hyper-V image's size from its current-size field, and an image from an unknown
   * creator such as "vhdf" by its geometry. A Hyper-V parent of 8 MiB, whose geometry (the spec's
   * CHS floor) covers only 8,355,840 bytes, must not make QEMU see a smaller child than parent.
   */
  @Test
  void qemuImgSeesTheNewChildOfAHyperVParentAsBigAsTheParent() throws IOException {
    QemuTools qemu = QemuTools.require();
    VhdImageBuilder base = base(12).creator("win ");
    Path parent = writeParent(base, dir.resolve("base.vhd"));
    assertEquals(8 * MIB, qemu.virtualSize(parent), "QEMU's size of the Hyper-V parent");
    Path image = dir.resolve("child.vhd");
    try (FileSystem fs = Route.URI.create(image, childEnv("base.vhd"))) {
      assertEquals(8 * MIB, Files.size(fs.getPath("/disk")), "our size of the child");
    }
    assertQemuReadsAnEmptyChild(qemu, image, qemu.virtualSize(parent));
  }

  /** A parent whose size is its geometry's, as qemu-img makes them: every reader agrees. */
  @Test
  void qemuImgReadsTheNewChildAsAVpcImageOfTheParentsSize() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path parent = dir.resolve("qemu-base.vhd");
    qemu.create(parent, 3 * MIB, "");
    Path image = dir.resolve("child.vhd");
    Route.PROVIDER.create(image, childEnv("qemu-base.vhd")).close();
    assertQemuReadsAnEmptyChild(qemu, image, qemu.virtualSize(parent));
  }

  /** qemu-img info and check accept the child; QEMU ignores the parent, so it reads zeros. */
  private void assertQemuReadsAnEmptyChild(QemuTools qemu, Path image, long size)
      throws IOException {
    String info = qemu.infoJson(image);
    assertTrue(info.contains("\"format\": \"vpc\""), info);
    assertEquals(size, qemu.virtualSize(image), "QEMU's size of the child: " + info);
    Optional<Exit> check = qemu.check(image);
    check.ifPresent(exit -> assertEquals(0, exit.code(), exit.describe()));
    Path raw = dir.resolve("child.raw");
    qemu.convertToRaw(image, raw);
    assertEquals(size, Files.size(raw));
    assertTrue(isAllZero(Files.readAllBytes(raw)), "qemu read data in an empty child");
  }

  /** libvhdi given the parent reads the new child as the parent, and then with our writes. */
  @Test
  void libvhdiWithTheParentSetReadsTheNewChildAsTheParent() throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    VhdImageBuilder base = base(13);
    Path parent = writeParent(base, dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    Route.PROVIDER.create(image, childEnv("base.vhd")).close();
    byte[] expected = base.expectedDisk();
    int window = 64 * 1024;
    assertEquals(windowHashes(expected, window),
        libvhdiChain(libvhdi, List.of(image, parent), expected.length, window), "the new child");

    // 4 KiB-aligned writes (libvhdi 20210425 misreads finer bitmaps): still the same chain.
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      for (long at : new long[] {0, MIB + 8192, 2 * MIB - 4096, 7 * MIB}) {
        byte[] data = randomBytes(8192, at);
        write(fs, at, data);
        System.arraycopy(data, 0, expected, (int) at, data.length);
      }
    }
    assertEquals(windowHashes(expected, window),
        libvhdiChain(libvhdi, List.of(image, parent), expected.length, window),
        "the child after writes");
  }

  // ---------------------------------------------------------------- refusals

  @ParameterizedTest
  @EnumSource(Route.class)
  void existingImageIsFileAlreadyExistsAndLeftAlone(Route route) throws IOException {
    writeParent(base(14), dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    Files.writeString(image, "already here");
    assertThrows(FileAlreadyExistsException.class,
        () -> route.create(image, childEnv("base.vhd")).close());
    assertEquals("already here", Files.readString(image));
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void missingParentIsNoSuchFileAndLeavesNoFile(Route route) throws IOException {
    Path image = dir.resolve("child.vhd");
    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> route.create(image, childEnv("nowhere.vhd")).close());
    assertTrue(String.valueOf(e.getMessage()).contains("nowhere.vhd"), e.getMessage());
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void sizeGivenIsIllegalArgumentNamingSize(Route route) throws IOException {
    writeParent(base(15), dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    Map<String, Object> env = new HashMap<>(childEnv("base.vhd"));
    env.put("size", "8M");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> route.create(image, env).close());
    assertTrue(String.valueOf(e.getMessage()).contains("'size'"), e.getMessage());
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");

    env.put("size", "0");
    route.create(image, env).close();
    assertEquals(4, ImageLayout.endFooter(image).diskType(), "size 0 is no size");
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void noParentIsIllegalArgumentNamingParent(Route route) {
    Path image = dir.resolve("child.vhd");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> route.create(image, Map.of("create", "true", "type", "differencing")).close());
    assertTrue(String.valueOf(e.getMessage()).contains("'parent'"), e.getMessage());
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
  }

  /** The parent and its chain are opened and checked before anything is written. */
  @Test
  void brokenParentIsRefusedBeforeTheChildIsWritten() throws IOException {
    Path parent = dir.resolve("base.vhd");
    VhdImageBuilder.Layout l = base(16).writeTo(parent);
    HostBytes.writeInt(parent, l.batEntryOffset(1), (int) l.blockSector(0));
    Path image = dir.resolve("child.vhd");
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> Route.PROVIDER.create(image, childEnv("base.vhd")).close());
    assertTrue(String.valueOf(e.getMessage()).contains("BAT entry 1"), e.getMessage());
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");

    Files.writeString(parent, "no image at all");
    assertThrows(IOException.class,
        () -> Route.PROVIDER.create(image, childEnv("base.vhd")).close());
    assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
  }

  @Test
  void parentOpenForWritingIsNotTakenAsAParent() throws IOException {
    Path parent = writeParent(base(17), dir.resolve("base.vhd"));
    Path image = dir.resolve("child.vhd");
    try (FileSystem fs = FileSystems.newFileSystem(parent, Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> Route.PROVIDER.create(image, childEnv("base.vhd")).close());
      assertTrue(String.valueOf(e.getMessage()).contains("open for writing in this JVM"),
          e.getMessage());
      assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
      assertTrue(ch.isOpen());
    }
    Route.PROVIDER.create(image, childEnv("base.vhd")).close();
    assertTrue(Files.exists(image), "created once the writer closed");
  }

  // ---------------------------------------------------------------- the file, read back

  /** A new child's metadata as the bytes on the host hold it. */
  static final class Child {
    final Path image;
    final long fileSize;
    final ImageLayout.Footer footer;
    final ImageLayout.Footer copy;
    final ImageLayout.Header header;
    final ByteBuffer h;

    private Child(Path image) throws IOException {
      this.image = image;
      this.fileSize = Files.size(image);
      this.footer = ImageLayout.endFooter(image);
      this.copy = ImageLayout.copyFooter(image);
      this.header = ImageLayout.header(image);
      this.h = ByteBuffer.wrap(header.bytes());
    }

    static Child read(Path image) throws IOException {
      return new Child(image);
    }

    UUID parentId() {
      return new UUID(h.getLong(VhdImageBuilder.H_PARENT_ID),
          h.getLong(VhdImageBuilder.H_PARENT_ID + 8));
    }

    long parentTimestamp() {
      return Integer.toUnsignedLong(h.getInt(VhdImageBuilder.H_PARENT_TIMESTAMP));
    }

    int locatorInt(int k, int field) {
      return h.getInt(VhdImageBuilder.H_PARENT_LOCATORS + k * VhdImageBuilder.LOCATOR_ENTRY_SIZE
          + field);
    }

    long locatorOffset(int k) {
      return h.getLong(VhdImageBuilder.H_PARENT_LOCATORS + k * VhdImageBuilder.LOCATOR_ENTRY_SIZE
          + VhdImageBuilder.L_DATA_OFFSET);
    }

    byte[] locatorData(int k) throws IOException {
      return HostBytes.read(image, locatorOffset(k),
          locatorInt(k, VhdImageBuilder.L_DATA_LENGTH));
    }

    String locatorText(int k) throws IOException {
      return new String(locatorData(k), StandardCharsets.UTF_16LE);
    }

    /**
     * Every field a new child of a parent with this visible size, geometry and id must hold (the
     * geometry only where it spans the size), and
     * that the locators name {@code w2ku} and {@code w2ru}.
     */
    void assertLayout(long size, int[] geometry, UUID parentId, int blockSize,
        String parentName, String w2ku, String w2ru) throws IOException {
      String where = image + ": ";
      // Footer, and its copy at 0 byte for byte.
      assertEquals("conectix", footer.cookie(), where + "cookie");
      assertTrue(footer.checksumValid(), where + "footer checksum");
      assertEquals(footer, copy, where + "the footer copy at 0 differs from the end footer");
      assertEquals(4, footer.diskType(), where + "disk type");
      assertEquals("vhdf", footer.creatorApplication(), where + "creator");
      assertEquals(0x00010000, footer.formatVersion(), where + "format version");
      assertEquals(512, footer.dataOffset(), where + "data offset");
      assertEquals(size, footer.currentSize(), where + "current size");
      assertEquals(size, footer.originalSize(), where + "original size");
      // The parent's geometry where it spans the size; else 65535/16/255, which every QEMU
      // reads as "use the size field", so no reader sees the child smaller than its parent.
      long spans = (long) geometry[0] * geometry[1] * geometry[2] * 512;
      int[] chs = spans == size ? geometry : new int[] {65535, 16, 255};
      assertEquals((chs[0] << 16) | (chs[1] << 8) | chs[2], footer.geometry(),
          where + "geometry");
      assertNotEquals(parentId, footer.uniqueId(), where + "the parent's unique id reused");
      assertNotEquals(new UUID(0, 0), footer.uniqueId(), where + "unique id");
      assertTrue(footer.reservedIsZero(), where + "footer reserved bytes");
      assertEquals(0, footer.savedState(), where + "saved state");

      // Dynamic header.
      assertEquals("cxsparse", header.cookie(), where + "header cookie");
      assertTrue(header.checksumValid(), where + "header checksum");
      assertEquals(-1L, header.dataOffset(), where + "header data offset");
      assertEquals(0x00010000, header.headerVersion(), where + "header version");
      assertEquals(blockSize, header.blockSize(), where + "block size");
      long entries = (size + blockSize - 1) / blockSize;
      assertEquals(entries, header.maxTableEntries(), where + "max table entries");
      assertEquals(parentId, parentId(), where + "parent unique id");
      assertEquals(PARENT_TIME.getEpochSecond() - VhdImageBuilder.VHD_EPOCH_SECONDS,
          parentTimestamp(), where + "parent time stamp: the parent file's time");
      byte[] name = new byte[512];
      System.arraycopy(header.bytes(), VhdImageBuilder.H_PARENT_NAME, name, 0, 512);
      byte[] wantName = java.util.Arrays.copyOf(
          parentName.getBytes(StandardCharsets.UTF_16BE), 512);
      assertArrayEquals(wantName, name, where + "parent name, UTF-16BE, zero padded");

      // Locators: W2ku then W2ru, the rest unused, their data between the header and the BAT
      // (QEMU puts its first new block right after the BAT).
      long next = LOCATORS_OFFSET;
      String[] texts = {w2ku, w2ru};
      int[] codes = {VhdImageBuilder.PLATFORM_W2KU, VhdImageBuilder.PLATFORM_W2RU};
      for (int k = 0; k < 2; k++) {
        String loc = where + "locator " + k + ": ";
        byte[] want = texts[k].getBytes(StandardCharsets.UTF_16LE);
        assertEquals(codes[k], locatorInt(k, VhdImageBuilder.L_CODE), loc + "platform code");
        int length = locatorInt(k, VhdImageBuilder.L_DATA_LENGTH);
        int space = locatorInt(k, VhdImageBuilder.L_DATA_SPACE);
        long offset = locatorOffset(k);
        assertEquals(want.length, length, loc + "data length (bytes, no NUL)");
        assertEquals(0, space % 512, loc + "data space " + space + " is not whole sectors");
        assertTrue(space >= length, loc + "data space " + space + " counts bytes, so it must "
            + "hold the " + length + " bytes of data");
        assertEquals((length + 511) / 512 * 512, space, loc + "data space: the data rounded up");
        assertEquals(next, offset, loc + "data offset: right after the header and earlier data");
        assertTrue(offset + space <= fileSize - 512, loc + "data runs into the footer");
        assertArrayEquals(want, locatorData(k), loc + "data, UTF-16LE");
        assertTrue(isAllZero(HostBytes.read(image, offset + length, space - length)),
            loc + "the rest of the reserved space is not zero");
        next = offset + space;
      }
      for (int k = 2; k < VhdImageBuilder.MAX_LOCATORS; k++) {
        assertEquals(0, locatorInt(k, VhdImageBuilder.L_CODE), where + "locator " + k);
        assertEquals(0, locatorInt(k, VhdImageBuilder.L_DATA_LENGTH), where + "locator " + k);
      }
      byte[] reserved = new byte[1024 - 768];
      System.arraycopy(header.bytes(), 768, reserved, 0, reserved.length);
      assertTrue(isAllZero(reserved), where + "header reserved bytes");
      assertEquals(next, header.tableOffset(), where + "table offset: after the locator data");
      long batAt = header.tableOffset();
      long batEnd = batAt + (entries * 4 + 511) / 512 * 512;
      // A new child holds no block; the footer follows the BAT.
      assertEquals(batEnd + 512, fileSize, where + "file size");
      for (int e : ImageLayout.bat(image, header)) {
        assertEquals(-1, e, where + "a new child has an allocated block");
      }
      byte[] padding = HostBytes.read(image, batAt + entries * 4,
          (int) (batEnd - batAt - entries * 4));
      for (byte b : padding) {
        assertEquals((byte) 0xFF, b, where + "BAT padding");
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /** 8 MiB, 2 MiB blocks: blocks 0, 1 and 3 with seeded noise in parts, block 2 unallocated. */
  private static VhdImageBuilder base(long seed) {
    return VhdImageBuilder.dynamic(8 * MIB).write(0, randomBytes(300_000, seed * 100))
        .write(MIB + 4096, randomBytes((int) (2 * MIB), seed * 100 + 1))
        .write(7 * MIB + 100, randomBytes(5000, seed * 100 + 2));
  }

  /** Writes {@code b} at {@code path} with the pinned file time. */
  private static Path writeParent(VhdImageBuilder b, Path path) throws IOException {
    b.writeTo(path);
    Files.setLastModifiedTime(path, FileTime.from(PARENT_TIME));
    return path;
  }

  private static Map<String, Object> childEnv(String parent) {
    return Map.of("create", "true", "type", "differencing", "parent", parent);
  }

  private static int[] geometryOf(int packed) {
    return new int[] {packed >>> 16, (packed >>> 8) & 0xFF, packed & 0xFF};
  }

  private static void write(FileSystem fs, long at, byte[] data) throws IOException {
    try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        ch.write(b, at + b.position());
      }
    }
  }

  /** The whole disk; a read at its size must find the end. */
  private static byte[] readDisk(FileSystem fs) throws IOException {
    try (FileChannel ch = FileChannel.open(fs.getPath("/disk"))) {
      byte[] disk = Chains.readAll(ch);
      assertEquals(-1, ch.read(ByteBuffer.allocate(1), ch.size()), "read at the size");
      return disk;
    }
  }

  /**
   * The media size and one hash per window of {@code window} bytes, which divides the block size,
   * as libvhdi reads {@code chain} (child first, each parent set on the image above it) of a disk
   * of {@code size} bytes.
   */
  private List<String> libvhdiChain(Libvhdi libvhdi, List<Path> chain, long size, int window)
      throws IOException {
    Libvhdi.Reading reading = libvhdi.readChain(chain, Libvhdi.chunks(size, window), window, dir);
    List<String> lines = new ArrayList<>();
    lines.add(Long.toString(reading.mediaSize()));
    lines.addAll(reading.lines());
    return lines;
  }

  /** What {@link #libvhdiChain} gives for a disk holding {@code disk}. */
  private static List<String> windowHashes(byte[] disk, int window) {
    List<String> lines = new ArrayList<>();
    lines.add(Integer.toString(disk.length));
    for (int at = 0; at < disk.length; at += window) {
      int n = Math.min(window, disk.length - at);
      MessageDigest d = Chains.newSha256();
      d.update(disk, at, n);
      lines.add(at + " " + HexFormat.of().formatHex(d.digest()).substring(0, 16));
    }
    return lines;
  }

  private static boolean isAllZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
