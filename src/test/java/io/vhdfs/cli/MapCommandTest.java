package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd map}: {@code --output=json} (and {@code --json}) prints {@code qemu-img map
 * --output=json}'s text, to the byte, wherever qemu-img can see what vhdfs sees; a chain's
 * entries carry qemu's depths and point at the bytes the disk reads; the table is unchanged.
 */
final class MapCommandTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void jsonIsQemuImgMapsTextForDynamicImagesQemuWrote() {
    QemuTools qemu = QemuTools.require();
    Map<String, List<Write>> images = new LinkedHashMap<>();
    images.put("empty.vhd", List.of());
    images.put("some.vhd", List.of(new Write(0xaa, MIB, 65536), new Write(0xbb, 5 * MIB, 4096),
        new Write(0xcc, 6 * MIB - 512, 1024), new Write(0xdd, 40 * MIB, 512)));
    // Blocks allocated out of disk order, and neighbours whose data is not adjacent on the host.
    images.put("scattered.vhd", List.of(new Write(0x11, 20 * MIB, 2 * MIB),
        new Write(0x22, 2 * MIB, 2 * MIB), new Write(0x33, 0, 2 * MIB),
        new Write(0x44, 4 * MIB, 100 * 512), new Write(0x55, 62 * MIB, 2 * MIB)));
    for (Map.Entry<String, List<Write>> image : images.entrySet()) {
      Path path = dir.resolve(image.getKey());
      qemu.create(path, 64 * MIB, "");
      qemu.write(path, image.getValue());

      String theirs = qemuMap(qemu, path);

      assertEquals(theirs, ok("map", "--output=json", path.toString()), image.getKey());
      assertEquals(theirs, ok("map", "--json", path.toString()), "--json is --output=json");
    }
  }

  @Test
  void jsonIsQemuImgMapsTextForImagesVhdfsWroteInWholeBlocks() throws IOException {
    QemuTools qemu = QemuTools.require();
    for (int blockSize : new int[] {2 << 20, 512 << 10}) {
      Path image = dir.resolve("whole-" + blockSize + ".vhd");
      Chains.vhd().newFileSystem(image, Map.of("create", "true", "size", "48M",
          "blockSize", Integer.toString(blockSize))).close();
      long size = qemu.virtualSize(image);
      long lastBlock = (size - 1) / blockSize * blockSize;
      for (long block : new long[] {7, 0, 1, 8}) {
        Chains.write(image, block * blockSize, Chains.randomBytes(blockSize, block));
      }
      Chains.write(image, lastBlock, Chains.randomBytes((int) (size - lastBlock), 9));

      assertEquals(qemuMap(qemu, image), ok("map", "--output=json", image.toString()),
          "block size " + blockSize);
    }
  }

  @Test
  void partlyWrittenBlockIsSectorExactWhereQemuImgShowsTheWholeBlock() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("part.vhd");
    Chains.vhd().newFileSystem(image, Map.of("create", "true", "size", "16M")).close();
    long at = 2 * MIB + 3 * 512;
    Chains.write(image, at, Chains.randomBytes(4096, 1));
    List<Map<String, Object>> theirs = JsonReader.objects(qemuMap(qemu, image));

    List<Map<String, Object>> ours = JsonReader.objects(ok("map", "--output=json",
        image.toString()));

    // qemu-img reads no sector bitmap, so it reports the whole block as data.
    Map<String, Object> block = theirs.get(1);
    assertEquals(List.of(2 * MIB, 2 * MIB, true), List.of(block.get("start"),
        block.get("length"), block.get("data")), theirs::toString);
    long hostBlock = (Long) block.get("offset");
    assertEquals(List.of(zeros(0, at), data(at, 4096, hostBlock + (at - 2 * MIB)),
        zeros(at + 4096, qemu.virtualSize(image) - at - 4096)), ours);
  }

  @Test
  void fixedImageIsOneDataExtentAtTheDisksOwnOffsets() {
    QemuTools qemu = QemuTools.require();
    Path written = dir.resolve("written.vhd");
    qemu.create(written, 3 * MIB, "subformat=fixed");
    long size = qemu.virtualSize(written);
    qemu.write(written, List.of(new Write(0x5a, 0, size)));
    assertEquals(qemuMap(qemu, written), ok("map", "--output=json", written.toString()),
        "a fixed image whose host file has no holes");

    Path sparse = dir.resolve("sparse.vhd");
    qemu.create(sparse, 3 * MIB, "subformat=fixed");
    List<Map<String, Object>> theirs = JsonReader.objects(qemuMap(qemu, sparse));

    List<Map<String, Object>> ours = JsonReader.objects(ok("map", "--output=json",
        sparse.toString()));

    assertEquals(List.of(data(0, size, 0)), ours);
    // qemu-img asks the host for holes and calls them zero; Java cannot, so only that differs.
    assertContiguousFromZeroTo(size, theirs);
    for (Map<String, Object> e : theirs) {
      assertEquals(List.of(0L, true, true, e.get("start")), List.of(e.get("depth"),
          e.get("present"), e.get("data"), e.get("offset")), e::toString);
    }
  }

  @Test
  void chainEntriesHaveQemuDepthsAndPointAtTheBytesTheDiskReadsThere() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path top = chain.get(2);
    byte[] disk = Chains.readDisk(top);

    List<Map<String, Object>> extents = JsonReader.objects(ok("map", "--output=json",
        top.toString()));

    assertContiguousFromZeroTo(disk.length, extents);
    Set<String> kinds = new TreeSet<>();
    for (Map<String, Object> e : extents) {
      int start = Math.toIntExact((Long) e.get("start"));
      int length = Math.toIntExact((Long) e.get("length"));
      int depth = Math.toIntExact((Long) e.get("depth"));
      byte[] expected = Arrays.copyOfRange(disk, start, start + length);
      assertEquals(true, e.get("present"), e::toString);
      assertEquals(e.get("data"), !(Boolean) e.get("zero"), e::toString);
      if (e.get("data").equals(false)) {
        kinds.add("zero" + depth);
        assertTrue(!e.containsKey("offset"), e::toString);
        assertArrayEquals(new byte[length], expected, "disk at " + e + " reads as zeros");
        continue;
      }
      kinds.add("data" + depth);
      Path file = chain.get(2 - depth);
      assertArrayEquals(expected, hostBytes(file, (Long) e.get("offset"), length),
          "host bytes of " + e + " in " + file);
    }
    assertEquals(Set.of("data0", "data1", "data2", "zero2"), kinds,
        "data at every depth, and space no image holds, answered by the base at its depth");
  }

  @Test
  void childShowsTheSectorsItHoldsExactlyAtDepthZero() throws IOException {
    Path top = CliFixtures.chain(dir).get(2);

    List<Map<String, Object>> extents = JsonReader.objects(ok("map", "--output=json",
        top.toString()));

    List<List<Object>> own = new ArrayList<>();
    for (Map<String, Object> e : extents) {
      if (e.get("depth").equals(0L)) {
        own.add(List.of(e.get("start"), e.get("length")));
      }
    }
    // 10 bytes at 100 made the child hold sector 0; 512 bytes at 3 MiB, one sector there.
    assertEquals(List.of(List.of(0L, 512L), List.of(3 * MIB, 512L)), own);
  }

  @Test
  void tableIsTheDefaultAndShowsEachEntryWithItsKindAndFile() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path top = chain.get(2);
    List<Map<String, Object>> extents = JsonReader.objects(ok("map", "--output=json",
        top.toString()));

    String text = ok("map", top.toString());

    assertEquals(text, ok("map", "--output=human", top.toString()));
    List<String> expected = new ArrayList<>();
    expected.add(String.format("%-18s %-18s %-7s %-18s %s", "Offset", "Length", "Kind",
        "Mapped to", "File"));
    for (Map<String, Object> e : extents) {
      long depth = (Long) e.get("depth");
      boolean data = (Boolean) e.get("data");
      Path file = depth == 0 ? top : chain.get((int) (2 - depth)).toRealPath();
      expected.add(String.format("0x%016x 0x%016x %-7s %-18s %s", (Long) e.get("start"),
          (Long) e.get("length"), !data ? "zero" : depth == 0 ? "data" : "parent",
          data ? String.format("0x%016x", (Long) e.get("offset")) : "-",
          data ? file : ""));
    }
    assertEquals(expected, text.lines().toList());
  }

  @Test
  void outputOtherThanHumanOrJsonAndContradictingJsonAreRefused() {
    Path image = dir.resolve("any.vhd");
    ok("create", image.toString(), "8M");

    for (String[] args : List.of(new String[] {"map", "--output=xml", image.toString()},
        new String[] {"map", "--json", "--output=human", image.toString()})) {
      Cli.Result r = Cli.run(args);

      assertEquals(2, r.exitCode(), r::toString);
      assertEquals("", r.out());
      assertEquals(1, r.err().lines().count(), r.err());
      assertTrue(r.err().contains("--output"), r.err());
    }
  }

  @Test
  void fileThatIsNoVhdIsRefusedInOneLineNamingItInBothFormats() throws IOException {
    Path notVhd = java.nio.file.Files.writeString(dir.resolve("notes.txt"), "not a disk\n");

    for (String format : List.of("human", "json")) {
      Cli.Result r = Cli.run("map", "--output=" + format, notVhd.toString());

      assertEquals(2, r.exitCode(), r::toString);
      assertEquals("", r.out(), "no header or bracket before the refusal");
      assertEquals(List.of("vhd map: " + notVhd + ": not a VHD image: the file has 11 bytes, "
          + "fewer than a footer; nor a VHDX image, whose signature is not there either: a raw "
          + "disk image or another kind of file"), r.err().lines().toList());
    }
  }

  private static String qemuMap(QemuTools qemu, Path image) {
    return qemu.qemuImg("map", "-f", "vpc", "--output=json", image.toString());
  }

  /** An entry as JsonReader reads ours: data stored at {@code offset} in the image itself. */
  private static Map<String, Object> data(long start, long length, long offset) {
    Map<String, Object> m = entry(start, length, false, true);
    m.put("offset", offset);
    return m;
  }

  /** An entry of zeros the image itself answers for. */
  private static Map<String, Object> zeros(long start, long length) {
    return entry(start, length, true, false);
  }

  private static Map<String, Object> entry(long start, long length, boolean zero,
      boolean data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("start", start);
    m.put("length", length);
    m.put("depth", 0L);
    m.put("present", true);
    m.put("zero", zero);
    m.put("data", data);
    return m;
  }

  private static void assertContiguousFromZeroTo(long size, List<Map<String, Object>> extents) {
    long at = 0;
    for (Map<String, Object> e : extents) {
      assertEquals(at, e.get("start"), () -> "extents leave no gap: " + extents);
      assertTrue((Long) e.get("length") > 0, e::toString);
      at += (Long) e.get("length");
    }
    assertEquals(size, at, "extents end at the disk's end");
  }

  private static byte[] hostBytes(Path file, long offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    try (FileChannel ch = FileChannel.open(file)) {
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw new AssertionError(file + " ends before " + (offset + length));
        }
      }
    }
    return b.array();
  }
}
