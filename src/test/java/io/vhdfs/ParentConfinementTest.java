package io.vhdfs;

import static io.vhdfs.testing.Chains.randomBytes;
import static io.vhdfs.testing.Chains.readDisk;
import static io.vhdfs.testing.Chains.windowsPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * env {@code parentRoot}: a differencing image's parents are looked for only inside one directory,
 * first by the name a locator gives, then by the real path, so neither {@code ..} nor a symbolic
 * link leads out; a place outside is not even opened. Without it, a child crafted to name some
 * other user's image (with that image's unique id copied into its header) reads that image.
 *
 * <p>Each refusal must be a {@link VhdFormatException} naming the child and saying which place
 * lay outside, and must leave every file as it was. Both ways of opening with an env are used:
 * {@code FileSystems.newFileSystem(uri, env)} and {@code FileSystems.newFileSystem(path, env)}.
 */
final class ParentConfinementTest {
  private static final long MIB = 1L << 20;

  @TempDir Path tmp;

  /** The two ways to give an env when opening an image. */
  enum Route {
    URI {
      @Override
      FileSystem open(Path image, Map<String, ?> env) throws IOException {
        return FileSystems.newFileSystem(Chains.uriOf(image), env);
      }
    },
    PATH {
      @Override
      FileSystem open(Path image, Map<String, ?> env) throws IOException {
        return FileSystems.newFileSystem(image, env);
      }

      /** The vhd provider itself: given create, the JDK would ask its zip provider first. */
      @Override
      FileSystem create(Path image, Map<String, ?> env) throws IOException {
        return Chains.vhd().newFileSystem(image, env);
      }
    };

    abstract FileSystem open(Path image, Map<String, ?> env) throws IOException;

    FileSystem create(Path image, Map<String, ?> env) throws IOException {
      return open(image, env);
    }
  }

  // ---------------------------------------------------------------- inside the root

  @ParameterizedTest
  @EnumSource(Route.class)
  void chainInsideParentRootOpensAndReadsAsParentPlusChild(Route route) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    VhdImageBuilder base = base(1);
    base.writeTo(root.resolve("base.vhd"));
    VhdImageBuilder child = VhdImageBuilder.differencing(base, "base.vhd")
        .write(MIB - 100, randomBytes(5000, 2));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);

    for (Object rootValue : List.of(root.toString(), root)) {
      try (FileSystem fs = route.open(image, Map.of("parentRoot", rootValue))) {
        assertArrayEquals(child.expectedDisk(), readDisk(fs), "the chain's bytes");
        assertEquals(root.resolve("base.vhd").toRealPath().toString(),
            Files.getAttribute(fs.getPath("/disk"), "vhd:parentPath"));
      }
    }
  }

  /** A root given with a trailing "." or "x/.." names the same directory. */
  @Test
  void parentRootIsComparedAfterNormalising() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    VhdImageBuilder base = base(3);
    base.writeTo(root.resolve("base.vhd"));
    VhdImageBuilder child = VhdImageBuilder.differencing(base, "base.vhd")
        .write(0, randomBytes(4096, 4));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Files.createDirectories(root.resolve("sub"));
    for (String spelling : List.of(root + "/.", root + "/sub/..", root + "/")) {
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("parentRoot", spelling))) {
        assertArrayEquals(child.expectedDisk(), readDisk(fs), "parentRoot " + spelling);
      }
    }
  }

  // ---------------------------------------------------------------- places outside the root

  @ParameterizedTest
  @EnumSource(Route.class)
  void w2kuLocatorNamingEtcPasswdIsRefusedAsOutsideParentRootAndNotOpened(Route route)
      throws IOException {
    Path passwd = Path.of("/etc/passwd");
    Assumptions.assumeTrue(Files.isRegularFile(passwd), "no /etc/passwd on this host");
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path image = root.resolve("child.vhd");
    VhdImageBuilder.differencing(4 * MIB).parentId(UUID.randomUUID()).parentName("")
        .parentLocator(VhdImageBuilder.PLATFORM_W2KU, "C:\\etc\\passwd")
        .write(0, randomBytes(4096, 5)).writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, "W2ku locator 0 'C:\\etc\\passwd' -> /etc/passwd: outside "
        + "parentRoot " + root.toRealPath() + ", not opened");
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    // Without the root the file is opened, probed, and found to be no VHD.
    VhdFormatException loose = refused(route, image, Map.of());
    assertMessage(loose, image, "-> /etc/passwd: not a VHD image");
  }

  /** The same on a host that records reads: confined, /etc/passwd is not read at all. */
  @Test
  void placeOutsideParentRootIsNeverRead() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path passwd = Files.createDirectories(jimfs.getPath("/etc")).resolve("passwd");
      Files.writeString(passwd, "user:x:1000:1000::/home/user:/bin/sh\n".repeat(1000));
      Path root = Files.createDirectories(jimfs.getPath("/vms"));
      Path image = root.resolve("child.vhd");
      VhdImageBuilder.differencing(4 * MIB).parentId(UUID.randomUUID()).parentName("passwd")
          .parentLocator(VhdImageBuilder.PLATFORM_W2KU, "\\etc\\passwd")
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\..\\etc\\passwd")
          .write(0, randomBytes(4096, 6)).writeTo(image);
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      host.log().clear();
      Path wrapped = host.wrap(image);

      VhdFormatException e = refused(Route.PATH, wrapped, Map.of("parentRoot", "/vms"));
      assertMessage(e, image, "W2ru locator 1 '.\\..\\etc\\passwd' -> /etc/passwd: outside "
          + "parentRoot /vms, not opened");
      assertMessage(e, image, "parent name 'passwd' next to the image -> /vms/passwd: no such "
          + "file");
      List<HostWriteLog.Read> reads = host.log().reads().stream()
          .filter(r -> r.file().equals(passwd.toString())).toList();
      assertEquals(List.of(), reads, "a place outside parentRoot was read");
      assertEquals(List.of(), host.log().mutations(), "a refused open wrote");
      assertEquals(0, host.log().writeOpens(), "a refused open opened a file for writing");
    }
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void relativeLocatorClimbingOutOfParentRootIsRefused(Route route) throws IOException {
    Path outer = Files.createDirectories(tmp.resolve("outer"));
    Path root = Files.createDirectories(outer.resolve("r").resolve("s"));
    VhdImageBuilder parent = base(7);
    parent.writeTo(outer.resolve("x.vhd"));
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "x.vhd").clearParentLocators()
        .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\..\\..\\x.vhd")
        .write(2 * MIB, randomBytes(4096, 8));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, "W2ru locator 0 '.\\..\\..\\x.vhd' -> " + outer.toRealPath()
        .resolve("x.vhd") + ": outside parentRoot " + root.toRealPath() + ", not opened");
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    // The escape is real: without the root it reaches the parent.
    try (FileSystem fs = route.open(image, Map.of())) {
      assertArrayEquals(child.expectedDisk(), readDisk(fs));
    }
  }

  @ParameterizedTest
  @EnumSource(Route.class)
  void symbolicLinkInsideParentRootToAParentOutsideIsRefused(Route route) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path outside = Files.createDirectories(tmp.resolve("elsewhere")).resolve("base.vhd");
    VhdImageBuilder parent = base(9);
    parent.writeTo(outside);
    Path link = root.resolve("base.vhd");
    createLinkOrSkip(link, outside);
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "base.vhd")
        .write(0, randomBytes(4096, 10));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, "W2ru locator 0 '.\\base.vhd' -> " + root.toRealPath()
        .resolve("base.vhd") + ": really " + outside.toRealPath() + ", outside parentRoot "
        + root.toRealPath() + ", not opened");
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    try (FileSystem fs = route.open(image, Map.of())) {
      assertArrayEquals(child.expectedDisk(), readDisk(fs));
      assertEquals(outside.toRealPath().toString(),
          Files.getAttribute(fs.getPath("/disk"), "vhd:parentPath"), "the parent really used");
    }
  }

  @Test
  void symbolicLinkToADirectoryOutsideParentRootIsRefused() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path outsideDir = Files.createDirectories(tmp.resolve("elsewhere"));
    VhdImageBuilder parent = base(11);
    parent.writeTo(outsideDir.resolve("base.vhd"));
    createLinkOrSkip(root.resolve("shared"), outsideDir);
    Path image = root.resolve("child.vhd");
    VhdImageBuilder.differencing(parent, "base.vhd").clearParentLocators()
        .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\shared\\base.vhd")
        .write(0, randomBytes(4096, 12)).writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(Route.PATH, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, ": really " + outsideDir.toRealPath().resolve("base.vhd")
        + ", outside parentRoot " + root.toRealPath() + ", not opened");
    assertEquals(before, snapshot(tmp), "a refused open changed files");
  }

  /**
   * The classic attack: a child made to name another user's image by its absolute path, with that
   * image's unique id copied into its header, so that reading the child reads the victim's data.
   */
  @ParameterizedTest
  @EnumSource(Route.class)
  void anotherUsersImageWithTheMatchingIdOutsideParentRootIsRefused(Route route)
      throws IOException {
    Path alice = Files.createDirectories(tmp.resolve("home").resolve("alice"));
    Path mallory = Files.createDirectories(tmp.resolve("home").resolve("mallory"));
    VhdImageBuilder secret = VhdImageBuilder.dynamic(4 * MIB)
        .write(0, "alice's secret".getBytes(StandardCharsets.US_ASCII))
        .write(3 * MIB, randomBytes(8192, 13));
    Path victim = alice.resolve("disk.vhd");
    secret.writeTo(victim);
    UUID stolenId = HostBytes.footerUniqueId(victim);
    VhdImageBuilder crafted = VhdImageBuilder.differencing(4 * MIB).parentId(stolenId)
        .parentName("disk.vhd")
        .parentLocator(VhdImageBuilder.PLATFORM_W2KU, "C:" + windowsPath(victim.toRealPath()));
    Path image = mallory.resolve("innocent.vhd");
    crafted.writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of("parentRoot", mallory.toString()));
    assertMessage(e, image, "-> " + victim.toRealPath() + ": outside parentRoot "
        + mallory.toRealPath() + ", not opened");
    assertMessage(e, image, "parent name 'disk.vhd' next to the image -> "
        + mallory.toRealPath().resolve("disk.vhd") + ": no such file");
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    // Unconfined, the crafted child is a window onto the victim's disk.
    try (FileSystem fs = route.open(image, Map.of())) {
      byte[] disk = readDisk(fs);
      assertArrayEquals(secret.expectedDisk(), disk, "the victim's bytes through the child");
    }
  }

  /** Directories are compared by name components: "vms-evil" is not inside "vms". */
  @Test
  void siblingDirectoryWhoseNameStartsWithTheRootsIsOutside() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path evil = Files.createDirectories(tmp.resolve("vms-evil")).resolve("base.vhd");
    VhdImageBuilder parent = base(14);
    parent.writeTo(evil);
    Path image = root.resolve("child.vhd");
    VhdImageBuilder.differencing(parent, "base.vhd").clearParentLocators().parentName("")
        .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\..\\vms-evil\\base.vhd")
        .writeTo(image);
    VhdFormatException e = refused(Route.PATH, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, "-> " + evil.toRealPath() + ": outside parentRoot "
        + root.toRealPath() + ", not opened");
  }

  /** The root confines every image of the chain, not just the first parent. */
  @ParameterizedTest
  @EnumSource(Route.class)
  void grandparentOutsideParentRootRefusesTheWholeChain(Route route) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path outside = Files.createDirectories(tmp.resolve("elsewhere")).resolve("base.vhd");
    VhdImageBuilder base = base(15);
    base.writeTo(outside);
    VhdImageBuilder middle = VhdImageBuilder.differencing(base, "base.vhd").clearParentLocators()
        .parentLocator(VhdImageBuilder.PLATFORM_W2KU, windowsPath(outside.toRealPath()))
        .write(MIB, randomBytes(4096, 16));
    middle.writeTo(root.resolve("middle.vhd"));
    VhdImageBuilder child = VhdImageBuilder.differencing(middle, "middle.vhd")
        .write(0, randomBytes(4096, 17));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of("parentRoot", root.toString()));
    assertMessage(e, image, image + ": its parent chain cannot be opened: "
        + root.toRealPath().resolve("middle.vhd") + ": parent image 'base.vhd' not found");
    assertMessage(e, image, "-> " + outside.toRealPath() + ": outside parentRoot "
        + root.toRealPath() + ", not opened");
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    try (FileSystem fs = route.open(image, Map.of())) {
      assertArrayEquals(child.expectedDisk(), readDisk(fs));
    }
  }

  // ---------------------------------------------------------------- one chain, one set of options

  /**
   * A chain checked without a root must not be handed to someone who asked for one: while a
   * channel holds the child open unconfined, a confined open of it is refused, and the other way
   * round; once the channel is closed, it opens.
   */
  @Test
  void childOpenWithoutParentRootRefusesAnOpenWithParentRoot() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    VhdImageBuilder base = base(18);
    base.writeTo(root.resolve("base.vhd"));
    VhdImageBuilder child = VhdImageBuilder.differencing(base, "base.vhd")
        .write(0, randomBytes(4096, 19));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Map<String, ?> confined = Map.of("parentRoot", root.toString());

    try (FileSystem loose = FileSystems.newFileSystem(image, Map.of());
        FileChannel ch = FileChannel.open(loose.getPath("/disk"))) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> FileSystems.newFileSystem(image, confined).close());
      assertTrue(String.valueOf(e.getMessage()).contains("already open in this JVM with "
          + "parentRoot=null and ignoreParentId=false"), e.getMessage());
      FileSystemException viaUri = assertThrows(FileSystemException.class,
          () -> FileSystems.newFileSystem(Chains.uriOf(image), confined).close());
      assertTrue(String.valueOf(viaUri.getMessage()).contains("already open in this JVM with"),
          viaUri.getMessage());
      assertEquals(child.currentSize(), ch.size(), "the first file system still works");
    }
    try (FileSystem strict = FileSystems.newFileSystem(image, confined)) {
      assertArrayEquals(child.expectedDisk(), readDisk(strict), "opens once the other closed");
      try (FileChannel ch = FileChannel.open(strict.getPath("/disk"))) {
        FileSystemException e = assertThrows(FileSystemException.class,
            () -> FileSystems.newFileSystem(image, Map.of("ignoreParentId", "true")).close());
        assertTrue(String.valueOf(e.getMessage()).contains("already open in this JVM with "
            + "parentRoot=" + root), e.getMessage());
        try (FileSystem same = FileSystems.newFileSystem(image, confined)) {
          assertArrayEquals(child.expectedDisk(), readDisk(same), "the same options share");
        }
        Map<String, ?> respelled = Map.of("parentRoot", root + "/./");
        try (FileSystem same = FileSystems.newFileSystem(image, respelled)) {
          assertArrayEquals(child.expectedDisk(), readDisk(same),
              "another spelling of the same root is the same option");
        }
        assertEquals(child.currentSize(), ch.size());
      }
    }
  }

  // ---------------------------------------------------------------- creating a child

  @ParameterizedTest
  @EnumSource(Route.class)
  void creatingAChildOverAParentOutsideParentRootIsAccessDeniedAndLeavesNoFile(Route route)
      throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path outside = Files.createDirectories(tmp.resolve("elsewhere")).resolve("base.vhd");
    base(20).writeTo(outside);
    createLinkOrSkip(root.resolve("link.vhd"), outside);
    Map<Path, String> before = snapshot(tmp);
    Path image = root.resolve("new-child.vhd");
    for (String parent : List.of(outside.toString(), "../elsewhere/base.vhd", "link.vhd")) {
      Map<String, Object> env = new HashMap<>(Map.of("create", "true", "type", "differencing",
          "parent", parent, "parentRoot", root.toString()));
      AccessDeniedException e = assertThrows(AccessDeniedException.class,
          () -> route.create(image, env).close(), "parent " + parent);
      assertTrue(String.valueOf(e.getMessage()).contains("outside parentRoot " + root.toRealPath()),
          e.getMessage());
      assertFalse(Files.exists(image, LinkOption.NOFOLLOW_LINKS), "a file was left behind");
      assertEquals(before, snapshot(tmp), "a refused create changed files");
    }
    // Inside the root it is made.
    base(21).writeTo(root.resolve("inside.vhd"));
    try (FileSystem fs = route.create(image, Map.of("create", "true", "type", "differencing",
        "parent", "inside.vhd", "parentRoot", root.toString()))) {
      assertEquals(4 * MIB, Files.size(fs.getPath("/disk")));
    }
  }

  // ---------------------------------------------------------------- ignoreParentId

  @ParameterizedTest
  @EnumSource(Route.class)
  void ignoreParentIdOpensAChildWhoseRecordedIdDiffers(Route route) throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    VhdImageBuilder base = base(22);
    base.writeTo(root.resolve("base.vhd"));
    UUID recorded = UUID.nameUUIDFromBytes(new byte[] {42});
    VhdImageBuilder child = VhdImageBuilder.differencing(base, "base.vhd").parentId(recorded)
        .write(MIB, randomBytes(4096, 23));
    Path image = root.resolve("child.vhd");
    child.writeTo(image);
    Map<Path, String> before = snapshot(tmp);

    VhdFormatException e = refused(route, image, Map.of());
    assertMessage(e, image, "parent unique id mismatch: the differencing image expects a parent "
        + "with unique id " + recorded + ", but " + root.toRealPath().resolve("base.vhd")
        + " has unique id " + base.uniqueId());
    assertEquals(before, snapshot(tmp), "a refused open changed files");

    for (Object yes : List.of("true", Boolean.TRUE)) {
      try (FileSystem fs = route.open(image, Map.of("ignoreParentId", yes))) {
        assertArrayEquals(child.expectedDisk(), readDisk(fs));
        assertEquals(recorded, Files.getAttribute(fs.getPath("/disk"), "vhd:parentUniqueId"));
      }
    }
    try (FileSystem fs = route.open(image, Map.of("ignoreParentId", "true",
        "parentRoot", root.toString()))) {
      assertArrayEquals(child.expectedDisk(), readDisk(fs), "both options together");
    }
    assertEquals(before, snapshot(tmp), "reading changed files");
  }

  /** Ignoring the id does not lift the root: an outside parent stays refused. */
  @Test
  void ignoreParentIdDoesNotLiftParentRoot() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("vms"));
    Path outside = Files.createDirectories(tmp.resolve("elsewhere")).resolve("base.vhd");
    VhdImageBuilder parent = base(24);
    parent.writeTo(outside);
    Path image = root.resolve("child.vhd");
    VhdImageBuilder.differencing(parent, "base.vhd").parentId(UUID.randomUUID())
        .clearParentLocators()
        .parentLocator(VhdImageBuilder.PLATFORM_W2KU, windowsPath(outside.toRealPath()))
        .writeTo(image);
    VhdFormatException e = refused(Route.PATH, image,
        Map.of("ignoreParentId", "true", "parentRoot", root.toString()));
    assertMessage(e, image, "outside parentRoot " + root.toRealPath() + ", not opened");
  }

  // ---------------------------------------------------------------- helpers

  /** 4 MiB, 2 MiB blocks, both allocated with seeded noise in parts. */
  private static VhdImageBuilder base(long seed) {
    return VhdImageBuilder.dynamic(4 * MIB).write(0, randomBytes(300_000, seed * 100))
        .write(3 * MIB, randomBytes(70_000, seed * 100 + 1));
  }

  private static VhdFormatException refused(Route route, Path image, Map<String, ?> env) {
    return assertThrows(VhdFormatException.class, () -> route.open(image, env).close(),
        () -> "opened " + image + " with " + env);
  }

  /** The message names the child (as the user named it) first and holds {@code phrase}. */
  private static void assertMessage(VhdFormatException e, Path image, String phrase) {
    String message = String.valueOf(e.getMessage());
    assertEquals(image.toString(), e.file(), "file() of " + message);
    assertTrue(message.startsWith(image + ": "), () -> "does not start with the child: "
        + message);
    assertTrue(message.contains(phrase), () -> "does not say \"" + phrase + "\": " + message);
  }

  /**
   * Every file and link under {@code dir}: content hash and modification time, or link target,
   * so a comparison shows any file made, removed, written or touched.
   */
  static Map<Path, String> snapshot(Path dir) throws IOException {
    Map<Path, String> all = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
          all.put(p, "link to " + Files.readSymbolicLink(p));
        } else if (a.isRegularFile()) {
          all.put(p, sha256(Files.readAllBytes(p)) + " " + a.size() + " bytes, modified "
              + a.lastModifiedTime());
        } else if (a.isDirectory()) {
          all.put(p, "directory");
        }
      }
    }
    return all;
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static void createLinkOrSkip(Path link, Path target) throws IOException {
    try {
      Files.createSymbolicLink(link, target);
    } catch (UnsupportedOperationException | FileSystemException e) {
      Assumptions.abort("this host cannot make symbolic links: " + e);
    }
  }
}
