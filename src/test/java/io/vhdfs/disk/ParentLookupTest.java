package io.vhdfs.disk;

import static io.vhdfs.testing.VhdImageBuilder.L_DATA_SPACE;
import static io.vhdfs.testing.VhdImageBuilder.PLATFORM_MACX;
import static io.vhdfs.testing.VhdImageBuilder.PLATFORM_W2KU;
import static io.vhdfs.testing.VhdImageBuilder.PLATFORM_W2RU;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.VhdFormatException;
import io.vhdfs.image.Formats;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where a differencing image's parent is looked for, in which order, and how the paths its header
 * records map onto the child's host: {@code W2ru} relative locators first, then {@code W2ku}
 * absolute ones, then {@code MacX} file URLs, then the header's parent name next to the child; the
 * first place holding a VHD with the recorded unique id wins.
 *
 * <p>Images live in a Unix-style Jimfs, so absolute paths such as {@code /dir/p.vhd} can be
 * written; parents are several byte-identical copies of one image (so one unique id), and which
 * copy was opened tells which place won.
 */
class ParentLookupTest {
  private static final int MIB = 1 << 20;

  private FileSystem fs;
  private VhdImageBuilder parent;

  @BeforeEach
  void setUp() {
    fs = Jimfs.newFileSystem(Configuration.unix());
    byte[] data = new byte[64 * 1024];
    new Random(42).nextBytes(data);
    parent = VhdImageBuilder.dynamic(4L * MIB).block(0, data);
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  // ---------------------------------------------------------------- helpers

  private Path path(String p) {
    return fs.getPath(p);
  }

  /** Writes a copy of the parent (same unique id) at {@code at}. */
  private Path parentAt(String at) throws IOException {
    Path p = path(at);
    Files.createDirectories(p.getParent());
    parent.writeTo(p);
    return p;
  }

  /** A child of the parent with no locators and no parent name: each test adds its own. */
  private VhdImageBuilder bareChild() {
    return VhdImageBuilder.differencing(parent, "p.vhd").clearParentLocators().parentName("");
  }

  private Path write(VhdImageBuilder child, String at) throws IOException {
    Path p = path(at);
    Files.createDirectories(p.getParent());
    child.writeTo(p);
    return p;
  }

  /** Opens the child as the provider does, with its parents shared through {@link OpenDisks}. */
  private static VirtualDisk open(Path child) throws IOException {
    Path real = child.toRealPath();
    HostFile host = HostFile.openForReading(real);
    try {
      return DiskOpener.open(host, SizeRule.AUTO,
          ParentChain.of(real, ChainOptions.DEFAULT, Formats.ALL, OpenDisks::acquireParent));
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
  }

  /** The parent the child opens with; its first sectors must read as the parent's. */
  private Path parentFound(Path child) throws IOException {
    try (VirtualDisk disk = open(child)) {
      ByteBuffer b = ByteBuffer.allocate(4096);
      assertEquals(4096, disk.read(b, 0));
      assertArrayEquals(parent.expectedContent(0, 4096), b.array(), "read through the parent");
      return disk.parents().get(0);
    }
  }

  private static VhdFormatException refused(Path child) {
    return assertThrows(VhdFormatException.class, () -> open(child).close());
  }

  private static byte[] utf16le(String s) {
    return s.getBytes(StandardCharsets.UTF_16LE);
  }

  // ---------------------------------------------------------------- order

  @Test
  void placesAreTriedW2ruThenW2kuThenMacxThenParentName() throws IOException {
    Path ru = parentAt("/vm/ru/p.vhd");
    Path ku = parentAt("/vm/ku/p.vhd");
    Path mac = parentAt("/vm/mac/p.vhd");
    Path named = parentAt("/vm/child/p.vhd");
    // Header entries in another order than the lookup's: the kind decides, not the entry index.
    Path child = write(bareChild().parentName("p.vhd")
        .parentLocator(PLATFORM_MACX, "file:///vm/mac/p.vhd")
        .parentLocator(PLATFORM_W2KU, "C:\\vm\\ku\\p.vhd")
        .parentLocator(PLATFORM_W2RU, ".\\..\\ru\\p.vhd"), "/vm/child/c.vhd");

    assertEquals(ru, parentFound(child), "W2ru first");
    Files.delete(ru);
    assertEquals(ku, parentFound(child), "then W2ku");
    Files.delete(ku);
    assertEquals(mac, parentFound(child), "then MacX");
    Files.delete(mac);
    assertEquals(named, parentFound(child), "then the parent name next to the child");
  }

  @Test
  void w2ruNamingAnImageWithAnotherUniqueIdFallsThroughToTheW2kuThatIsRight() throws IOException {
    VhdImageBuilder.dynamic(4L * MIB).uniqueId(UUID.randomUUID())
        .writeTo(Files.createDirectories(path("/vm/child")).resolve("p.vhd"));
    Path right = parentAt("/vm/good/p.vhd");
    Path child = write(bareChild()
        .parentLocator(PLATFORM_W2RU, ".\\p.vhd")
        .parentLocator(PLATFORM_W2KU, "\\vm\\good\\p.vhd"), "/vm/child/c.vhd");
    assertEquals(right, parentFound(child));
  }

  @Test
  void onlyImagesWithAnotherUniqueIdIsAUniqueIdMismatchNamingBothIds() throws IOException {
    UUID other = UUID.randomUUID();
    VhdImageBuilder.dynamic(4L * MIB).uniqueId(other)
        .writeTo(Files.createDirectories(path("/vm/child")).resolve("p.vhd"));
    Path child = write(bareChild().parentLocator(PLATFORM_W2RU, ".\\p.vhd"), "/vm/child/c.vhd");
    VhdFormatException e = refused(child);
    String m = e.getMessage();
    assertAll(
        () -> assertEquals(child.toString(), e.file()),
        () -> assertTrue(m.contains("parent unique id mismatch"), m),
        () -> assertTrue(m.contains(parent.uniqueId().toString()), "the id expected: " + m),
        () -> assertTrue(m.contains("/vm/child/p.vhd has unique id " + other), m),
        () -> assertTrue(m.contains("ignoreParentId=true"), m));
  }

  // ---------------------------------------------------------------- payloads

  @ParameterizedTest(name = "trailing NULs: {0}")
  @ValueSource(ints = {0, 1, 3})
  void utf16lePayloadsReadWithAndWithoutTrailingNul(int nuls) throws IOException {
    Path p = parentAt("/vm/p.vhd");
    byte[] text = utf16le(".\\p.vhd");
    Path child = write(bareChild()
        .parentLocator(PLATFORM_W2RU, Arrays.copyOf(text, text.length + 2 * nuls)),
        "/vm/c.vhd");
    assertEquals(p, parentFound(child));

    Path absolute = write(bareChild()
        .parentLocator(PLATFORM_W2KU, Arrays.copyOf(utf16le("C:\\vm\\p.vhd"), 22 + 2 * nuls)),
        "/other/c.vhd");
    assertEquals(p, parentFound(absolute));
  }

  @ParameterizedTest(name = "data space {0}")
  @ValueSource(ints = {1, 512})
  void locatorDataSpaceInSectorsOrInBytesBothWork(int dataSpace) throws IOException {
    Path p = parentAt("/vm/p.vhd");
    VhdImageBuilder child = bareChild().parentLocator(PLATFORM_W2RU, ".\\p.vhd");
    Path c = path("/vm/c.vhd");
    VhdImageBuilder.Layout layout = child.writeTo(c);
    HostBytes.writeInt(c, layout.parentLocatorEntryOffset(0) + L_DATA_SPACE, dataSpace);
    VhdImageBuilder.fixHeaderChecksum(c, layout.headerOffset());
    assertEquals(p, parentFound(c));
  }

  // ---------------------------------------------------------------- mapping

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {".\\..\\base\\p.vhd", "..\\base\\p.vhd", "..\\x\\..\\base\\.\\p.vhd",
      "../base/p.vhd", ".\\..\\base//p.vhd"})
  void relativeLocatorsResolveDotDotFromTheChildsDirectory(String w2ru) throws IOException {
    Path p = parentAt("/vm/base/p.vhd");
    Files.createDirectories(path("/vm/x"));
    Path child = write(bareChild().parentLocator(PLATFORM_W2RU, w2ru), "/vm/child/c.vhd");
    assertEquals(p, parentFound(child));
  }

  @Test
  void relativeLocatorsResolveFromTheChildsRealDirectory() throws IOException {
    Path p = parentAt("/real/p.vhd");
    Path child = write(bareChild().parentLocator(PLATFORM_W2RU, ".\\p.vhd"), "/real/c.vhd");
    Path link = Files.createSymbolicLink(path("/links/c.vhd"),
        Files.createDirectories(path("/links")).relativize(child));
    // Through the provider, which keys the image by its real path: /real, not /links.
    try (FileSystem vhd = FileSystems.newFileSystem(link, Map.of())) {
      assertEquals(p.toString(), Files.getAttribute(vhd.getPath("/disk"), "vhd:parentPath"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"C:\\dir\\p.vhd", "\\dir\\p.vhd", "d:\\dir\\p.vhd", "C:/dir/p.vhd"})
  void absoluteWindowsLocatorsMapOntoTheUnixRoot(String w2ku) throws IOException {
    Path p = parentAt("/dir/p.vhd");
    Path child = write(bareChild().parentLocator(PLATFORM_W2KU, w2ku), "/vm/c.vhd");
    assertEquals(p, parentFound(child));
    assertEquals(path("/dir/p.vhd"),
        ParentLookup.windowsAbsolute("W2ku", path("/vm"), w2ku).path());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"file://localhost/dir/p.vhd", "file:///dir/p.vhd"})
  void macxFileUrlsMapOntoTheRoot(String url) throws IOException {
    Path p = parentAt("/dir/p.vhd");
    Path child = write(bareChild().parentLocator(PLATFORM_MACX, url), "/vm/c.vhd");
    assertEquals(p, parentFound(child));
    assertEquals(path("/dir/p.vhd"), ParentLookup.fileUrl("MacX", path("/vm"), url).path());
  }

  @Test
  void macxFileUrlIsPercentDecoded() throws IOException {
    Path p = parentAt("/my disks/\u00e9t\u00e9/p.vhd");
    Path child = write(bareChild()
        .parentLocator(PLATFORM_MACX, "file://localhost/my%20disks/%C3%A9t%C3%A9/p.vhd"),
        "/vm/c.vhd");
    assertEquals(p, parentFound(child));
  }

  @Test
  void fileUrlOfAnotherHostNamesNoPlace() {
    ParentLookup.Place place =
        ParentLookup.fileUrl("MacX", path("/vm"), "file://server/dir/p.vhd");
    assertNull(place.path());
    assertEquals("not a local file URL", place.unusable());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"\\\\server\\share\\p.vhd", "//server/share/p.vhd"})
  void uncPathIsUnusable(String unc) throws IOException {
    ParentLookup.Place place = ParentLookup.windowsAbsolute("W2ku", path("/vm"), unc);
    assertNull(place.path());
    assertTrue(place.unusable().contains("UNC"), place.unusable());

    parentAt("/server/share/p.vhd"); // where a careless mapping would look
    Path child = write(bareChild().parentLocator(PLATFORM_W2KU, unc), "/vm/c.vhd");
    String m = refused(child).getMessage();
    assertTrue(m.contains("W2ku locator 0 '" + unc + "': a network (UNC) path"), m);
  }

  @Test
  void absolutePathInARelativeLocatorIsUnusable() throws IOException {
    parentAt("/vm/p.vhd");
    Path child = write(bareChild().parentLocator(PLATFORM_W2RU, "C:\\vm\\p.vhd"),
        "/vm/child/c.vhd");
    String m = refused(child).getMessage();
    assertTrue(m.contains("W2ru locator 0 'C:\\vm\\p.vhd': an absolute path in a relative "
        + "locator"), m);
  }

  @Test
  void nulInsideALocatorIsAnInvalidPathAndShownEscaped() throws IOException {
    Path child = write(bareChild().parentLocator(PLATFORM_W2RU, ".\\p\0q.vhd"), "/vm/c.vhd");
    String m = refused(child).getMessage();
    assertTrue(m.contains("W2ru locator 0 '.\\p\\u0000q.vhd': not a valid path here"), m);
  }

  @Test
  void locatorDataPastTheEndOfFileIsAFormatError() throws IOException {
    parentAt("/vm/p.vhd");
    VhdImageBuilder child = bareChild().parentLocator(PLATFORM_W2RU, ".\\p.vhd");
    Path c = path("/vm/c.vhd");
    VhdImageBuilder.Layout layout = child.writeTo(c);
    HostBytes.writeLong(c, layout.parentLocatorEntryOffset(0) + VhdImageBuilder.L_DATA_OFFSET,
        layout.fileSize() - 4);
    VhdImageBuilder.fixHeaderChecksum(c, layout.headerOffset());
    VhdFormatException e = refused(c);
    assertTrue(e.getMessage().contains("parent locator 0 data at offset"), e.getMessage());
    assertTrue(e.getMessage().contains("past the end of file"), e.getMessage());
  }

  @Test
  void locatorLongerThan64KiBIsAFormatError() throws IOException {
    parentAt("/vm/p.vhd");
    VhdImageBuilder child = bareChild().parentLocator(PLATFORM_W2RU, ".\\p.vhd");
    Path c = path("/vm/c.vhd");
    VhdImageBuilder.Layout layout = child.writeTo(c);
    HostBytes.writeInt(c, layout.parentLocatorEntryOffset(0) + VhdImageBuilder.L_DATA_LENGTH,
        64 * 1024 + 2);
    VhdImageBuilder.fixHeaderChecksum(c, layout.headerOffset());
    VhdFormatException e = refused(c);
    assertTrue(e.getMessage().contains("parent locator 0 claims 65538 bytes"), e.getMessage());
  }

  @Test
  void parentNameHoldingAWindowsPathIsLookedUpByItsFileNameNextToTheChild() throws IOException {
    Path p = parentAt("/data/child/p.vhd");
    Path child = write(bareChild().parentName("C:\\vm\\p.vhd"), "/data/child/c.vhd");
    assertEquals(p, parentFound(child));
  }

  @Test
  void onAWindowsHostAbsoluteLocatorsAreNativePathsAndRelativeOnesResolveFromTheChild()
      throws IOException {
    try (FileSystem windows = Jimfs.newFileSystem(
        Configuration.windows().toBuilder().setRoots("C:\\", "D:\\").build())) {
      Path p = Files.createDirectories(windows.getPath("C:\\vm")).resolve("p.vhd");
      parent.writeTo(p);
      Path childDir = Files.createDirectories(windows.getPath("D:\\other"));
      Path absolute = childDir.resolve("abs.vhd");
      bareChild().parentLocator(PLATFORM_W2KU, "C:\\vm\\p.vhd").writeTo(absolute);
      assertEquals(p, parentFound(absolute));

      Path sibling = Files.createDirectories(windows.getPath("C:\\kids")).resolve("rel.vhd");
      bareChild().parentLocator(PLATFORM_W2RU, ".\\..\\vm\\p.vhd").writeTo(sibling);
      assertEquals(p, parentFound(sibling));
    }
  }

  // ---------------------------------------------------------------- nothing found

  @Test
  void missingParentMessageListsEveryPlaceTriedWithItsReason() throws IOException {
    Files.createDirectories(path("/vm/notvhd"));
    Files.writeString(path("/vm/notvhd/p.vhd"), "not an image");
    Files.createDirectories(path("/vm/adir/p.vhd"));
    Path child = write(bareChild().parentName("q.vhd")
        .parentLocator(PLATFORM_W2KU, "\\vm\\notvhd\\p.vhd")
        .parentLocator(PLATFORM_W2RU, ".\\p.vhd")
        .parentLocator(PLATFORM_W2KU, "\\\\server\\share\\p.vhd")
        .parentLocator(PLATFORM_MACX, "file:///vm/adir/p.vhd"), "/vm/child/c.vhd");
    VhdFormatException e = refused(child);
    String m = e.getMessage();
    assertAll(
        () -> assertEquals(child.toString(), e.file()),
        () -> assertTrue(m.contains("parent image 'q.vhd' not found; places tried: "), m),
        () -> assertTrue(m.contains("W2ru locator 1 '.\\p.vhd' -> /vm/child/p.vhd: no such file"),
            m),
        () -> assertTrue(m.contains("W2ku locator 0 '\\vm\\notvhd\\p.vhd' -> /vm/notvhd/p.vhd: "
            + "not a VHD image"), m),
        () -> assertTrue(m.contains("W2ku locator 2 '\\\\server\\share\\p.vhd': a network (UNC) "
            + "path"), m),
        () -> assertTrue(m.contains("MacX locator 3 'file:///vm/adir/p.vhd' -> /vm/adir/p.vhd: "
            + "no such file"), m),
        () -> assertTrue(m.contains("parent name 'q.vhd' next to the image -> /vm/child/q.vhd: "
            + "no such file"), m),
        // In lookup order: W2ru, W2ku (entries 0 and 2), MacX, name.
        () -> assertTrue(m.indexOf("W2ru locator 1") < m.indexOf("W2ku locator 0")
            && m.indexOf("W2ku locator 0") < m.indexOf("W2ku locator 2")
            && m.indexOf("W2ku locator 2") < m.indexOf("MacX locator 3")
            && m.indexOf("MacX locator 3") < m.indexOf("parent name 'q.vhd' next"), m));
  }
}
