package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.DiskExtents;
import io.vhdfs.nio.PartitionAttributes;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.PartitionTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A qemu-img-made VHDX read where a VHD is: on a Jimfs host, inside a zip, as partitions, as
 * extents, as the base of a three-level chain; and refused for writing when the file system is
 * made, before anything is touched.
 */
class VhdxHostsTest {
  private static final long MIB = 1 << 20;
  private static final int SECTOR = 512;

  @TempDir Path dir;

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  /** A 24 MiB qemu-img dynamic VHDX (1 MiB blocks) written at odd offsets and across blocks. */
  private Path qemuImage(String name) {
    VhdxTools vhdx = VhdxTools.require();
    Path image = dir.resolve(name);
    vhdx.create(image, 24 * MIB, "block_size=1M");
    vhdx.write(image, List.of(new Write(0x5a, 3 * SECTOR, 4096 + SECTOR),
        new Write(0xa7, MIB - 1536, 4096), new Write(0x3c, 9 * MIB + 1024, SECTOR),
        new Write(0xe1, 24 * MIB - SECTOR, SECTOR)));
    return image;
  }

  private byte[] qemuRaw(Path image) throws IOException {
    Path raw = dir.resolve(image.getFileName() + ".raw");
    VhdxTools.require().convertToRaw(image, raw);
    return Files.readAllBytes(raw);
  }

  @Test
  void aQemuVhdxOnAJimfsHostReadsAsQemuImgConvertsIt() throws IOException {
    Path image = qemuImage("q.vhdx");
    byte[] expected = qemuRaw(image);
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path hosted = jimfs.getPath("/images/q.vhdx");
      Files.createDirectories(hosted.getParent());
      Files.copy(image, hosted);
      try (FileSystem vhd = FileSystems.newFileSystem(hosted, Map.of())) {
        assertArrayEquals(expected, Chains.readAll(vhd.getPath("/disk")));
        assertEquals("vhdx", Files.getFileStore(vhd.getPath("/disk")).type());
      }
    }
  }

  @Test
  void aQemuVhdxInsideAZipReadsAsQemuImgConvertsIt() throws IOException {
    Path image = qemuImage("q.vhdx");
    byte[] expected = qemuRaw(image);
    Path zip = dir.resolve("images.zip");
    try (FileSystem writing = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
      Files.copy(image, writing.getPath("/q.vhdx"));
    }
    try (FileSystem zipfs = FileSystems.newFileSystem(zip, Map.of());
        FileSystem vhd = FileSystems.newFileSystem(zipfs.getPath("/q.vhdx"), Map.of())) {
      assertArrayEquals(expected, Chains.readAll(vhd.getPath("/disk")));
    }
  }

  @Test
  void partitionsOfAVhdxListAndReadAsTheRawDiskHoldsThem() throws IOException {
    PartitionTools tools = PartitionTools.require();
    VhdxTools vhdx = VhdxTools.require();
    Path raw = dir.resolve("mbr.raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(32 * MIB);
      f.seek(2048L * SECTOR + 100);
      f.write("in p1".getBytes());
      f.seek(20480L * SECTOR + 4096 * 3 + 7);
      f.write("in p2".getBytes());
    }
    tools.sfdisk(raw, String.join("\n", "label: dos", "start=2048, size=16384, type=83",
        "start=20480, size=40960, type=c", ""));
    Path image = dir.resolve("mbr.vhdx");
    vhdx.convertFromRaw(raw, image, "block_size=1M");
    byte[] whole = Files.readAllBytes(raw);

    Path p1 = Path.of(URI.create("vhd:" + image.toUri().getRawPath() + "#/p1"));
    try (FileSystem fs = p1.getFileSystem()) {
      List<String> names = new ArrayList<>();
      try (Stream<Path> s = Files.list(fs.getPath("/"))) {
        s.forEach(p -> names.add(p.toString()));
      }
      assertEquals(List.of("/disk", "/p1", "/p2"), names.stream().sorted().toList());
      long[][] parts = {{2048, 16384}, {20480, 40960}};
      for (int i = 0; i < 2; i++) {
        Path part = fs.getPath("/p" + (i + 1));
        PartitionAttributes a = Files.readAttributes(part, PartitionAttributes.class);
        assertEquals("mbr", a.scheme());
        assertEquals(parts[i][0] * SECTOR, a.start());
        assertEquals(parts[i][1] * SECTOR, Files.size(part));
        int from = (int) (parts[i][0] * SECTOR);
        assertArrayEquals(Arrays.copyOfRange(whole, from, from + (int) (parts[i][1] * SECTOR)),
            Chains.readAll(part), part.toString());
      }
    }
  }

  @Test
  void extentsOfAVhdxAreTheBlocksQemuIoWroteAndMatchTheMap() throws IOException {
    Path image = qemuImage("q.vhdx");
    byte[] expected = qemuRaw(image);
    List<VhdImages.Extent> extents;
    try (Stream<VhdImages.Extent> s = DiskExtents.stream(disk(image), 0, Long.MAX_VALUE)) {
      extents = s.toList();
    }
    List<long[]> data = extents.stream().filter(VhdImages.Extent::data)
        .map(e -> new long[] {e.offset(), e.length()}).toList();
    assertEquals(List.of("0+2097152", "9437184+1048576", "24117248+1048576"),
        data.stream().map(d -> d[0] + "+" + d[1]).toList(),
        "blocks 0-1, 9 and 23 hold qemu-io's writes (1 MiB blocks)");
    long next = 0;
    for (VhdImages.Extent e : extents) {
      assertEquals(next, e.offset());
      next = e.end();
      if (e.data()) {
        ByteBuffer host = ByteBuffer.allocate((int) e.length());
        try (FileChannel ch = FileChannel.open(image)) {
          ch.read(host, e.hostOffset());
        }
        assertArrayEquals(Arrays.copyOfRange(expected, (int) e.offset(), (int) e.end()),
            host.array());
      }
    }
    assertEquals(24 * MIB, next);
    try (DiskExtents x = DiskExtents.open(disk(image))) {
      assertEquals(2 * MIB, x.nextHole(0));
      assertEquals(9 * MIB, x.nextData(2 * MIB));
    }

    Cli.Result map = Cli.run("map", "--output=json", image.toString());
    assertEquals(0, map.exitCode(), map.err());
    List<Map<String, Object>> entries = JsonReader.objects(map.out());
    assertEquals(extents.size(), entries.size());
    for (int i = 0; i < entries.size(); i++) {
      VhdImages.Extent e = extents.get(i);
      Map<String, Object> m = entries.get(i);
      assertEquals(e.offset(), m.get("start"));
      assertEquals(e.length(), m.get("length"));
      assertEquals(e.data(), m.get("data"));
      if (e.data()) {
        assertEquals(e.hostOffset(), m.get("offset"));
      }
    }
  }

  @Test
  void aThreeLevelChainOverAQemuBaseReadsTheTopmostSectors() throws IOException {
    VhdxTools vhdx = VhdxTools.require();
    Path base = dir.resolve("base.vhdx");
    vhdx.create(base, 16 * MIB, "block_size=1M");
    vhdx.write(base, List.of(new Write(0x11, 0, 16 * MIB)));
    UUID baseId = (UUID) Files.getAttribute(disk(base), "vhdx:dataWriteGuid");
    UUID midId = UUID.fromString("6d1d0000-0000-4000-8000-000000000002");
    VhdxImageBuilder.differencing(16 * MIB, baseId, "base.vhdx").blockSize((int) MIB)
        .dataWriteGuid(midId).sectorBitmapForEveryChunk()
        .fill(MIB + SECTOR, 2 * SECTOR, 0x22).fill(5 * MIB, 4096, 0x22)
        .build().writeTo(dir.resolve("mid.vhdx"));
    VhdxImageBuilder.differencing(16 * MIB, midId, "mid.vhdx").blockSize((int) MIB)
        .sectorBitmapForEveryChunk()
        .fill(MIB + 2 * SECTOR, SECTOR, 0x33).fill(9 * MIB, SECTOR, 0x33)
        .build().writeTo(dir.resolve("top.vhdx"));
    byte[] expected = new byte[(int) (16 * MIB)];
    Arrays.fill(expected, (byte) 0x11);
    Arrays.fill(expected, (int) MIB + SECTOR, (int) MIB + 3 * SECTOR, (byte) 0x22);
    Arrays.fill(expected, (int) (5 * MIB), (int) (5 * MIB) + 4096, (byte) 0x22);
    Arrays.fill(expected, (int) MIB + 2 * SECTOR, (int) MIB + 3 * SECTOR, (byte) 0x33);
    Arrays.fill(expected, (int) (9 * MIB), (int) (9 * MIB) + SECTOR, (byte) 0x33);

    Path top = disk(dir.resolve("top.vhdx"));
    assertArrayEquals(expected, Chains.readAll(top));
    try (Stream<VhdImages.Extent> s = DiskExtents.stream(top, 0, Long.MAX_VALUE)) {
      assertEquals(List.of(0, 1, 2), s.map(VhdImages.Extent::depth).distinct().sorted()
          .toList(), "extents come from each of the three images");
    }
  }

  @Test
  void accessModeReadWriteOnAVhdxWritesNothingUntilTheFirstWrite() throws IOException {
    Path image = qemuImage("q.vhdx");
    byte[] before = Files.readAllBytes(image);
    FileSystems.newFileSystem(image, Map.of("accessMode", "readWrite")).close();
    assertArrayEquals(before, Files.readAllBytes(image));
    byte[] data = Chains.randomBytes(4096, 3);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("accessMode", "readWrite"))) {
      Files.write(fs.getPath("/disk"), data, StandardOpenOption.WRITE);
    }
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertArrayEquals(data, Arrays.copyOf(Chains.readAll(fs.getPath("/disk")), 4096));
    }
  }
}
