package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Access modes (issue 3 item 4; decided behaviour in the contract): {@code accessMode=
 * readOnly}, a host file the process may not write, and the default (read-write where the host
 * file is writable). Read-only use must leave the host file as it was: same bytes, same
 * modification time, and never opened for writing.
 *
 * <p>Hosts are wrapped in a {@link ForwardingHostFileSystem}, which counts write opens and host
 * writes and can play a read-only host (file modes cannot, when the tests run as root). Host files
 * get an old modification time before each test, so any write would visibly move it.
 */
final class AccessModeTest {
  private static final int KIB = 1024;
  private static final long MIB = 1L << 20;
  private static final FileTime OLD = FileTime.from(Instant.parse("2021-06-01T00:00:00Z"));

  @TempDir Path tempDir;
  private FileSystem jimfs;
  private final List<FileSystem> toClose = new ArrayList<>();

  @BeforeEach
  void makeJimfs() {
    jimfs = Jimfs.newFileSystem(Configuration.unix());
  }

  @AfterEach
  void closeAll() throws IOException {
    for (FileSystem fs : toClose) {
      fs.close();
    }
    jimfs.close();
  }

  // ------------------------------------------------------------------ accessMode=readOnly

  @Test
  void readOnlyModeRefusesWriteOpensWithReadOnlyFileSystemException() throws IOException {
    Image img = Image.built(VhdImageBuilder.dynamic(4 * MIB).blockSize(512 * KIB),
        jimfs.getPath("/ro.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    FileSystem vhd = open(host.wrap(img.path), Map.of("accessMode", "readOnly"));
    Path disk = vhd.getPath("/disk");

    assertTrue(vhd.isReadOnly());
    for (Executable writeOpen : writeOpens(disk)) {
      assertThrows(ReadOnlyFileSystemException.class, writeOpen);
    }
    assertThrows(AccessDeniedException.class,
        () -> disk.getFileSystem().provider().checkAccess(disk, AccessMode.WRITE));
    assertFalse(Files.isWritable(disk));
    assertTrue(Files.isReadable(disk));
    assertArrayEquals(img.expected, Files.readAllBytes(disk));

    vhd.close();
    assertEquals(0, host.log().writeOpens(), "host opens for writing");
    assertEquals(0, host.log().mutationCount(), "host writes");
    img.assertUntouched();
  }

  /** The registered route: {@code newFileSystem(vhd: URI, accessMode=readOnly)} on disk. */
  @Test
  void readOnlyModeThroughUriRefusesWritesAndLeavesTheFileUntouched() throws IOException {
    Image img = Image.built(VhdImageBuilder.dynamic(4 * MIB).blockSize(512 * KIB),
        tempDir.resolve("uri ro.vhd"));
    URI uri = URI.create("vhd:" + img.path.toUri().getRawPath());
    try (FileSystem vhd = FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly"))) {
      Path disk = Path.of(uri);
      assertTrue(disk.getFileSystem() == vhd, "Path.of(uri) finds the registered file system");
      assertTrue(vhd.isReadOnly());
      for (Executable writeOpen : writeOpens(disk)) {
        assertThrows(ReadOnlyFileSystemException.class, writeOpen);
      }
      assertThrows(AccessDeniedException.class,
          () -> disk.getFileSystem().provider().checkAccess(disk, AccessMode.WRITE));
      assertArrayEquals(img.expected, Files.readAllBytes(disk));
    }
    img.assertUntouched();
  }

  // ------------------------------------------------------------------ read-only host file

  @Test
  void readOnlyHostGivesReadOnlyDiskWhoseWriteOpensAreAccessDenied() throws IOException {
    Image img = Image.built(VhdImageBuilder.fixed(4 * MIB), jimfs.getPath("/host-ro.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    host.setReadOnly(true);
    FileSystem vhd = open(host.wrap(img.path), Map.of());
    Path disk = vhd.getPath("/disk");

    assertTrue(vhd.isReadOnly());
    for (Executable writeOpen : writeOpens(disk)) {
      assertThrows(AccessDeniedException.class, writeOpen);
    }
    assertThrows(AccessDeniedException.class,
        () -> disk.getFileSystem().provider().checkAccess(disk, AccessMode.WRITE));
    assertFalse(Files.isWritable(disk));
    assertArrayEquals(img.expected, Files.readAllBytes(disk));

    vhd.close();
    assertEquals(0, host.log().mutationCount(), "host writes");
    img.assertUntouched();
  }

  @Test
  void readWriteModeOnReadOnlyHostIsAccessDenied() throws IOException {
    Image img = Image.built(VhdImageBuilder.dynamic(4 * MIB), jimfs.getPath("/rw-on-ro.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    host.setReadOnly(true);
    Path wrapped = host.wrap(img.path);

    assertThrows(AccessDeniedException.class,
        () -> open(wrapped, Map.of("accessMode", "readWrite")));
    assertEquals(0, host.log().mutationCount(), "host writes");
    img.assertUntouched();
  }

  @Test
  void readOnlyModeOnReadOnlyHostOpensAndReads() throws IOException {
    Image img = Image.built(VhdImageBuilder.dynamic(4 * MIB), jimfs.getPath("/ro-on-ro.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    host.setReadOnly(true);
    FileSystem vhd = open(host.wrap(img.path), Map.of("accessMode", "readOnly"));

    assertTrue(vhd.isReadOnly());
    assertArrayEquals(img.expected, Files.readAllBytes(vhd.getPath("/disk")));
    vhd.close();
    img.assertUntouched();
  }

  // ------------------------------------------------------------------ writable host

  @ParameterizedTest(name = "accessMode={0}")
  @ValueSource(strings = {"(default)", "readWrite"})
  void writableHostGivesWritableDisk(String accessMode) throws IOException {
    Image img = Image.built(VhdImageBuilder.dynamic(4 * MIB).blockSize(512 * KIB),
        jimfs.getPath("/rw.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    Map<String, String> env = accessMode.equals("readWrite")
        ? Map.of("accessMode", "readWrite") : Map.of();
    FileSystem vhd = open(host.wrap(img.path), env);
    Path disk = vhd.getPath("/disk");

    assertFalse(vhd.isReadOnly());
    disk.getFileSystem().provider().checkAccess(disk, AccessMode.READ, AccessMode.WRITE);
    assertTrue(Files.isWritable(disk));
    byte[] data = new byte[3000];
    Arrays.fill(data, (byte) 0x6B);
    try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.WRITE)) {
      ByteBuffer src = ByteBuffer.wrap(data);
      ch.position(MIB + 100);
      while (src.hasRemaining()) {
        ch.write(src);
      }
    }
    vhd.close();

    assertTrue(host.log().mutationCount() > 0, "the write reached the host");
    byte[] expected = img.expected.clone();
    System.arraycopy(data, 0, expected, (int) MIB + 100, data.length);
    try (FileSystem again = FileSystems.newFileSystem(img.path, Map.of("accessMode", "readOnly"))) {
      assertArrayEquals(expected, Files.readAllBytes(again.getPath("/disk")));
    }
  }

  // ------------------------------------------------------------------ read-only use

  /** How a test reaches the image without meaning to change it. */
  enum Use {
    /** {@code accessMode=readOnly} on a writable host. */
    READ_ONLY_MODE,
    /** The default mode on a host that refuses writes. */
    READ_ONLY_HOST,
    /** The default mode on a writable host, with read channels only. */
    DEFAULT_MODE_READING
  }

  /** Where the image is made. */
  enum Source {
    BUILT_DYNAMIC, BUILT_FIXED, QEMU_DYNAMIC, QEMU_FIXED
  }

  static Stream<Arguments> readOnlyUses() {
    List<Arguments> out = new ArrayList<>();
    for (Source source : Source.values()) {
      for (String host : List.of("default", "jimfs")) {
        for (Use use : Use.values()) {
          out.add(Arguments.of(source, host, use));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} on {1} host, {2}")
  @MethodSource("readOnlyUses")
  void openReadCloseLeavesHostFileByteIdenticalWithItsModificationTime(Source source,
      String hostName, Use use) throws IOException {
    FileSystem hostFs = hostName.equals("jimfs") ? jimfs : FileSystems.getDefault();
    Path dir = hostName.equals("jimfs") ? jimfs.getPath("/images") : tempDir;
    Files.createDirectories(dir);
    Image img = make(source, dir.resolve("image.vhd"));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(hostFs);
    host.setReadOnly(use == Use.READ_ONLY_HOST);
    Map<String, String> env = use == Use.READ_ONLY_MODE
        ? Map.of("accessMode", "readOnly") : Map.of();

    FileSystem vhd = open(host.wrap(img.path), env);
    Path disk = vhd.getPath("/disk");
    assertEquals(use != Use.DEFAULT_MODE_READING, vhd.isReadOnly(), "isReadOnly");
    assertEquals(img.expected.length, Files.size(disk));
    Files.readAttributes(disk, "vhd:*");
    Files.getLastModifiedTime(disk);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      ByteBuffer all = ByteBuffer.allocate(img.expected.length);
      while (all.hasRemaining() && ch.read(all, all.position()) >= 0) {
        // positional reads to the end
      }
      assertArrayEquals(img.expected, all.array());
    }
    try (InputStream in = Files.newInputStream(disk)) {
      assertArrayEquals(img.expected, in.readAllBytes());
    }
    vhd.close();

    assertEquals(0, host.log().writeOpens(), "host file opened for writing");
    assertEquals(0, host.log().mutationCount(), "host writes");
    img.assertUntouched();
  }

  // ------------------------------------------------------------------ helpers

  /** Every way a write open can be asked for. */
  private static List<Executable> writeOpens(Path disk) {
    return List.of(
        () -> Files.newByteChannel(disk, StandardOpenOption.WRITE).close(),
        () -> Files.newByteChannel(disk, StandardOpenOption.READ, StandardOpenOption.WRITE).close(),
        () -> FileChannel.open(disk, StandardOpenOption.WRITE).close(),
        () -> Files.newOutputStream(disk).close());
  }

  private FileSystem open(Path hostImage, Map<String, ?> env) throws IOException {
    FileSystem fs = FileSystems.newFileSystem(hostImage, env);
    toClose.add(0, fs);
    return fs;
  }

  private Image make(Source source, Path file) throws IOException {
    switch (source) {
      case BUILT_DYNAMIC:
        return Image.built(VhdImageBuilder.dynamic(6 * MIB).blockSize(512 * KIB), file);
      case BUILT_FIXED:
        return Image.built(VhdImageBuilder.fixed(6 * MIB), file);
      default:
        QemuTools qemu = QemuTools.require();
        Path made = tempDir.resolve("qemu-" + source + ".vhd");
        qemu.create(made, 6 * MIB, source == Source.QEMU_FIXED ? "subformat=fixed" : "");
        qemu.write(made, List.of(new Write(0x3C, 1536, 700 * KIB),
            new Write(0xA5, 4 * MIB - 512, 1024)));
        Path raw = tempDir.resolve("qemu-" + source + ".raw");
        qemu.convertToRaw(made, raw);
        if (!made.equals(file)) {
          Files.copy(made, file);
        }
        return Image.of(file, Files.readAllBytes(raw));
    }
  }

  /** An image on its host, what its disk holds, and its bytes and time before the test. */
  private static final class Image {
    final Path path;
    final byte[] expected;
    final byte[] before;
    final FileTime timeBefore;

    private Image(Path path, byte[] expected) throws IOException {
      this.path = path;
      this.expected = expected;
      Files.setLastModifiedTime(path, OLD);
      this.before = Files.readAllBytes(path);
      this.timeBefore = Files.getLastModifiedTime(path);
    }

    static Image of(Path path, byte[] expected) throws IOException {
      return new Image(path, expected);
    }

    /** A builder-made image with data in several blocks, one sector straddling a boundary. */
    static Image built(VhdImageBuilder builder, Path path) throws IOException {
      byte[] a = new byte[5000];
      Arrays.fill(a, (byte) 0x11);
      byte[] b = new byte[1024];
      Arrays.fill(b, (byte) 0x22);
      builder.write(4096, a).write(512 * KIB - 512, b).write(2 * MIB + 7 * 512, a);
      builder.writeTo(path);
      return new Image(path, builder.expectedDisk());
    }

    void assertUntouched() throws IOException {
      assertArrayEquals(before, Files.readAllBytes(path), "host file bytes changed: " + path);
      assertEquals(timeBefore, Files.getLastModifiedTime(path),
          "host file modification time changed: " + path);
    }
  }
}
