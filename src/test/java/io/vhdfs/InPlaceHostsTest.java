package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.disk.InPlaceUpdates;
import io.vhdfs.nio.VhdFileSystemProvider;
import io.vhdfs.testing.ForwardingHostFileSystem;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hosts that cannot update a file in place (zip, a provider that only streams) keep the image
 * byte for byte: reads work, a write open is refused with the reason, and nothing is written;
 * hosts that can (Jimfs, the default file system) write, and the probe leaves nothing behind.
 */
class InPlaceHostsTest {
  private static final VhdFileSystemProvider PROVIDER = new VhdFileSystemProvider();

  @TempDir Path dir;

  /** A 4 MiB dynamic image holding 0x3c in its first 4 KiB, as bytes. */
  private byte[] imageBytes() throws IOException {
    Path image = dir.resolve("made.vhd");
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    try (FileSystem fs = FileSystems.newFileSystem(uri,
            Map.of("create", "true", "size", "4M", "exactSize", "true"));
        SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/disk"),
            StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(filled(4096, 0x3c)));
    }
    return Files.readAllBytes(image);
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  private Path zipHolding(byte[] image) throws IOException {
    Path zip = dir.resolve("images.zip");
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
      Files.write(z.getPath("/demo.vhd"), image);
    }
    return zip;
  }

  private static byte[] zipEntry(Path zip, String name) throws IOException {
    try (ZipFile z = new ZipFile(zip.toFile())) {
      ZipEntry e = z.getEntry(name);
      try (InputStream in = z.getInputStream(e)) {
        return in.readAllBytes();
      }
    }
  }

  private static byte[] read(Path disk, long at, int n) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      ByteBuffer b = ByteBuffer.allocate(n);
      ch.position(at);
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // fill
      }
      return b.array();
    }
  }

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
    }
  }

  @Test
  void zipHostedImageRefusesWriteOpenAndKeepsItsEntry() throws IOException {
    byte[] image = imageBytes();
    Path zip = zipHolding(image);
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of());
        FileSystem vhd = FileSystems.newFileSystem(z.getPath("/demo.vhd"), Map.of())) {
      Path disk = vhd.getPath("/disk");
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> Files.newByteChannel(disk, StandardOpenOption.READ, StandardOpenOption.WRITE));
      assertTrue(e.getMessage().contains("cannot update a file in place"), e.getMessage());
      assertArrayEquals(filled(4096, 0x3c), read(disk, 0, 4096), "reads still work");
      assertArrayEquals(image, Files.readAllBytes(z.getPath("/demo.vhd")));
      try (Stream<Path> entries = Files.list(z.getPath("/"))) {
        assertEquals(List.of("/demo.vhd"), entries.map(Path::toString).toList(),
            "the probe left a scratch entry behind");
      }
    }
    assertArrayEquals(image, zipEntry(zip, "demo.vhd"), "the zip entry changed");
  }

  @Test
  void zipHostedImageWithAccessModeReadWriteFailsAtNewFileSystem() throws IOException {
    byte[] image = imageBytes();
    Path zip = zipHolding(image);
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of())) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> FileSystems.newFileSystem(z.getPath("/demo.vhd"),
              Map.of("accessMode", "readWrite")));
      assertTrue(e.getMessage().contains("cannot update a file in place"), e.getMessage());
    }
    assertArrayEquals(image, zipEntry(zip, "demo.vhd"));
  }

  @Test
  void streamOnlyHostRefusesWritesAndReadsFailAsIoException() throws IOException {
    byte[] image = imageBytes();
    try (FileSystem mem = Jimfs.newFileSystem(Configuration.unix())) {
      Path held = mem.getPath("/demo.vhd");
      Files.write(held, image);
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(mem);
      host.setStreamOnly(true);
      Path wrapped = host.wrap(held);
      // Opening needs the footer at the end: a host that only streams from the start cannot
      // give it, and says so as an IOException, not an exception a caller cannot expect.
      IOException open = assertThrows(IOException.class,
          () -> PROVIDER.newFileSystem(wrapped, Map.of()));
      assertTrue(open.getMessage().contains("cannot seek"), open.getMessage());
      // The write check a writable channel makes first, probed on a scratch file beside it.
      FileSystemException write = assertThrows(FileSystemException.class,
          () -> InPlaceUpdates.require(wrapped));
      assertTrue(write.getMessage().contains("cannot update a file in place")
          && write.getMessage().contains("left it 0 bytes long"), write.getMessage());
      assertArrayEquals(image, Files.readAllBytes(held), "the stream-only host's file changed");
      assertEquals(List.of("/demo.vhd"), filesIn(mem.getPath("/")));
    }
  }

  @Test
  void jimfsHostedImageWritesInPlaceAndTheProbeLeavesNothing() throws IOException {
    byte[] image = imageBytes();
    try (FileSystem mem = Jimfs.newFileSystem(Configuration.unix())) {
      Path held = mem.getPath("/demo.vhd");
      Files.write(held, image);
      try (FileSystem vhd = PROVIDER.newFileSystem(held, Map.of())) {
        Path disk = vhd.getPath("/disk");
        try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.WRITE)) {
          ch.position(1 << 20);
          ch.write(ByteBuffer.wrap(filled(512, 0x11)));
        }
        assertArrayEquals(filled(512, 0x11), read(disk, 1 << 20, 512));
        assertArrayEquals(filled(4096, 0x3c), read(disk, 0, 4096));
      }
      assertEquals(List.of("/demo.vhd"), filesIn(mem.getPath("/")));
    }
  }

  @Test
  void defaultFileSystemImageWritesInPlaceAndTheProbeLeavesNothing() throws IOException {
    imageBytes();
    Path image = dir.resolve("made.vhd");
    try (FileSystem vhd = FileSystems.newFileSystem(image, Map.of("accessMode", "readWrite"));
        SeekableByteChannel ch = Files.newByteChannel(vhd.getPath("/disk"),
            StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(filled(512, 0x22)));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("made.vhd"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
