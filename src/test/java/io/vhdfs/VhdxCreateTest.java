package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import io.vhdfs.testing.Chains;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code create=true} makes a VHDX where {@code format=vhdx} or the {@code .vhdx} extension asks
 * for one; the file system then opens read-only, as every VHDX does until the writer comes.
 */
class VhdxCreateTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  private static URI uri(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  private static boolean isVhdx(Path file) throws IOException {
    byte[] first = new byte[8];
    try (var ch = Files.newByteChannel(file)) {
      ch.read(ByteBuffer.wrap(first));
    }
    return new String(first, StandardCharsets.US_ASCII).equals("vhdxfile");
  }

  @Test
  void vhdxExtensionCreatesAVhdxThatTakesWrites() throws IOException {
    Path image = dir.resolve("new.vhdx");
    try (FileSystem fs = FileSystems.newFileSystem(uri(image),
        Map.of("create", "true", "size", "64M"))) {
      Path disk = fs.getPath("/disk");
      assertEquals(64 * MIB, Files.size(disk));
      Map<String, Object> vhdx = Files.readAttributes(disk, "vhdx:*");
      assertEquals("dynamic", vhdx.get("diskType"));
      assertEquals(32 << 20, vhdx.get("blockSize"));
      assertEquals(512, vhdx.get("logicalSectorSize"));
      assertEquals(4096, vhdx.get("physicalSectorSize"));
      byte[] head = new byte[4096];
      try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
        ch.read(ByteBuffer.wrap(head), 0);
      }
      assertArrayEquals(new byte[4096], head);
    }
    assertTrue(isVhdx(image));
    byte[] data = Chains.randomBytes(5000, 7);
    try (FileChannel ch = FileChannel.open(Path.of(uri(image)), StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 3L << 20, data);
    }
    try (FileChannel ch = FileChannel.open(Path.of(uri(image)), StandardOpenOption.READ)) {
      assertArrayEquals(data, Chains.read(ch, 3L << 20, data.length));
    }
  }

  @ParameterizedTest
  @CsvSource({
      "fixed, 1M, 512, 512",
      "dynamic, 256M, 4096, 4096",
      "fixed, 32M, 4096, 512"})
  void formatKeyAndSectorSizesAreKept(String type, String blockSize, int logical, int physical)
      throws IOException {
    Path image = dir.resolve("k.img");
    VhdImages.create(image, Map.of("format", "vhdx", "type", type, "size", "96M",
        "blockSize", blockSize, "logicalSectorSize", logical,
        "physicalSectorSize", Integer.toString(physical)));
    assertTrue(isVhdx(image));
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      Map<String, Object> vhdx = Files.readAttributes(fs.getPath("/disk"), "vhdx:*");
      assertEquals(type, vhdx.get("diskType"));
      assertEquals(logical, vhdx.get("logicalSectorSize"));
      assertEquals(physical, vhdx.get("physicalSectorSize"));
      assertEquals(96 * MIB, Files.size(fs.getPath("/disk")));
    }
  }

  @Test
  void formatVhdOverridesTheExtension() throws IOException {
    Path image = dir.resolve("plain.vhdx");
    VhdImages.create(image, Map.of("format", "vhd", "size", "16M"));
    assertFalse(isVhdx(image));
    try (FileChannel ch = FileChannel.open(image)) {
      ByteBuffer footer = ByteBuffer.allocate(8);
      ch.read(footer, ch.size() - 512);
      assertEquals("conectix", new String(footer.array(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void createdImagesPassQemuCheck() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("q.vhdx");
    VhdImages.create(image, Map.of("type", "fixed", "size", "40M", "physicalSectorSize", 512));
    assertEquals(0, qemu.check(image, false).code());
    assertEquals(40 * MIB, qemu.virtualSize(image));
    assertEquals(32 * MIB, qemu.clusterSize(image));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "size|70368744177665|at most 64 TiB",
      "size|70368744177664000|at most 64 TiB",
      "size|1000|a multiple of the 512-byte logical sector size",
      "blockSize|512K|a power of two from 1 MiB to 256 MiB",
      "blockSize|3M|a power of two from 512 bytes to 256 MiB",
      "logicalSectorSize|1024|512 or 4096",
      "physicalSectorSize|abc|512 or 4096",
      "format|qcow2|vhd or vhdx"})
  void badValuesNameTheirKeyAndLeaveNoFile(String key, String value, String expected) {
    Path image = dir.resolve("bad.vhdx");
    Map<String, Object> env = new HashMap<>(Map.of("size", "64M"));
    env.put(key, value);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.create(image, env));
    assertTrue(e.getMessage().contains("env key '" + key + "'"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(Files.exists(image));
  }

  @Test
  void aChildTakesNoSectorSizes() {
    Path image = dir.resolve("child.vhdx");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.create(image, Map.of("type", "differencing", "parent", "base.vhdx",
            "physicalSectorSize", "512")));
    assertTrue(e.getMessage().contains("env key 'physicalSectorSize'"), e.getMessage());
    assertTrue(e.getMessage().contains("a differencing VHDX has its parent's sector sizes"),
        e.getMessage());
    assertFalse(Files.exists(image));
  }

  @Test
  void sectorSizeKeysAreRefusedForAVhd() {
    Path image = dir.resolve("s.vhd");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.create(image, Map.of("size", "16M", "logicalSectorSize", "4096")));
    assertTrue(e.getMessage().contains("env key 'logicalSectorSize'"), e.getMessage());
    assertFalse(Files.exists(image));
  }

  @Test
  void imagesAreCreatedOnAnyHostProvider() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = jimfs.getPath("/vm/j.vhdx");
      Files.createDirectories(image.getParent());
      // The URI form: for a missing file, the path form would ask the zip provider first.
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("vhd:" + image.toUri()),
          Map.of("create", "true", "size", "8M", "type", "fixed", "blockSize", "1M"))) {
        Map<String, Object> vhdx = Files.readAttributes(fs.getPath("/disk"), "vhdx:*");
        assertEquals("fixed", vhdx.get("diskType"));
        assertEquals(8 * MIB, Files.size(fs.getPath("/disk")));
      }
      assertTrue(isVhdx(image));
      // 1 MiB header section, log, metadata, BAT, then the eight 1 MiB blocks.
      assertEquals(12 * MIB, Files.size(image));
    }
  }

  @Test
  void readWriteCreateMakesAVhdxThatTakesWrites() throws IOException {
    Path image = dir.resolve("rw.vhdx");
    byte[] data = Chains.randomBytes(70000, 11);
    try (FileSystem fs = FileSystems.newFileSystem(uri(image),
        Map.of("create", "true", "size", "64M", "accessMode", "readWrite"))) {
      try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        Chains.writeFully(ch, 40L << 20, data);
      }
    }
    assertTrue(isVhdx(image));
    try (FileChannel ch = FileChannel.open(Path.of(uri(image)), StandardOpenOption.READ)) {
      assertArrayEquals(data, Chains.read(ch, 40L << 20, data.length));
    }
  }

  @Test
  void sixtyFourTebibyteDynamicImageIsCreated() throws IOException {
    Path image = dir.resolve("huge.vhdx");
    VhdImages.create(image, Map.of("size", "64T"));
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertEquals(64L << 40, Files.size(fs.getPath("/disk")));
    }
  }
}
