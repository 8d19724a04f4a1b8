package io.vhdfs;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.SPARSE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.PartitionAttributes;
import io.vhdfs.testing.PartitionTools;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Partition tables made by {@code sfdisk} and {@code sgdisk}, with ext4 and FAT file systems made
 * by {@code mkfs.ext4} and {@code mkfs.fat} inside the partitions, read through {@code /pN} as the
 * tools describe them, and copied out and written in so the tools' own readers ({@code e2fsck},
 * {@code debugfs}, {@code mtype}) find their files.
 */
final class PartitionInteropTest {
  private static final long MIB = 1L << 20;
  private static final long DISK = 64 * MIB;
  private static final int SECTOR = 512;
  private static final Set<String> EXTENDED = Set.of("5", "f", "85");

  @TempDir Path dir;

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  /** A sparse raw file of {@code size} zeros. */
  private static Path sparse(Path file, long size) throws IOException {
    try (FileChannel ch = FileChannel.open(file, CREATE_NEW, WRITE, SPARSE)) {
      ch.write(ByteBuffer.allocate(1), size - 1);
    }
    return file;
  }

  /** An ext4 file system of {@code size} bytes holding {@code hello.txt} with {@code text}. */
  private Path ext4(PartitionTools tools, String name, long size, String text) throws IOException {
    Path content = Files.createDirectories(dir.resolve(name + "-content"));
    Files.writeString(content.resolve("hello.txt"), text);
    Files.createDirectories(content.resolve("sub"));
    byte[] random = new byte[300_000];
    new Random(name.hashCode()).nextBytes(random);
    Files.write(content.resolve("sub").resolve("random.bin"), random);
    Path image = sparse(dir.resolve(name + ".ext4"), size);
    tools.mkfsExt4(image, content);
    return image;
  }

  /** A FAT file system of {@code size} bytes holding {@code HELLO.TXT} with {@code text}. */
  private Path fat(PartitionTools tools, String name, long size, String text) throws IOException {
    Path image = sparse(dir.resolve(name + ".fat"), size);
    tools.mkfsFat(image, name.toUpperCase(Locale.ROOT));
    Path hello = Files.writeString(dir.resolve(name + "-hello.txt"), text);
    tools.mcopy(image.toString(), hello, "HELLO.TXT");
    return image;
  }

  /** Writes the whole of {@code src} into {@code dst} at {@code offset}. */
  private static void place(Path src, Path dst, long offset) throws IOException {
    try (FileChannel from = FileChannel.open(src, READ);
        FileChannel to = FileChannel.open(dst, WRITE)) {
      long size = from.size();
      long done = 0;
      while (done < size) {
        done += from.transferTo(done, size - done, to.position(offset + done));
      }
    }
  }

  /**
   * The partitions {@code sfdisk --json} lists that Linux makes files of, by the number Linux
   * gives them (from the device node's name, which is then left out).
   */
  @SuppressWarnings("unchecked")
  private static Map<Integer, Map<String, Object>> sfdiskPartitions(PartitionTools tools,
      Path raw) {
    Map<Integer, Map<String, Object>> byNumber = new TreeMap<>();
    for (Object o : (List<Object>) tools.sfdiskJson(raw).get("partitions")) {
      Map<String, Object> p = new TreeMap<>((Map<String, Object>) o);
      String node = (String) p.remove("node");
      int number = Integer.parseInt(node.substring(node.lastIndexOf("raw") + 3));
      if (!EXTENDED.contains(String.valueOf(p.get("type")).toLowerCase(Locale.ROOT))) {
        byNumber.put(number, p);
      }
    }
    return byNumber;
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.map(Path::toString).toList();
    }
  }

  private static long number(Object json) {
    return ((Number) json).longValue();
  }

  /** CI must have every tool, or these tests would fail there instead of running. */
  @Test
  void ciInstallsAndLooksForEveryPartitionTool() throws IOException {
    String script = Files.readString(Path.of(".ci", "run"));
    int from = script.indexOf("apt-get install");
    assertTrue(from >= 0, ".ci/run installs packages");
    // The command runs to the first line end not escaped by a backslash.
    List<String> installed = Arrays.asList(
        script.substring(from).split("(?<!\\\\)\n", 2)[0].split("[\\s\\\\]+"));
    for (String pkg : PartitionTools.PACKAGES.split(" ")) {
      assertTrue(installed.contains(pkg), ".ci/run must install " + pkg + ": " + installed);
    }
    for (String tool : PartitionTools.TOOLS) {
      assertTrue(script.contains(" " + tool + " ") || script.contains(" " + tool + ";"),
          ".ci/run must look for " + tool);
    }
  }

  @Test
  void mbrFromSfdiskWithExt4AndFatReadsAsTheToolsSay() throws IOException {
    PartitionTools tools = PartitionTools.require();
    QemuTools qemu = QemuTools.require();
    Path raw = sparse(dir.resolve("mbr.raw"), DISK);
    tools.sfdisk(raw, String.join("\n", "label: dos",
        "start=2048, size=8192, type=c, bootable",
        "start=12288, size=16384, type=83",
        "start=30720, size=98304, type=5",
        "start=32768, size=16384, type=83",
        "start=51200, size=8192, type=6", ""));
    Map<Integer, Map<String, Object>> expected = sfdiskPartitions(tools, raw);
    assertEquals(Set.of(1, 2, 5, 6), expected.keySet(), "fixture: sfdisk's numbering");
    Map<Integer, Path> filesystems = Map.of(
        1, fat(tools, "fat1", 8192 * SECTOR, "hello from p1\n"),
        2, ext4(tools, "ext2", 16384L * SECTOR, "hello from p2\n"),
        5, ext4(tools, "ext5", 16384L * SECTOR, "hello from p5\n"),
        6, fat(tools, "fat6", 8192 * SECTOR, "hello from p6\n"));
    for (Map.Entry<Integer, Path> fs : filesystems.entrySet()) {
      place(fs.getValue(), raw, number(expected.get(fs.getKey()).get("start")) * SECTOR);
    }
    Path image = dir.resolve("mbr.vhd");
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", raw.toString(), image.toString());

    Path p1 = Path.of(URI.create(uriOf(image) + "#/p1")); // no newFileSystem: made on demand
    try (FileSystem fs = p1.getFileSystem()) {
      assertEquals(List.of("/disk", "/p1", "/p2", "/p5", "/p6"), list(fs.getPath("/")));
      for (Map.Entry<Integer, Map<String, Object>> e : expected.entrySet()) {
        Path part = fs.getPath("/p" + e.getKey());
        Map<String, Object> want = e.getValue();
        PartitionAttributes got = Files.readAttributes(part, PartitionAttributes.class);
        assertEquals(e.getKey(), got.number());
        assertEquals("mbr", got.scheme());
        assertEquals(number(want.get("start")) * SECTOR, got.start(), part.toString());
        assertEquals(number(want.get("size")) * SECTOR, got.size(), part.toString());
        assertEquals(number(want.get("size")) * SECTOR, Files.size(part));
        assertEquals(String.format("%2s", want.get("type")).replace(' ', '0')
            .toUpperCase(Locale.ROOT), got.type(), part.toString());
        assertEquals(Boolean.TRUE.equals(want.get("bootable")), got.bootable(), part.toString());
        assertEquals(got.start(), Files.readAttributes(part, "partition:start").get("start"));
      }
      for (int n : List.of(1, 2, 5, 6)) {
        Path out = dir.resolve("out-p" + n);
        Files.copy(fs.getPath("/p" + n), out);
        assertArrayEquals(Files.readAllBytes(filesystems.get(n)), Files.readAllBytes(out),
            "p" + n + " holds exactly the file system put there");
        if (n == 2 || n == 5) {
          QemuTools.Exit check = tools.e2fsck(out);
          assertEquals(0, check.code(), "e2fsck -fn of p" + n + ": " + check.describe());
          assertEquals("hello from p" + n + "\n", tools.debugfsCat(out, "/hello.txt"));
        } else {
          assertEquals("hello from p" + n + "\n", tools.mtype(out.toString(), "HELLO.TXT"));
        }
      }
    }
  }

  @Test
  void gptFromSgdiskOnAnImageTheProviderMadeReadsAsSgdiskSays() throws IOException {
    PartitionTools tools = PartitionTools.require();
    Path image = dir.resolve("gpt.vhd");
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image),
        Map.of("create", "true", "size", Long.toString(DISK), "exactSize", "true"))) {
      assertEquals(List.of("/disk"), list(fs.getPath("/")));
      Path raw = sparse(dir.resolve("gpt.raw"), DISK);
      tools.sgdisk(raw, "-n", "1:2048:+8M", "-t", "1:8300", "-c", "1:root",
          "-n", "3:20480:+4M", "-t", "3:0700", "-c", "3:data", "-A", "3:set:2",
          "-n", "6:32768:+1M", "-t", "6:EF02", "-c", "6:bios boot", "-A", "6:set:0");
      Path ext = ext4(tools, "ext1", 8 * MIB, "hello from gpt p1\n");
      Path fat = fat(tools, "fat3", 4 * MIB, "hello from gpt p3\n");
      place(ext, raw, 2048L * SECTOR);
      place(fat, raw, 20480L * SECTOR);
      // The raw disk's bytes into the image through /disk, zero stretches left out.
      try (FileChannel from = FileChannel.open(raw);
          FileChannel to = FileChannel.open(fs.getPath("/disk"), WRITE)) {
        ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
        for (long at = 0; at < DISK; at += chunk.capacity()) {
          chunk.clear();
          while (chunk.hasRemaining() && from.read(chunk, at + chunk.position()) > 0) {
            // a positional read may return less than asked
          }
          if (!Arrays.equals(chunk.array(), new byte[chunk.capacity()])) {
            to.write(chunk.flip(), at);
          }
        }
      }
      assertEquals(List.of("/disk", "/p1", "/p3", "/p6"), list(fs.getPath("/")),
          "the table written through /disk is read at the next listing");
      for (int n : List.of(1, 3, 6)) {
        Map<String, String> want = tools.sgdiskInfo(raw, n);
        PartitionAttributes got =
            Files.readAttributes(fs.getPath("/p" + n), PartitionAttributes.class);
        String context = "p" + n + " as sgdisk -i shows it: " + want;
        assertEquals("gpt", got.scheme());
        assertEquals(want.get("Partition GUID code").split(" ")[0], got.type(), context);
        assertEquals(UUID.fromString(want.get("Partition unique GUID")), got.uuid(), context);
        long first = Long.parseLong(want.get("First sector").split(" ")[0]);
        long last = Long.parseLong(want.get("Last sector").split(" ")[0]);
        assertEquals(first * SECTOR, got.start(), context);
        assertEquals((last - first + 1) * SECTOR, got.size(), context);
        assertEquals(Long.parseUnsignedLong(want.get("Attribute flags"), 16), got.attributes(),
            context);
        assertEquals(want.get("Partition name").replaceAll("^'|'$", ""), got.name(), context);
      }
      assertTrue(Files.readAttributes(fs.getPath("/p3"), PartitionAttributes.class).bootable());
      Path out1 = dir.resolve("out-gpt-p1");
      Files.copy(fs.getPath("/p1"), out1);
      QemuTools.Exit check = tools.e2fsck(out1);
      assertEquals(0, check.code(), "e2fsck -fn of p1: " + check.describe());
      assertEquals("hello from gpt p1\n", tools.debugfsCat(out1, "/hello.txt"));
      Path out3 = dir.resolve("out-gpt-p3");
      Files.copy(fs.getPath("/p3"), out3);
      assertEquals("hello from gpt p3\n", tools.mtype(out3.toString(), "HELLO.TXT"));
    }
  }

  @Test
  void fileSystemsWrittenThroughPartitionsAreWhereTheToolsLook() throws IOException {
    PartitionTools tools = PartitionTools.require();
    QemuTools qemu = QemuTools.require();
    Path raw = sparse(dir.resolve("empty.raw"), DISK);
    tools.sfdisk(raw, String.join("\n", "label: dos",
        "start=2048, size=8192, type=c",
        "start=16384, size=65536, type=f",
        "start=18432, size=16384, type=83", ""));
    Map<Integer, Map<String, Object>> table = sfdiskPartitions(tools, raw);
    assertEquals(Set.of(1, 5), table.keySet(), "fixture: sfdisk's numbering");
    Path image = dir.resolve("write.vhd");
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", raw.toString(), image.toString());
    Path fat = fat(tools, "fresh", 8192 * SECTOR, "written through p1\n");
    Path ext = ext4(tools, "fresh5", 16384L * SECTOR, "written through p5\n");

    try (FileSystem fs = FileSystems.newFileSystem(uriOf(image), Map.of())) {
      Path p1 = fs.getPath("/p1");
      try (FileChannel from = FileChannel.open(fat); FileChannel to = FileChannel.open(p1, WRITE)) {
        QemuTools.Exit info = QemuTools.runForExit(Duration.ofMinutes(1), List.of(
            QemuTools.onPath("qemu-img").orElseThrow().toString(), "info", image.toString()));
        assertTrue(info.code() != 0 && info.stderr().contains("\"write\" lock"),
            "a partition writer holds the image's write lock as a disk writer does: "
                + info.describe());
        long done = 0;
        while (done < from.size()) {
          done += to.transferFrom(from, done, from.size() - done);
        }
        assertThrows(IOException.class, () -> to.write(ByteBuffer.allocate(2), to.size() - 1),
            "a write past the partition's end");
      }
      try (OutputStream os = Files.newOutputStream(fs.getPath("/p5"))) {
        Files.copy(ext, os);
      }
    }

    Path back = dir.resolve("back.raw");
    qemu.convertToRaw(image, back);
    assertEquals(table, sfdiskPartitions(tools, back), "the table is as it was");
    long p1Start = number(table.get(1).get("start")) * SECTOR;
    assertEquals("written through p1\n", tools.mtype(back + "@@" + p1Start, "HELLO.TXT"));
    Path p5 = dir.resolve("back-p5");
    try (FileChannel from = FileChannel.open(back);
        FileChannel to = FileChannel.open(p5, CREATE_NEW, WRITE)) {
      long start = number(table.get(5).get("start")) * SECTOR;
      long size = number(table.get(5).get("size")) * SECTOR;
      assertEquals(size, from.transferTo(start, size, to));
    }
    QemuTools.Exit check = tools.e2fsck(p5);
    assertEquals(0, check.code(), "e2fsck -fn of p5 as qemu-img reads it: " + check.describe());
    assertEquals("written through p5\n", tools.debugfsCat(p5, "/hello.txt"));
    List<Long> changedOutside = new ArrayList<>();
    long p1End = p1Start + 8192L * SECTOR;
    long p5Start = number(table.get(5).get("start")) * SECTOR;
    long p5End = p5Start + 16384L * SECTOR;
    try (FileChannel before = FileChannel.open(raw); FileChannel after = FileChannel.open(back)) {
      ByteBuffer a = ByteBuffer.allocate(SECTOR);
      ByteBuffer b = ByteBuffer.allocate(SECTOR);
      for (long at = 0; at < after.size(); at += SECTOR) {
        if (at >= p1Start && at < p1End || at >= p5Start && at < p5End) {
          continue;
        }
        Arrays.fill(a.clear().array(), (byte) 0);
        Arrays.fill(b.clear().array(), (byte) 0);
        before.read(a, at); // past the raw file's end (the VHD rounded up) a stays zeros
        after.read(b, at);
        if (!Arrays.equals(a.array(), b.array())) {
          changedOutside.add(at / SECTOR);
        }
      }
    }
    assertEquals(List.of(), changedOutside, "sectors outside the two partitions that changed");
  }
}
