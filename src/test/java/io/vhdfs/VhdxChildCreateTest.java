package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code type=differencing} with a {@code .vhdx} name makes a VHDX child: it reads as its parent
 * in vhdfs and in libvhdi ({@code set_parent}); qemu-img cannot open differencing VHDX at all.
 */
class VhdxChildCreateTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static byte[] readDisk(Path image) throws IOException {
    try (FileChannel ch = FileChannel.open(Path.of(URI.create("vhd:" + image.toUri()
        .getRawPath())), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(ch.size()));
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // until full
      }
      return b.array();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 32, 256})
  void childOfAQemuParentReadsAsTheParentInVhdfsAndLibvhdi(int blockMib) throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Libvhdi libvhdi = Libvhdi.require();
    long size = 48L * MIB;
    Path base = dir.resolve("base.vhdx");
    qemu.create(base, size, "block_size=8M");
    qemu.write(base, List.of(new QemuTools.Write(0x5a, 0, 3 * MIB),
        new QemuTools.Write(0xa5, 20L * MIB + 512, 9000), new QemuTools.Write(0x33, size - 4096,
            4096)));
    Path raw = dir.resolve("base.raw");
    qemu.convertToRaw(base, raw);

    Path child = dir.resolve("child.vhdx");
    VhdImages.create(child, Map.of("type", "differencing", "parent", "base.vhdx",
        "blockSize", blockMib + "M"));

    assertArrayEquals(Files.readAllBytes(raw), readDisk(child));
    List<Libvhdi.Window> windows = new ArrayList<>();
    for (long at = 0; at < size; at += 4 * MIB) {
      windows.add(new Libvhdi.Window(at, 4 * MIB));
    }
    Libvhdi.Reading reading = libvhdi.readChain(List.of(child, base), windows, blockMib * MIB,
        dir);
    assertEquals(size, reading.mediaSize());
    try (FileChannel ch = FileChannel.open(raw)) {
      assertEquals(Libvhdi.hashes(ch, windows), reading.lines());
    }
    Map<String, Object> info = VhdImages.describe(child, Map.of());
    assertEquals("differencing", info.get("diskType"));
    String parentSha = Chains.sha256(base);
    byte[] data = Chains.randomBytes(3000, 5);
    try (FileChannel ch = FileChannel.open(
        Path.of(URI.create("vhd:" + child.toUri().getRawPath())), StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 20L * MIB, data);
    }
    byte[] expected = Files.readAllBytes(raw);
    System.arraycopy(data, 0, expected, 20 * MIB, data.length);
    assertArrayEquals(expected, readDisk(child));
    assertEquals(parentSha, Chains.sha256(base), "the parent is not written");
  }

  @Test
  void threeLevelChainReadsAsItsBase() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Libvhdi libvhdi = Libvhdi.require();
    long size = 24L * MIB;
    Path base = dir.resolve("base.vhdx");
    qemu.create(base, size, "block_size=1M");
    qemu.write(base, List.of(new QemuTools.Write(0x71, 5L * MIB - 300, 700)));
    Path raw = dir.resolve("base.raw");
    qemu.convertToRaw(base, raw);
    Path mid = dir.resolve("mid.vhdx");
    VhdImages.create(mid, Map.of("type", "differencing", "parent", "base.vhdx"));
    Path top = dir.resolve("top.vhdx");
    VhdImages.create(top, Map.of("type", "differencing", "parent", "mid.vhdx",
        "blockSize", "1M"));

    assertArrayEquals(Files.readAllBytes(raw), readDisk(top));
    List<Libvhdi.Window> windows = List.of(new Libvhdi.Window(0, 8 * MIB),
        new Libvhdi.Window(8L * MIB, 16 * MIB));
    Libvhdi.Reading reading = libvhdi.readChain(List.of(top, mid, base), windows, MIB, dir);
    try (FileChannel ch = FileChannel.open(raw)) {
      assertEquals(Libvhdi.hashes(ch, windows), reading.lines());
    }
  }

  @Test
  void childKeepsFourKibibyteSectorsOfItsParent() throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    Path base = dir.resolve("b4k.vhdx");
    VhdImages.create(base, Map.of("size", "64M", "logicalSectorSize", "4096"));
    Path child = dir.resolve("sub").resolve("c4k.vhdx");
    Files.createDirectories(child.getParent());
    VhdImages.create(child, Map.of("type", "differencing", "parent", "../b4k.vhdx"));
    try (var fs = java.nio.file.FileSystems.newFileSystem(child, Map.of())) {
      Map<String, Object> vhdx = Files.readAttributes(fs.getPath("/disk"), "vhdx:*");
      assertEquals(4096, vhdx.get("logicalSectorSize"));
      assertEquals(64L * MIB, Files.size(fs.getPath("/disk")));
    }
    List<Libvhdi.Window> windows = List.of(new Libvhdi.Window(0, 8 * MIB),
        new Libvhdi.Window(60L * MIB, 4 * MIB));
    Libvhdi.Reading reading = libvhdi.readChain(List.of(child, base), windows, 0, dir);
    assertEquals(64L * MIB, reading.mediaSize());
    Path zeros = dir.resolve("zeros.raw");
    try (FileChannel ch = FileChannel.open(zeros, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      ch.truncate(0);
      ch.write(ByteBuffer.allocate(1), 64L * MIB - 1);
      assertEquals(Libvhdi.hashes(ch, windows), reading.lines());
    }
  }

  @Test
  void aVhdParentIsRefusedAndLeavesNoChild() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path base = dir.resolve("base.vhd");
    qemu.create(base, 16L * MIB, "");
    Path child = dir.resolve("c.vhdx");
    FileSystemException e = assertThrows(FileSystemException.class, () -> VhdImages.create(child,
        Map.of("type", "differencing", "parent", "base.vhd")));
    assertTrue(e.getMessage().contains("needs a VHDX parent"), e.getMessage());
    assertFalse(Files.exists(child));
  }
}
