package io.vhdfs.nio;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VhdFileSystemProviderTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  /** A 6 MiB dynamic image with data in blocks 0 and 2 (block 1 unallocated). */
  private static VhdImageBuilder sample() {
    return sample(VhdImageBuilder.dynamic(6 * MIB));
  }

  /** {@link #sample()}'s data written into {@code image}, whose block size is already set. */
  private static VhdImageBuilder sample(VhdImageBuilder image) {
    byte[] a = new byte[3 * 512];
    new Random(1).nextBytes(a);
    byte[] b = new byte[MIB];
    new Random(2).nextBytes(b);
    return image.write(4096, a).write(4L * MIB + 512, b.clone())
        .write(2L * MIB - 512, new byte[] {1, 2, 3});
  }

  private Path write(String name, VhdImageBuilder image) throws IOException {
    Path p = dir.resolve(name);
    image.writeTo(p);
    return p;
  }

  private static byte[] readAll(Path disk) throws IOException {
    return Files.readAllBytes(disk);
  }

  @Test
  void providerIsInstalledThroughTheServiceLoader() {
    assertTrue(FileSystemProvider.installedProviders().stream()
        .anyMatch(p -> p instanceof VhdFileSystemProvider && p.getScheme().equals("vhd")));
  }

  @Test
  void pathOfUriReadsTheDiskWithoutNewFileSystem() throws IOException {
    VhdImageBuilder image = sample();
    Path disk = Path.of(uriOf(write("plain.vhd", image)));
    assertEquals("/disk", disk.toString());
    assertEquals(image.expectedVirtualSize(), Files.size(disk));
    assertArrayEquals(image.expectedDisk(), readAll(disk));
    disk.getFileSystem().close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"with space.vhd", "per%cent.vhd", "hash#tag.vhd", "plus+sign.vhd",
      "\u00e4\u00f6\u00fc-\u65e5\u672c.vhd", "semi;colon [1].vhd"})
  void uriRoundTripKeepsSpecialCharacters(String name) throws IOException {
    VhdImageBuilder image = sample();
    Path image0 = write(name, image);
    Path disk = Path.of(uriOf(image0));
    URI uri = disk.toUri();
    assertEquals("vhd", uri.getScheme());
    assertEquals(disk, Path.of(uri));
    assertEquals(image0.toAbsolutePath().toUri().getRawPath(), uri.getRawSchemeSpecificPart());
    assertArrayEquals(image.expectedDisk(), readAll(disk));
    Path root = disk.getRoot();
    assertEquals(root, Path.of(root.toUri()));
    disk.getFileSystem().close();
  }

  @Test
  void twoSpellingsOfOneImageShareAFileSystem() throws IOException {
    Path image = write("same.vhd", sample());
    Files.createDirectory(dir.resolve("sub"));
    Path other = dir.resolve("sub").resolve("..").resolve("same.vhd");
    Path a = Path.of(uriOf(image));
    Path b = Path.of(URI.create("vhd:" + other.toUri().getRawPath()));
    assertSame(a.getFileSystem(), b.getFileSystem());
    a.getFileSystem().close();
  }

  @Test
  void newFileSystemByUriIsRegisteredAndRefusesADuplicate() throws IOException {
    URI uri = uriOf(write("reg.vhd", sample()));
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
      assertSame(fs, FileSystems.getFileSystem(uri));
      assertSame(fs, Path.of(uri).getFileSystem());
      assertThrows(FileSystemAlreadyExistsException.class,
          () -> FileSystems.newFileSystem(uri, Map.of()));
    }
    assertThrows(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
  }

  @Test
  void getFileSystemOfAnUnknownImageIsNotFound() {
    assertThrows(FileSystemNotFoundException.class,
        () -> FileSystems.getFileSystem(uriOf(dir.resolve("never.vhd"))));
  }

  @Test
  void newFileSystemByUriValidatesTheImage() throws IOException {
    Path noise = dir.resolve("noise.vhd");
    Files.write(noise, new byte[4096]);
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> FileSystems.newFileSystem(uriOf(noise), Map.of()));
    assertTrue(e.getMessage().contains("noise.vhd"), e.getMessage());
    assertThrows(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uriOf(noise)));
  }

  @Test
  void newFileSystemByPathIsUnregisteredAndWorksOnJimfs() throws IOException {
    VhdImageBuilder image = sample();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path host = jimfs.getPath("/images/j.vhd");
      Files.createDirectories(host.getParent());
      image.writeTo(host);
      try (FileSystem a = FileSystems.newFileSystem(host, Map.of());
          FileSystem b = FileSystems.newFileSystem(host, Map.of())) {
        assertNotSame(a, b);
        assertArrayEquals(image.expectedDisk(), readAll(a.getPath("/disk")));
        assertArrayEquals(image.expectedDisk(), readAll(b.getPath("disk")));
        assertEquals("vhd", a.provider().getScheme());
      }
    }
  }

  @Test
  void imageInsideAZipIsReadThroughAPlainSeekableByteChannel() throws IOException {
    // zipfs hands out SeekableByteChannels that are not FileChannels: reads must seek and read.
    VhdImageBuilder image = sample();
    Path zip = dir.resolve("images.zip");
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
      image.writeTo(z.getPath("/in-zip.vhd"));
    }
    try (FileSystem z = FileSystems.newFileSystem(zip);
        FileSystem fs = FileSystems.newFileSystem(z.getPath("/in-zip.vhd"), Map.of())) {
      try (SeekableByteChannel host = Files.newByteChannel(z.getPath("/in-zip.vhd"))) {
        assertFalse(host instanceof FileChannel);
      }
      assertArrayEquals(image.expectedDisk(), readAll(fs.getPath("/disk")));
    }
  }

  @Test
  void nestedUriNamesAnImageOnAnotherProvider() throws IOException {
    VhdImageBuilder image = sample();
    try (FileSystem jimfs = Jimfs.newFileSystem("nested", Configuration.unix())) {
      Path host = jimfs.getPath("/n.vhd");
      image.writeTo(host);
      Path disk = Path.of(URI.create("vhd:" + host.toUri()));
      assertArrayEquals(image.expectedDisk(), readAll(disk));
      assertEquals(disk, Path.of(disk.toUri()));
      disk.getFileSystem().close();
    }
  }

  @Test
  void newFileSystemByPathLeavesOtherFilesToOtherProviders() throws IOException {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "hello, not a disk".repeat(100));
    assertThrows(UnsupportedOperationException.class,
        () -> new VhdFileSystemProvider().newFileSystem(text, Map.of()));
    assertThrows(UnsupportedOperationException.class,
        () -> new VhdFileSystemProvider().newFileSystem(dir, Map.of()));
    // A zip must still reach the JDK's zip provider through the generic call.
    Path zip = dir.resolve("a.zip");
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
      Files.writeString(z.getPath("x.txt"), "x");
    }
    try (FileSystem z = FileSystems.newFileSystem(zip)) {
      assertEquals("jar", z.provider().getScheme());
    }
  }

  @Test
  void newFileSystemByPathRefusesAMalformedVhdWithItsReason() throws IOException {
    Path image = write("bad.vhd", sample());
    byte[] bytes = Files.readAllBytes(image);
    bytes[bytes.length - 512 + 100] ^= 1; // end footer checksum
    bytes[100] ^= 1; // and the copy at 0
    Files.write(image, bytes);
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> FileSystems.newFileSystem(image, Map.of()));
    assertTrue(e.getMessage().contains("footer checksum"), e.getMessage());
  }

  @Test
  void rootDirectoryHoldsOnlyTheDisk() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(write("tree.vhd", sample()), Map.of())) {
      Path root = fs.getPath("/");
      assertTrue(Files.isDirectory(root));
      assertTrue(Files.isRegularFile(fs.getPath("/disk")));
      try (Stream<Path> s = Files.list(root)) {
        assertEquals(List.of(fs.getPath("/disk")), s.collect(Collectors.toList()));
      }
      assertFalse(Files.exists(fs.getPath("/other")));
      assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(fs.getPath("/other")));
      assertThrows(FileSystemException.class, () -> Files.newByteChannel(root));
      assertEquals(List.of(root), fs.getRootDirectories());
      assertEquals(6L * MIB, fs.getFileStores().iterator().next().getTotalSpace());
      assertFalse(fs.isReadOnly(), "the image file is writable");
    }
  }

  @Test
  void attributesDescribeTheImage() throws IOException {
    VhdImageBuilder image =
        sample(VhdImageBuilder.dynamic(6 * MIB).creator("win ").blockSize(512 * 1024));
    try (FileSystem fs = FileSystems.newFileSystem(write("attrs.vhd", image), Map.of())) {
      Path disk = fs.getPath("/disk");
      VhdFileAttributes a = Files.readAttributes(disk, VhdFileAttributes.class);
      assertEquals("dynamic", a.diskType());
      assertEquals(6L * MIB, a.size());
      assertEquals(6L * MIB, a.currentSize());
      assertEquals(512 * 1024, a.blockSize());
      assertEquals(image.uniqueId(), a.uniqueId());
      assertEquals("win ", a.creatorApplication());
      assertEquals(5, a.allocatedBlocks()); // 512 KiB blocks 0, 3, 8, 9 and 10: see sample()
      assertNull(a.parentUniqueId());
      BasicFileAttributes basic = Files.readAttributes(disk, BasicFileAttributes.class);
      assertEquals(6L * MIB, basic.size());
      assertEquals(Files.getLastModifiedTime(dir.resolve("attrs.vhd")), basic.lastModifiedTime());
      Map<String, Object> all = Files.readAttributes(disk, "vhd:*");
      assertEquals("dynamic", all.get("diskType"));
      assertEquals(512 * 1024, all.get("blockSize"));
      assertEquals(Map.of("size", 6L * MIB, "diskType", "dynamic"),
          Files.readAttributes(disk, "vhd:size,diskType"));
      assertThrows(UnsupportedOperationException.class,
          () -> Files.readAttributes(disk, "posix:*"));
      assertThrows(IllegalArgumentException.class, () -> Files.readAttributes(disk, "vhd:nosuch"));
      assertNull(Files.getFileAttributeView(disk, PosixFileAttributeView.class));
      assertEquals("vhd", Files.getFileAttributeView(disk, VhdFileAttributeView.class).name());
    }
  }

  @Test
  void autoCreatedFileSystemHoldsTheHostFileOnlyWhileChannelsAreOpen() throws IOException {
    Path image = write("handles.vhd", sample());
    Path disk = Path.of(uriOf(image));
    VhdFileSystem fs = (VhdFileSystem) disk.getFileSystem();
    assertFalse(fs.holdsHostFile());
    assertEquals(0, openDescriptorsOn(image));
    Files.size(disk);
    assertFalse(fs.holdsHostFile());
    try (SeekableByteChannel a = Files.newByteChannel(disk);
        FileChannel b = FileChannel.open(disk)) {
      assertTrue(fs.holdsHostFile());
      assertSame(a.getClass(), b.getClass());
      // One host handle shared by both channels, and one that holds QEMU's image locks.
      assertTrue(openDescriptorsOn(image) <= 2, "one host handle shared by both channels");
    }
    assertFalse(fs.holdsHostFile());
    assertEquals(0, openDescriptorsOn(image));
    for (int i = 0; i < 1000; i++) {
      try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
        ch.read(ByteBuffer.allocate(512));
      }
    }
    assertEquals(0, fs.openChannels());
    assertEquals(0, openDescriptorsOn(image));
    fs.close();
  }

  /** Linux: how many of this process's descriptors point at the file (0 where /proc is absent). */
  private static long openDescriptorsOn(Path file) throws IOException {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) {
      return 0;
    }
    Path real = file.toRealPath();
    try (Stream<Path> s = Files.list(fds)) {
      return s.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).equals(real);
        } catch (IOException e) {
          return false; // the descriptor closed while we looked
        }
      }).count();
    }
  }

  @Test
  void closingTheFileSystemClosesItsChannels() throws IOException {
    URI uri = uriOf(write("close.vhd", sample()));
    FileSystem fs = FileSystems.newFileSystem(uri, Map.of());
    Path disk = fs.getPath("/disk");
    SeekableByteChannel a = Files.newByteChannel(disk);
    SeekableByteChannel b = Files.newByteChannel(disk);
    fs.close();
    assertFalse(fs.isOpen());
    assertFalse(a.isOpen());
    assertFalse(b.isOpen());
    assertThrows(ClosedChannelException.class, () -> a.read(ByteBuffer.allocate(1)));
    assertThrows(ClosedFileSystemException.class, () -> Files.size(disk));
    assertThrows(ClosedFileSystemException.class, () -> Files.newByteChannel(disk));
    assertThrows(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
    fs.close(); // a second close is harmless
    Path again = Path.of(uri);
    assertNotSame(fs, again.getFileSystem());
    assertEquals(6L * MIB, Files.size(again));
    again.getFileSystem().close();
  }

  @Test
  void foreignPathsAreAProviderMismatch() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(write("foreign.vhd", sample()), Map.of())) {
      Path disk = fs.getPath("/disk");
      Path local = dir.resolve("x");
      assertThrows(ProviderMismatchException.class,
          () -> fs.provider().newByteChannel(local, Set.of(StandardOpenOption.READ)));
      assertThrows(ProviderMismatchException.class, () -> disk.resolve(local));
      assertThrows(ProviderMismatchException.class, () -> fs.provider().checkAccess(local));
    }
  }

  @Test
  void appendIsRefusedBecauseADiskCannotGrow() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(write("append.vhd", sample()), Map.of())) {
      Path disk = fs.getPath("/disk");
      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
          () -> Files.newByteChannel(disk, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
      assertTrue(e.getMessage().contains("APPEND"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> Files.newByteChannel(disk, StandardOpenOption.READ, StandardOpenOption.APPEND));
    }
  }

  @Test
  void attributesCountBlocksAllocatedByWritesAfterTheLastChannelCloses() throws IOException {
    Path image = write("count.vhd", VhdImageBuilder.dynamic(6 * MIB));
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try {
      assertEquals(0L, Files.getAttribute(disk, "vhd:allocatedBlocks"));
      try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {7}));
        assertEquals(1L, Files.getAttribute(disk, "vhd:allocatedBlocks"), "live while open");
      }
      assertEquals(1L, Files.getAttribute(disk, "vhd:allocatedBlocks"), "after the close");
    } finally {
      disk.getFileSystem().close();
    }
  }

  /**
   * A registered and an unregistered file system on one image write through one disk: had each
   * its own block table, both would put their new block at the same end of the file.
   */
  @Test
  void twoFileSystemsOnOneImageShareItsDisk() throws IOException {
    Path image = write("shared.vhd", VhdImageBuilder.dynamic(6 * MIB));
    Path viaUri = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    try (FileSystem other = FileSystems.newFileSystem(image, Map.of());
        FileChannel a = FileChannel.open(viaUri, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel b = FileChannel.open(other.getPath("/disk"), StandardOpenOption.WRITE)) {
      a.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 100);
      b.write(ByteBuffer.wrap(new byte[] {4, 5, 6}), 200);
      ByteBuffer got = ByteBuffer.allocate(3);
      a.read(got, 200);
      assertArrayEquals(new byte[] {4, 5, 6}, got.array(), "a write through the other file system");
    } finally {
      viaUri.getFileSystem().close();
    }
    byte[] expected = new byte[6 * MIB];
    expected[100] = 1;
    expected[101] = 2;
    expected[102] = 3;
    expected[200] = 4;
    expected[201] = 5;
    expected[202] = 6;
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertArrayEquals(expected, readAll(fs.getPath("/disk")));
      assertEquals(1L, Files.getAttribute(fs.getPath("/disk"), "vhd:allocatedBlocks"));
    }
  }

  /** Its default options include CREATE and TRUNCATE_EXISTING, which a disk ignores. */
  @Test
  void newOutputStreamOverwritesTheDiskFromTheStart() throws IOException {
    VhdImageBuilder image = sample();
    try (FileSystem fs = FileSystems.newFileSystem(write("stream.vhd", image), Map.of())) {
      Path disk = fs.getPath("/disk");
      byte[] head = "written through an output stream".getBytes(StandardCharsets.US_ASCII);
      try (OutputStream out = Files.newOutputStream(disk)) {
        out.write(head);
      }
      byte[] expected = image.expectedDisk();
      System.arraycopy(head, 0, expected, 0, head.length);
      assertArrayEquals(expected, readAll(disk));
      assertThrows(FileAlreadyExistsException.class, () -> Files.newByteChannel(disk,
          StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW));
    }
  }

  @Test
  void differencingImageReadsThroughItsParent() throws IOException {
    VhdImageBuilder parent = VhdImageBuilder.dynamic(4 * MIB);
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "parent.vhd")
        .write(0, "child data".getBytes(UTF_8));
    write("parent.vhd", parent);
    Path image = write("child.vhd", child);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      Path disk = fs.getPath("/disk");
      VhdFileAttributes a = Files.readAttributes(disk, VhdFileAttributes.class);
      assertEquals("differencing", a.diskType());
      assertEquals(parent.uniqueId(), a.parentUniqueId());
      assertEquals(dir.resolve("parent.vhd").toRealPath().toString(), a.parentPath());
      assertArrayEquals(child.expectedContent(0, (int) child.expectedVirtualSize()),
          Files.readAllBytes(disk));
    }
  }

  @Test
  void sizeRuleFollowsTheCreatorAndCanBeOverridden() throws IOException {
    // Virtual PC writes the spec's floor geometry: 60/4/17 = 4080 sectors for a 2 MiB disk.
    long chs = 60L * 4 * 17 * 512;
    Path vpc = write("vpc.vhd", VhdImageBuilder.dynamic(2 * MIB).creator("vpc ").geometry(60, 4, 17));
    Path win = write("win.vhd", VhdImageBuilder.dynamic(2 * MIB).creator("win ").geometry(60, 4, 17));
    Path max = write("max.vhd", VhdImageBuilder.dynamic(2 * MIB).creator("vpc ").geometry(65535, 16, 255));
    assertEquals(chs, sizeOf(vpc, Map.of()));
    assertEquals(2L * MIB, sizeOf(vpc, Map.of("sizeFrom", "currentSize")));
    assertEquals(2L * MIB, sizeOf(win, Map.of()));
    assertEquals(chs, sizeOf(win, Map.of("sizeFrom", "chs")));
    assertEquals(2L * MIB, sizeOf(max, Map.of("sizeFrom", "chs")));
  }

  @Test
  void geometryTheImageCannotHoldFallsBackToTheCurrentSize() throws IOException {
    // Old qemu-img wrote a rounded-up CHS over an unrounded size: 61/4/17 is 2,123,776 bytes.
    Path fixed = write("oldqemu.vhd", VhdImageBuilder.fixed(2 * MIB).creator("qemu").geometry(61, 4, 17));
    assertEquals(2L * MIB, sizeOf(fixed, Map.of()));
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> sizeOf(fixed, Map.of("sizeFrom", "chs")));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  private static long sizeOf(Path image, Map<String, ?> env) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image, env)) {
      Path disk = fs.getPath("/disk");
      assertEquals(Files.size(disk), Files.readAllBytes(disk).length);
      return Files.size(disk);
    }
  }

  @Test
  void badEnvValuesNameTheirKey() throws IOException {
    Path image = write("env.vhd", sample());
    for (Map<String, ?> env : List.of(Map.of("sizeFrom", "cylinders"), Map.of("blockSize", "3"),
        Map.of("accessMode", "sometimes"), Map.of("exactSize", "maybe"), Map.of("size", "12Q"),
        Map.of("type", "sparse"))) {
      String key = env.keySet().iterator().next();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FileSystems.newFileSystem(image, env));
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("unknownKey", "ignored",
        "sizeFrom", "CHS", "accessMode", "readOnly"))) {
      assertTrue(fs.isOpen());
    }
  }

  @Test
  void missingImageReadsAsAMissingFile() throws IOException {
    Path disk = Path.of(uriOf(dir.resolve("missing.vhd")));
    assertFalse(Files.exists(disk));
    assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(disk));
    disk.getFileSystem().close();
  }

  @Test
  void inputStreamAndCopyWorkThroughTheDefaultMethods() throws IOException {
    VhdImageBuilder image = sample();
    Path disk = Path.of(uriOf(write("copy.vhd", image)));
    Path raw = dir.resolve("copy.raw");
    Files.copy(disk, raw);
    assertArrayEquals(image.expectedDisk(), Files.readAllBytes(raw));
    disk.getFileSystem().close();
  }

  @Test
  void pathAlgebraFollowsUnixRules() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(write("paths.vhd", sample()), Map.of())) {
      Path disk = fs.getPath("/disk");
      Path root = fs.getPath("/");
      assertEquals(root, disk.getParent());
      assertEquals(fs.getPath("disk"), disk.getFileName());
      assertNull(root.getFileName());
      assertNull(root.getParent());
      assertEquals(disk, root.resolve("disk"));
      assertEquals(fs.getPath("disk"), root.relativize(disk));
      assertEquals(disk, fs.getPath("/a/../disk").normalize());
      assertEquals(disk, fs.getPath("//disk/"));
      assertEquals(disk, fs.getPath("disk").toAbsolutePath());
      assertEquals(disk, fs.getPath("/", "disk"));
      assertTrue(disk.startsWith(root));
      assertTrue(disk.endsWith("disk"));
      assertEquals(1, disk.getNameCount());
      assertEquals(disk, disk.toRealPath());
      assertTrue(fs.getPathMatcher("glob:/d*").matches(disk));
      assertTrue(fs.getPathMatcher("glob:**/{disk,p1}").matches(disk));
      assertFalse(fs.getPathMatcher("glob:/x?").matches(disk));
      assertTrue(fs.getPathMatcher("regex:/d.sk").matches(disk));
      assertTrue(Files.isSameFile(disk, fs.getPath("/x/../disk")));
      assertThrows(UnsupportedOperationException.class, disk::toFile);
    }
  }

  @Test
  void fixedImageReadsStraightThrough() throws IOException {
    byte[] data = new byte[70_000];
    new Random(3).nextBytes(data);
    VhdImageBuilder image = VhdImageBuilder.fixed(3 * MIB).write(12_345, data);
    Path disk = Path.of(uriOf(write("fixed.vhd", image)));
    assertEquals(3L * MIB, Files.size(disk));
    assertArrayEquals(image.expectedDisk(), readAll(disk));
    assertInstanceOf(FileChannel.class, Files.newByteChannel(disk)).close();
    disk.getFileSystem().close();
  }
}
