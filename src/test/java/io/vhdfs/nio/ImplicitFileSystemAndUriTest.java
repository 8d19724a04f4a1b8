package io.vhdfs.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file system {@code Path.of(uri)} made never stands in the way of an explicit
 * {@code newFileSystem(uri, env)}, and URIs as people write them open the image.
 */
class ImplicitFileSystemAndUriTest {
  private static final long SIZE = 1L << 20;

  @TempDir Path dir;

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  private static Path create(Path image) throws IOException {
    FileSystems.newFileSystem(uriOf(image),
        Map.of("create", "true", "size", "1M", "exactSize", "true")).close();
    return image;
  }

  @Test
  void explicitOptionsAfterPathOfHoldForPathsObtainedBefore() throws IOException {
    URI uri = uriOf(create(dir.resolve("a.vhd")));
    Path disk = Path.of(uri);
    assertTrue(Files.exists(disk));
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly"))) {
      assertSame(fs, disk.getFileSystem(), "the earlier path is on the file system returned");
      assertTrue(fs.isReadOnly());
      assertThrows(ReadOnlyFileSystemException.class,
          () -> Files.newByteChannel(disk, StandardOpenOption.WRITE));
      assertEquals(SIZE, Files.size(disk));
    }
  }

  @Test
  void createAfterPathOfOfAMissingImage() throws IOException {
    Path image = dir.resolve("new.vhd");
    Path disk = Path.of(uriOf(image));
    assertFalse(Files.exists(disk));
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image),
        Map.of("create", "true", "size", "1M", "exactSize", "true"))) {
      assertEquals(SIZE, Files.size(disk));
      assertEquals(SIZE, Files.size(fs.getPath("/disk")));
    }
  }

  @Test
  void parentRootAfterPathOfIsEnforced() throws IOException {
    Files.createDirectories(dir.resolve("parents"));
    Files.createDirectories(dir.resolve("children"));
    Path parent = create(dir.resolve("parents/base.vhd"));
    Path child = dir.resolve("children/top.vhd");
    FileSystems.newFileSystem(uriOf(child), Map.of("create", "true", "type", "differencing",
        "parent", parent.toString())).close();
    Path disk = Path.of(uriOf(child));
    assertEquals(SIZE, Files.size(disk)); // opened with the defaults: no confinement
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> FileSystems.newFileSystem(uriOf(child),
            Map.of("parentRoot", dir.resolve("children").toString())));
    assertTrue(e.getMessage().contains("parentRoot"), e.getMessage());
  }

  @Test
  void openChannelsAreNamedInTheRefusal() throws IOException {
    URI uri = uriOf(create(dir.resolve("busy.vhd")));
    Path disk = Path.of(uri);
    try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.WRITE)) {
      FileSystemAlreadyExistsException e = assertThrows(FileSystemAlreadyExistsException.class,
          () -> FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly")));
      assertTrue(e.getMessage().contains("1 channel(s) open (1 writable)")
          && e.getMessage().contains("close them"), e.getMessage());
      ch.write(ByteBuffer.wrap(new byte[] {1}));
    }
    FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly")).close();
  }

  @Test
  void anExplicitFileSystemIsNotReplaced() throws IOException {
    URI uri = uriOf(create(dir.resolve("once.vhd")));
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
      assertThrows(FileSystemAlreadyExistsException.class,
          () -> FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly")));
      assertSame(fs, Path.of(uri).getFileSystem());
    }
  }

  @Test
  void uriBuiltFromAPathWithSpacesLettersAndHashOpens() throws Exception {
    Files.createDirectories(dir.resolve("my dir"));
    Path image = create(dir.resolve("my dir").resolve("dïsk ü #1.vhd"));
    URI built = new URI("vhd", image.toString(), null);
    URI raw = uriOf(image);
    assertEquals(SIZE, Files.size(Path.of(built)));
    assertEquals(Path.of(raw), Path.of(built), "both spellings name one disk");
    assertEquals(Path.of(raw), Path.of(Path.of(built).toUri()));
  }

  @Test
  void nestedJarUriOpensAnImageInAZipNotOpenYet() throws IOException {
    Path image = create(dir.resolve("zipped.vhd"));
    Path zip = dir.resolve("images.zip");
    try (FileSystem z = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
      Files.copy(image, z.getPath("/zipped.vhd"));
    }
    URI jar = URI.create("jar:" + zip.toUri());
    Path disk = Path.of(URI.create("vhd:" + jar + "!/zipped.vhd"));
    try {
      assertEquals(SIZE, Files.size(disk));
    } finally {
      disk.getFileSystem().close();
      FileSystems.getFileSystem(jar).close();
    }
  }

  @Test
  void refusedUrisSayWhichFormToUse() {
    for (String bad : new String[] {"vhd:disk.vhd", "vhd://host/data/a.vhd",
        "vhd:/data/a.vhd?x=1"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Path.of(URI.create(bad)), bad);
      assertTrue(e.getMessage().contains("vhd:/data/my%20disk.vhd")
          && e.getMessage().contains("vhd:jimfs://fs/a.vhd"), e.getMessage());
    }
  }
}
