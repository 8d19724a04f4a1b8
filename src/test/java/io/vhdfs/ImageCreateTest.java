package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdFileAttributes;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.ImageLayout;
import io.vhdfs.testing.ImageLayout.Footer;
import io.vhdfs.testing.ImageLayout.Header;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Exit;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Creating images (issue 3 item 3, contract in DESIGN.md §1 and the issue-3 contract): the size a
 * request turns into (the same as {@code qemu-img create -f vpc}, or kept to the byte with
 * {@code exactSize}), the limits, the layout of a new file, and that a new image opens as an
 * all-zero disk here, in qemu-img and in libvhdi.
 *
 * <p>The size table's expectations are the numbers qemu-img 7.2 printed; the offline tests pin them
 * without any tool, the live ones ask the installed qemu-img again. Large fixed images are created
 * only once a 1 GiB one has been seen to be sparse, so a library that wrote the data area cannot
 * fill the host's disk; a 1 GiB image that is not sparse fails every large fixed case.
 */
final class ImageCreateTest {
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  /** 0xFF000000 sectors: the largest size the format allows. */
  private static final long MAX_SIZE = 2_190_433_320_960L;
  /** 65535/16/255: "the size is in the current-size field". */
  private static final int MAX_GEOMETRY = 0xFFFF10FF;
  /** Images at least this big are fixed ones only after the sparse probe passed. */
  private static final long BIG_FIXED = 4 * GIB;

  @TempDir Path dir;

  // ---------------------------------------------------------------- the size table

  /** A requested size, and the virtual size and CHS bytes qemu-img 7.2 gives it. */
  record Size(String requested, long qemuSize, int geometry) {
    @Override
    public String toString() {
      return requested;
    }
  }

  private static final List<Size> SIZES = List.of(
      new Size("512", 34_816, 0x00010411), // one sector: the first CHS product, 1/4/17
      new Size("1000", 34_816, 0x00010411), // not a whole sector: rounded up to one first
      new Size("34817", 69_632, 0x00020411), // a CHS product + 1 byte: the next one, 2/4/17
      new Size("1M", 1_079_296, 0x001F0411),
      new Size("2M", 2_123_776, 0x003D0411), // vhd-format.md §1.9: 61/4/17
      new Size("3146240", 3_168_256, 0x005B0411), // 3 MiB + 512
      new Size("64M", 67_125_248, 0x03C40811),
      new Size("1G", 1_073_995_776, 0x0821103F),
      new Size("2G", 2_147_991_552L, 0x1042103F), // §1.9: 4162/16/63 (Launchpad 1819182)
      new Size("4G", 4_295_467_008L, 0x2083103F), // §1.9: 8323/16/63 (iotest 146)
      new Size("5G", 5_368_946_688L, 0x28A3103F),
      new Size("10G", 10_737_893_376L, 0x5146103F),
      new Size("127G", 136_365_219_840L, 0xFEFF10FF), // one cylinder above the spec floor 65278
      // 100 sectors below the largest CHS product: rounding up reaches 65535/16/255, and then
      // qemu keeps the requested size.
      new Size("136899942400", 136_899_942_400L, MAX_GEOMETRY),
      new Size("136899993600", 136_899_993_600L, MAX_GEOMETRY), // exactly 65535 x 16 x 255
      new Size("128G", 137_438_953_472L, MAX_GEOMETRY),
      new Size("200G", 214_748_364_800L, MAX_GEOMETRY),
      new Size("1T", 1_099_511_627_776L, MAX_GEOMETRY),
      new Size("2040G", MAX_SIZE, MAX_GEOMETRY)); // the largest allowed

  static Stream<Arguments> sizesByType() {
    return Stream.of("dynamic", "fixed")
        .flatMap(type -> SIZES.stream().map(size -> Arguments.of(type, size)));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("sizesByType")
  void requestedSizeRoundsUpToTheGeometryQemuImgChooses(String type, Size size)
      throws IOException {
    requireBigFixedIsSafe(type, size.qemuSize());
    Path image = dir.resolve("ours.vhd");
    long diskSize = createViaUri(image, env("create", "true", "size", size.requested(),
        "type", type));
    assertEquals(size.qemuSize(), diskSize, "Files.size(/disk) for " + size.requested());
    Footer footer = ImageLayout.endFooter(image);
    assertEquals(size.qemuSize(), footer.currentSize(), "footer current size");
    assertEquals(size.qemuSize(), footer.originalSize(), "footer original size");
    assertEquals(hex(size.geometry()), hex(footer.geometry()), "footer CHS bytes (C C H S)");
    if (type.equals("fixed")) {
      assertEquals(size.qemuSize() + 512, Files.size(image), "fixed host file = size + 512");
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("sizesByType")
  void createdSizeAndGeometryEqualQemuImgCreate(String type, Size size) throws IOException {
    QemuTools qemu = QemuTools.require();
    requireBigFixedIsSafe(type, size.qemuSize());
    Path theirs = dir.resolve("qemu.vhd");
    qemu.create(theirs, parseForQemu(size.requested()), type.equals("fixed") ? "subformat=fixed" : "");
    Path ours = dir.resolve("ours.vhd");
    long diskSize = createViaUri(ours, env("create", "true", "size", size.requested(),
        "type", type));

    long qemuSize = qemu.virtualSize(theirs);
    assertEquals(qemuSize, diskSize, "Files.size(/disk) vs qemu-img's virtual size");
    assertEquals(qemuSize, qemu.virtualSize(ours), "qemu-img info of our image");
    Footer q = ImageLayout.endFooter(theirs);
    Footer o = ImageLayout.endFooter(ours);
    assertEquals(hex(q.geometry()), hex(o.geometry()), "CHS bytes: qemu-img's vs ours");
    assertEquals(q.currentSize(), o.currentSize(), "current size: qemu-img's vs ours");
    assertEquals(q.originalSize(), o.originalSize(), "original size: qemu-img's vs ours");
    assertEquals(q.diskType(), o.diskType(), "disk type");
    assertEquals(Files.size(theirs), Files.size(ours),
        "host file size (same BAT length for 2 MiB blocks; size + 512 for fixed)");
    if (type.equals("dynamic")) {
      assertEquals(ImageLayout.header(theirs).maxTableEntries(),
          ImageLayout.header(ours).maxTableEntries(), "max table entries");
    }
  }

  /** qemu-img takes suffixes too, but a plain byte count leaves no doubt. */
  private static long parseForQemu(String requested) {
    char last = requested.charAt(requested.length() - 1);
    int shift = switch (last) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      default -> 0;
    };
    return shift == 0 ? Long.parseLong(requested)
        : Long.parseLong(requested.substring(0, requested.length() - 1)) << shift;
  }

  // ---------------------------------------------------------------- exactSize

  static Stream<Arguments> exactSizes() {
    return Stream.of(
        Arguments.of("dynamic", MIB),
        Arguments.of("dynamic", 5 * MIB + 1536), // short last block
        Arguments.of("dynamic", 64 * MIB),
        Arguments.of("dynamic", 136_365_219_840L), // a CHS product: geometry still 65535/16/255
        Arguments.of("dynamic", 200 * GIB),
        Arguments.of("fixed", MIB),
        Arguments.of("fixed", 1025 * MIB), // Azure: a whole number of MiB
        Arguments.of("fixed", 5 * MIB + 1536),
        Arguments.of("fixed", 30 * GIB));
  }

  @ParameterizedTest(name = "{0} {1} bytes")
  @MethodSource("exactSizes")
  void exactSizeKeepsTheSizeToTheByteWithGeometry65535x16x255(String type, long size)
      throws IOException {
    requireBigFixedIsSafe(type, size);
    Path image = dir.resolve("exact.vhd");
    long diskSize = createViaUri(image, env("create", "true", "size", Long.toString(size),
        "type", type, "exactSize", "true"));
    assertEquals(size, diskSize, "Files.size(/disk)");
    Footer footer = ImageLayout.endFooter(image);
    assertEquals(size, footer.currentSize(), "current size");
    assertEquals(size, footer.originalSize(), "original size");
    assertEquals(hex(MAX_GEOMETRY), hex(footer.geometry()), "CHS bytes");
    if (type.equals("fixed")) {
      assertEquals(size + 512, Files.size(image), "fixed exactSize host file = size + 512");
    }
  }

  @ParameterizedTest(name = "{0} {1} bytes")
  @MethodSource("exactSizes")
  void exactSizeImagesShowTheirSizeInQemuImgAndLibvhdi(String type, long size)
      throws IOException {
    Optional<QemuTools> qemu = QemuTools.find();
    Optional<Libvhdi> libvhdi = Libvhdi.find();
    PeerRequirement.assumePresent(qemu.isPresent() || libvhdi.isPresent(),
        "neither qemu-img (qemu-utils) nor libvhdi (python3-libvhdi) is installed");
    requireBigFixedIsSafe(type, size);
    Path image = dir.resolve("exact.vhd");
    createViaUri(image, env("create", "true", "size", Long.toString(size), "type", type,
        "exactSize", "true"));
    if (qemu.isPresent()) {
      assertEquals(size, qemu.get().virtualSize(image), "qemu-img info virtual size");
    }
    if (libvhdi.isPresent()) {
      assertEquals(size, libvhdi.get().read(image, List.of(), dir).mediaSize(),
          "libvhdi media size");
    }
    PeerRequirement.assumePresent(qemu.isPresent(),
        "checked with libvhdi only: qemu-img is missing");
    PeerRequirement.assumePresent(libvhdi.isPresent(),
        "checked with qemu-img only: " + Libvhdi.MISSING);
  }

  @Test
  void envValuesMayHaveTheirNaturalTypes() throws IOException {
    Path image = dir.resolve("typed.vhd");
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("create", Boolean.TRUE);
    env.put("size", 3L * MIB);
    env.put("blockSize", 524_288);
    env.put("exactSize", Boolean.TRUE);
    assertEquals(3 * MIB, createViaUri(image, env));
    assertEquals(524_288, ImageLayout.header(image).blockSize());
    assertEquals(6, ImageLayout.header(image).maxTableEntries());
  }

  // ---------------------------------------------------------------- limits

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void sizeAbove2040GiBIsRefusedNamingSize(String type) throws IOException {
    for (String size : List.of(Long.toString(MAX_SIZE + 512), "2041G", "4T")) {
      Path image = dir.resolve("too-big-" + size + ".vhd");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> createViaUri(image, env("create", "true", "size", size, "type", type)),
          type + " of " + size);
      assertMentions(e, "size");
      assertFalse(Files.exists(image), "a refused create must not leave a file: " + image);
      IllegalArgumentException exact = assertThrows(IllegalArgumentException.class,
          () -> createViaUri(image, env("create", "true", "size", size, "type", type,
              "exactSize", "true")),
          type + " of " + size + " with exactSize");
      assertMentions(exact, "size");
    }
    // On another host provider too.
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/too-big.vhd");
      assertMentions(assertThrows(IllegalArgumentException.class,
          () -> createOnHost(hosted, env("create", "true", "size", "2041G", "type", type))),
          "size");
      assertFalse(Files.exists(hosted));
    }
  }

  @Test
  void missingOrZeroSizeIsRefusedNamingSize() throws IOException {
    List<Map<String, Object>> envs = List.of(
        env("create", "true"),
        env("create", "true", "type", "fixed"),
        env("create", "true", "size", "0"),
        env("create", "true", "size", "0", "type", "fixed"),
        env("create", "true", "size", "0M"),
        env("create", "true", "size", "-1M"),
        env("create", "true", "size", "12Q"));
    for (Map<String, Object> env : envs) {
      Path image = dir.resolve("no-size.vhd");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> createViaUri(image, env), env.toString());
      assertMentions(e, "size");
      assertFalse(Files.exists(image), "a refused create must not leave a file: " + env);
    }
    Map<String, Object> zero = new LinkedHashMap<>(env("create", "true"));
    zero.put("size", 0L);
    assertMentions(assertThrows(IllegalArgumentException.class,
        () -> createViaUri(dir.resolve("zero.vhd"), zero)), "size");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void exactSizeThatIsNotWholeSectorsIsRefusedNamingSize(String type) {
    for (String size : List.of("1048577", "1000", "3146241")) {
      Path image = dir.resolve("odd.vhd");
      assertMentions(assertThrows(IllegalArgumentException.class,
          () -> createViaUri(image, env("create", "true", "size", size, "type", type,
              "exactSize", "true")), size), "size");
      assertFalse(Files.exists(image));
    }
  }

  @ParameterizedTest(name = "size={0}")
  @ValueSource(strings = {"1.5G", "0.5M", "10.25M"})
  void fractionalSizesWithASuffixAreTakenAsQemuImgTakesThem(String size) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path theirs = dir.resolve("qemu.vhd");
    QemuTools.run(java.time.Duration.ofMinutes(1), List.of("qemu-img", "create", "-q", "-f",
        "vpc", theirs.toString(), size));
    long ours = createViaUri(dir.resolve("ours.vhd"), env("create", "true", "size", size));
    assertEquals(qemu.virtualSize(theirs), ours, "qemu-img's size for " + size + " vs ours");
  }

  @ParameterizedTest(name = "size={0}")
  @ValueSource(strings = {"1.5", "1.5.0M", ".5M", "1.M"})
  void fractionsWithoutASuffixOrMalformedAreRefusedNamingSize(String size) {
    Path image = dir.resolve("bad-fraction.vhd");
    assertMentions(assertThrows(IllegalArgumentException.class,
        () -> createViaUri(image, env("create", "true", "size", size))), "size");
    assertFalse(Files.exists(image));
  }

  @ParameterizedTest(name = "blockSize={0}")
  @ValueSource(strings = {"0", "3000", "1000000", "-2097152", "256", "1.5M", "two"})
  void badBlockSizeIsRefusedNamingBlockSize(String blockSize) {
    Path image = dir.resolve("bad-block.vhd");
    assertMentions(assertThrows(IllegalArgumentException.class,
        () -> createViaUri(image, env("create", "true", "size", "64M", "blockSize", blockSize))),
        "blockSize");
    assertFalse(Files.exists(image), "a refused create must not leave a file");
  }

  @Test
  void unknownTypeIsRefusedNamingType() {
    Path image = dir.resolve("typed.vhd");
    assertMentions(assertThrows(IllegalArgumentException.class,
        () -> createViaUri(image, env("create", "true", "size", "64M", "type", "sparse"))),
        "type");
    assertFalse(Files.exists(image), "a refused create must not leave a file");
  }

  @Test
  void differencingTypeNeedsAParentAndTakesNoSize() throws IOException {
    Path image = dir.resolve("child.vhd");
    Map<String, Object> noParent = env("create", "true", "type", "differencing");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(uriOf(image), noParent).close());
    assertTrue(e.getMessage().contains("'parent'"), e.getMessage());
    Map<String, Object> sized =
        env("create", "true", "type", "differencing", "parent", "p.vhd", "size", "64M");
    e = assertThrows(IllegalArgumentException.class,
        () -> vhdProvider().newFileSystem(image, sized).close());
    assertTrue(e.getMessage().contains("'size'"), e.getMessage());
    assertFalse(Files.exists(image), "a refused create must not leave a file");
  }

  @Test
  void existingFileIsNeverOverwritten() throws IOException {
    // A valid image, an empty file and a file that is no image, on the default file system...
    Path image = dir.resolve("existing.vhd");
    createViaUri(image, env("create", "true", "size", "8M", "blockSize", "512K"));
    Path empty = Files.createFile(dir.resolve("empty.vhd"));
    Path text = Files.writeString(dir.resolve("notes.vhd"), "not an image\n");
    for (Path existing : List.of(image, empty, text)) {
      byte[] before = Files.readAllBytes(existing);
      for (String type : List.of("dynamic", "fixed")) {
        Map<String, Object> env = env("create", "true", "size", "64M", "type", type);
        assertThrows(FileAlreadyExistsException.class, () -> createViaUri(existing, env),
            "through the URI: " + existing.getFileName() + ", " + type);
        assertThrows(FileAlreadyExistsException.class, () -> createOnHost(existing, env),
            "through the host path: " + existing.getFileName() + ", " + type);
      }
      assertArrayEquals(before, Files.readAllBytes(existing),
          existing.getFileName() + " changed by a refused create");
    }
    // ... and on Jimfs.
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/existing.bin");
      Files.write(hosted, new byte[] {1, 2, 3});
      assertThrows(FileAlreadyExistsException.class,
          () -> createOnHost(hosted, env("create", "true", "size", "1M")));
      assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(hosted));
    }
  }

  // ---------------------------------------------------------------- entry points

  @Test
  void createThroughTheUriGivesARegisteredFileSystemWhoseDiskHasTheSize() throws IOException {
    Path image = dir.resolve("via uri #1.vhd"); // needs percent-encoding
    URI uri = uriOf(image);
    try (FileSystem fs = FileSystems.newFileSystem(uri, env("create", "true", "size", "64M"))) {
      assertEquals("vhd", fs.provider().getScheme());
      assertFalse(fs.isReadOnly(), "a new image on a writable host is read-write");
      Path disk = fs.getPath("/disk");
      assertEquals(67_125_248, Files.size(disk));
      assertSame(fs, FileSystems.getFileSystem(uri), "the new file system is registered");
      assertEquals(disk, Path.of(uri), "Path.of(uri) is the new image's /disk");
      assertSame(fs, Path.of(uri).getFileSystem());
    }
    Path disk = Path.of(uri);
    try {
      assertEquals(67_125_248, Files.size(disk), "reopened on demand after close");
      assertEquals("dynamic", Files.getAttribute(disk, "vhd:diskType"));
    } finally {
      disk.getFileSystem().close();
    }
  }

  /**
   * The documented way to create on another provider: the nested URI {@code vhd:jimfs://...}.
   * ({@code FileSystems.newFileSystem(hostPath, {create=true})} reaches the JDK's zip provider
   * first, which makes a zip; the provider javadoc says so.)
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void createOnJimfsThroughTheNestedUri(String type) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/vm/nested disk.vhd");
      Files.createDirectories(hosted.getParent());
      URI uri = URI.create("vhd:" + hosted.toUri());
      try (FileSystem fs = FileSystems.newFileSystem(uri, env("create", "true", "size", "2M",
          "type", type))) {
        assertEquals("vhd", fs.provider().getScheme());
        Path disk = fs.getPath("/disk");
        assertEquals(2_123_776, Files.size(disk));
        assertEquals(disk, Path.of(uri), "Path.of(nested uri) is the new image's /disk");
        assertAllZero(disk, 2_123_776);
      }
      assertLayout(hosted, type, 2_123_776, 2 * (int) MIB);
      assertThrows(FileAlreadyExistsException.class, () -> FileSystems.newFileSystem(uri,
          env("create", "true", "size", "2M", "type", type)).close());
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void createThroughTheProviderWithAHostPathOnTheDefaultFileSystem(String type)
      throws IOException {
    Path image = dir.resolve("disk.img"); // no .vhd suffix needed
    try (FileSystem fs = createOnHost(image, env("create", "true", "size", "3146240",
        "type", type))) {
      assertEquals("vhd", fs.provider().getScheme());
      assertEquals(3_168_256, Files.size(fs.getPath("/disk")));
      assertEquals(type, Files.getAttribute(fs.getPath("/disk"), "vhd:diskType"));
    }
    assertLayout(image, type, 3_168_256, 2 * (int) MIB);
  }

  @ParameterizedTest(name = "{0} blockSize={1}")
  @MethodSource("jimfsCases")
  void createOnJimfsAndReadItBackHereAndInQemu(String type, String blockSize) throws IOException {
    long expected = 67_125_248;
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/vm/new disk.bin");
      Files.createDirectories(hosted.getParent());
      Map<String, Object> env = env("create", "true", "size", "64M", "type", type);
      if (blockSize != null) {
        env.put("blockSize", blockSize);
      }
      try (FileSystem fs = createOnHost(hosted, env)) {
        Path disk = fs.getPath("/disk");
        assertEquals(expected, Files.size(disk));
        assertAllZero(disk, expected);
      }
      int block = blockSize == null ? 2 * (int) MIB : (int) parseForQemu(blockSize);
      assertLayout(hosted, type, expected, block);
      Path copy = dir.resolve("from-jimfs.vhd");
      Files.copy(hosted, copy);
      Optional<QemuTools> qemu = QemuTools.find();
      PeerRequirement.assumePresent(qemu.isPresent(),
          "layout checked; qemu-img missing (qemu-utils)");
      assertEquals(expected, qemu.get().virtualSize(copy), "qemu-img info of the Jimfs image");
      assertReadsAsZerosInQemu(qemu.get(), copy, expected);
    }
  }

  static Stream<Arguments> jimfsCases() {
    return Stream.of(Arguments.of("dynamic", null), Arguments.of("dynamic", "512K"),
        Arguments.of("dynamic", "4K"), Arguments.of("fixed", null));
  }

  // ---------------------------------------------------------------- layout

  @ParameterizedTest(name = "blockSize={0}")
  @ValueSource(strings = {"default", "4K", "512K", "2M", "8M"})
  void newDynamicImageHasTheContractLayout(String blockSize) throws IOException {
    Path image = dir.resolve("layout.vhd");
    Map<String, Object> env = env("create", "true", "size", "64M");
    int block = 2 * (int) MIB;
    if (!blockSize.equals("default")) {
      env.put("blockSize", blockSize);
      block = (int) parseForQemu(blockSize);
    }
    createViaUri(image, env);
    assertLayout(image, "dynamic", 67_125_248, block);
  }

  @Test
  void newFixedImageHasTheContractLayout() throws IOException {
    Path image = dir.resolve("layout.vhd");
    createViaUri(image, env("create", "true", "size", "64M", "type", "fixed"));
    assertLayout(image, "fixed", 67_125_248, 0);
  }

  @Test
  void everyNewImageGetsItsOwnNonZeroUniqueId() throws IOException {
    UUID previous = null;
    for (String type : List.of("dynamic", "dynamic", "fixed", "fixed")) {
      Path image = Files.createTempDirectory(dir, "id").resolve("a.vhd");
      createViaUri(image, env("create", "true", "size", "1M", "type", type));
      UUID id = ImageLayout.endFooter(image).uniqueId();
      assertNotEquals(new UUID(0, 0), id, "unique id of a new " + type + " image");
      assertNotEquals(previous, id, "two new images got the same unique id");
      previous = id;
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void newImageAttributesDescribeIt(String type) throws IOException {
    Path image = dir.resolve("attrs.vhd");
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image),
        env("create", "true", "size", "64M", "type", type, "blockSize", "512K"))) {
      VhdFileAttributes a = Files.readAttributes(fs.getPath("/disk"), VhdFileAttributes.class);
      assertEquals(type, a.diskType());
      assertEquals(67_125_248, a.size());
      assertEquals(67_125_248, a.currentSize());
      assertEquals(67_125_248, a.originalSize());
      assertEquals(964, a.cylinders());
      assertEquals(8, a.heads());
      assertEquals(17, a.sectorsPerTrack());
      assertEquals(type.equals("fixed") ? 0 : 524_288, a.blockSize());
      assertEquals("vhdf", a.creatorApplication());
      assertEquals("1.0", a.creatorVersion());
      assertEquals("Wi2k", a.creatorHostOs());
      assertEquals(0, a.allocatedBlocks());
      assertFalse(a.savedState());
      assertEquals(ImageLayout.endFooter(image).uniqueId(), a.uniqueId());
      assertEquals(null, a.parentUniqueId());
    }
  }

  /**
   * What the contract fixes for a new image: creator, version, checksums, sizes, and the two
   * layouts (dynamic: copy at 0, header at 512, BAT at 1536 filled with 0xFF, footer right after
   * it; fixed: data then footer, nothing at 0).
   */
  private static void assertLayout(Path image, String type, long size, int blockSize)
      throws IOException {
    Footer end = ImageLayout.endFooter(image);
    assertEquals("conectix", end.cookie(), "cookie");
    assertTrue(end.checksumValid(), "footer checksum: " + end);
    assertEquals(2, end.features(), "features");
    assertEquals(0x00010000, end.formatVersion(), "file format version");
    assertEquals("vhdf", end.creatorApplication(), "creator application");
    assertEquals(0x00010000, end.creatorVersion(), "creator version");
    assertEquals("Wi2k", end.creatorHostOs(), "creator host OS");
    assertEquals(size, end.currentSize(), "current size");
    assertEquals(end.currentSize(), end.originalSize(), "original size == current size");
    assertNotEquals(new UUID(0, 0), end.uniqueId(), "unique id");
    assertEquals(0, end.savedState(), "saved state");
    assertTrue(end.reservedIsZero(), "reserved footer bytes 85..511 are zero");
    if (type.equals("fixed")) {
      assertEquals(2, end.diskType(), "disk type");
      assertEquals(-1L, end.dataOffset(), "fixed data offset is all ones");
      assertEquals(size + 512, Files.size(image), "fixed host file = size + 512");
      assertArrayEquals(new byte[512], HostBytes.read(image, 0, 512),
          "a fixed image has no footer copy at 0 (the data area reads as zeros)");
      return;
    }
    assertEquals(3, end.diskType(), "disk type");
    assertEquals(512, end.dataOffset(), "footer data offset (header position)");
    assertEquals(end, ImageLayout.copyFooter(image), "footer copy at 0 == footer at the end");
    Header h = ImageLayout.header(image);
    assertEquals("cxsparse", h.cookie(), "header cookie");
    assertTrue(h.checksumValid(), "header checksum");
    assertEquals(-1L, h.dataOffset(), "header data offset is all ones");
    assertEquals(1536, h.tableOffset(), "BAT offset");
    assertEquals(0x00010000, h.headerVersion(), "header version");
    assertEquals(blockSize, h.blockSize(), "block size");
    long entries = (size + blockSize - 1) / blockSize;
    assertEquals(entries, h.maxTableEntries(), "max table entries = ceil(size / block size)");
    assertTrue(h.parentFieldsAndReservedAreZero(), "parent fields and reserved header bytes");
    long batBytes = (entries * 4 + 511) / 512 * 512;
    byte[] bat = HostBytes.read(image, 1536, (int) batBytes);
    byte[] ones = new byte[bat.length];
    Arrays.fill(ones, (byte) 0xFF);
    assertArrayEquals(ones, bat, "the BAT and its padding are 0xFF");
    assertEquals(1536 + batBytes + 512, Files.size(image), "end footer right after the BAT");
  }

  // ---------------------------------------------------------------- contents

  static Stream<Arguments> blankImages() {
    return Stream.of(
        Arguments.of("dynamic", "24M", null),
        Arguments.of("dynamic", "24M", "4K"),
        Arguments.of("dynamic", "3146240", "512K"), // short last block
        Arguments.of("fixed", "24M", null),
        Arguments.of("dynamic", "200G", null)); // sampled
  }

  @ParameterizedTest(name = "{0} {1} blockSize={2}")
  @MethodSource("blankImages")
  void newImageReadsAsZerosHereInQemuImgAndInLibvhdi(String type, String size, String blockSize)
      throws IOException {
    Path image = dir.resolve("blank.vhd");
    Map<String, Object> env = env("create", "true", "size", size, "type", type);
    if (blockSize != null) {
      env.put("blockSize", blockSize);
    }
    long diskSize;
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image), env)) {
      Path disk = fs.getPath("/disk");
      diskSize = Files.size(disk);
      assertAllZero(disk, diskSize);
    }
    Optional<QemuTools> qemu = QemuTools.find();
    Optional<Libvhdi> libvhdi = Libvhdi.find();
    if (qemu.isPresent()) {
      assertEquals(diskSize, qemu.get().virtualSize(image), "qemu-img info virtual size");
      assertReadsAsZerosInQemu(qemu.get(), image, diskSize);
    }
    if (libvhdi.isPresent()) {
      List<Window> windows = diskSize <= 64 * MIB ? Libvhdi.chunks(diskSize, MIB)
          : List.of(new Window(0, MIB), new Window(diskSize / 2 + 1536, MIB),
              new Window(diskSize - MIB, MIB));
      Libvhdi.Reading r = libvhdi.get().read(image, windows, dir);
      assertEquals(diskSize, r.mediaSize(), "libvhdi media size");
      Path zeros = sparseZeros(diskSize);
      try (FileChannel raw = FileChannel.open(zeros)) {
        assertEquals(Libvhdi.hashes(raw, windows), r.lines(), "libvhdi: hashes of the windows");
      }
    }
    PeerRequirement.assumePresent(qemu.isPresent(),
        "qemu-img missing (qemu-utils): checked the rest");
    PeerRequirement.assumePresent(libvhdi.isPresent(), Libvhdi.MISSING + " (checked the rest)");
  }

  @Test
  void fixedImageOf100GiBIsCreatedSparse() throws IOException {
    requireBigFixedIsSafe("fixed", 100 * GIB); // a 1 GiB image that is not sparse fails here
    Path image = dir.resolve("big-fixed.vhd");
    assertEquals(100 * GIB, createViaUri(image,
        env("create", "true", "size", "100G", "type", "fixed", "exactSize", "true")));
    assertEquals(100 * GIB + 512, Files.size(image));
    long allocated = QemuTools.allocatedBytes(image);
    assertTrue(allocated <= MIB, "a new 100 GiB fixed image occupies " + allocated
        + " bytes on the host; its data area must be a hole");
    assertEquals(2, ImageLayout.endFooter(image).diskType());
  }

  private void assertReadsAsZerosInQemu(QemuTools qemu, Path image, long size)
      throws IOException {
    Path zeros = sparseZeros(size);
    Exit exit = qemu.compare(image, zeros);
    assertEquals(0, exit.code(), "qemu-img compare of a new image with zeros: " + exit.describe());
    qemu.check(image).ifPresent(check ->
        assertEquals(0, check.code(), "qemu-img check: " + check.describe()));
    if (ImageLayout.endFooter(image).diskType() == 3) {
      for (QemuTools.Extent e : qemu.map(image)) {
        assertFalse(e.data(), "qemu-img map shows allocated data in a new dynamic image: " + e);
      }
    }
  }

  private static void assertAllZero(Path disk, long size) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      FileChannel fc = (FileChannel) ch;
      ByteBuffer buf = ByteBuffer.allocate((int) MIB);
      byte[] zeros = new byte[(int) MIB];
      long[] starts = size <= 64 * MIB ? null
          : new long[] {0, size / 2 + 1536, size - MIB};
      if (starts == null) {
        for (long at = 0; at < size; at += MIB) {
          assertZeroChunk(fc, buf, zeros, at, (int) Math.min(MIB, size - at));
        }
      } else {
        for (long at : starts) {
          assertZeroChunk(fc, buf, zeros, at, (int) MIB);
        }
      }
      assertEquals(-1, fc.read(ByteBuffer.allocate(1), size), "read at the end of a new disk");
    }
  }

  private static void assertZeroChunk(FileChannel ch, ByteBuffer buf, byte[] zeros, long at,
      int length) throws IOException {
    buf.clear().limit(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, at + buf.position()) < 0) {
        fail("new disk ended at " + (at + buf.position()));
      }
    }
    int mismatch = Arrays.mismatch(buf.array(), 0, length, zeros, 0, length);
    assertEquals(-1, mismatch, "new disk has a non-zero byte at " + (at + mismatch));
  }

  // ---------------------------------------------------------------- sparse probing

  /** Host bytes of the 1 GiB fixed probe image, once measured. */
  private static volatile Long probeAllocated;

  /**
   * Before any fixed image of several GiB is made: one of 1 GiB must have come out sparse, so a
   * library that writes the data area cannot fill the host's disk. A probe that is not sparse is
   * the defect {@link #fixedImageOf100GiBIsCreatedSparse} is about, so it fails every big fixed
   * case. Only where the host cannot show sparseness at all are they skipped.
   */
  private void requireBigFixedIsSafe(String type, long size) throws IOException {
    if (!type.equals("fixed") || size < BIG_FIXED) {
      return;
    }
    assumeSparseFilesAreMeasurable();
    if (probeAllocated == null) {
      Path probe = Files.createTempDirectory(dir, "probe").resolve("probe.vhd");
      createViaUri(probe, env("create", "true", "size", "1G", "type", "fixed"));
      probeAllocated = QemuTools.allocatedBytes(probe);
      Files.delete(probe);
    }
    assertTrue(probeAllocated <= MIB, "a new 1 GiB fixed image occupies " + probeAllocated
        + " bytes on the host, so its data area is not a hole: not creating a " + size
        + "-byte fixed image");
  }

  private static volatile Boolean sparseMeasurable;

  /**
   * {@code stat -c %b} exists (a measuring tool: required where peers are) and shows a 1 GiB hole
   * as (almost) nothing; a temp directory whose file system keeps no holes skips the test.
   */
  private void assumeSparseFilesAreMeasurable() throws IOException {
    QemuTools.requireOnPath("stat", "it measures the bytes a sparse file occupies");
    if (sparseMeasurable == null) {
      Path hole = Files.createTempFile(dir, "hole", ".raw");
      try (RandomAccessFile f = new RandomAccessFile(hole.toFile(), "rw")) {
        f.setLength(GIB);
      }
      sparseMeasurable = QemuTools.allocatedBytes(hole) <= MIB;
      Files.delete(hole);
    }
    Assumptions.assumeTrue(sparseMeasurable, "the temp directory's file system does not keep "
        + "holes, so sparse files cannot be told apart");
  }

  /** Bytes the host file system allocated to {@code file}, from {@code stat -c %b} (512-byte units). */
  /** A file of {@code size} zero bytes that occupies nothing. */
  private Path sparseZeros(long size) throws IOException {
    Path raw = Files.createTempFile(dir, "zeros", ".raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(size);
    }
    return raw;
  }

  // ---------------------------------------------------------------- plumbing

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toUri().getRawPath());
  }

  /** Creates through {@code FileSystems.newFileSystem(uri, env)}; returns Files.size(/disk). */
  private static long createViaUri(Path image, Map<String, ?> env) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image), env)) {
      return Files.size(fs.getPath("/disk"));
    }
  }

  /**
   * Creates on a host path through the vhd provider itself, as the provider javadoc advises:
   * {@code FileSystems.newFileSystem(hostPath, env)} would ask the JDK's zip provider first, which
   * has its own {@code create} key and makes a zip.
   */
  private static FileSystem createOnHost(Path hostPath, Map<String, ?> env) throws IOException {
    return vhdProvider().newFileSystem(hostPath, env);
  }

  private static FileSystemProvider vhdProvider() {
    for (FileSystemProvider p : FileSystemProvider.installedProviders()) {
      if (p.getScheme().equals("vhd")) {
        return p;
      }
    }
    throw new AssertionError("the vhd provider is not installed");
  }

  private static Map<String, Object> env(String... keysAndValues) {
    Map<String, Object> env = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      env.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return env;
  }

  private static void assertMentions(Exception e, String key) {
    assertTrue(e.getMessage() != null && e.getMessage().contains(key),
        "the message should name '" + key + "': " + e);
  }

  private static String hex(int value) {
    return String.format("%08x", value);
  }
}
