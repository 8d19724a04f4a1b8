package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd map}: for a qemu-made image the data extents are the ones {@code qemu-img map}
 * reports; for a chain every extent's file and host offset hold exactly the disk's bytes there.
 */
final class MapCommandTest {
  @TempDir Path dir;

  /** A stretch of data on the disk and where in the host file it starts. */
  private record DataRange(long start, long length, long hostOffset) {}

  @Test
  void dataExtentsOfQemuImageAreQemuImgMapsDataRanges() {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("q.vhd");
    qemu.create(image, 64L << 20, "");
    qemu.write(image, List.of(new Write(0xaa, 1 << 20, 65536), new Write(0xbb, 5 << 20, 4096),
        new Write(0xcc, (6 << 20) - 512, 1024), new Write(0xdd, 40L << 20, 512)));
    List<Map<String, Object>> theirs = JsonReader.objects(
        qemu.qemuImg("map", "-f", "vpc", "--output=json", image.toString()));

    List<Map<String, Object>> ours = JsonReader.objects(ok("map", "--json", image.toString()));

    List<DataRange> expected = new ArrayList<>();
    for (Map<String, Object> e : theirs) {
      if (Boolean.TRUE.equals(e.get("data"))) {
        expected.add(new DataRange((Long) e.get("start"), (Long) e.get("length"),
            (Long) e.get("offset")));
      }
    }
    List<DataRange> actual = new ArrayList<>();
    for (Map<String, Object> e : ours) {
      if (e.get("kind").equals("data")) {
        assertEquals(image.toString(), e.get("file"));
        assertEquals(0L, e.get("depth"));
        actual.add(new DataRange((Long) e.get("start"), (Long) e.get("length"),
            (Long) e.get("offset")));
      } else {
        assertEquals("zero", e.get("kind"));
        assertNull(e.get("file"));
        assertNull(e.get("offset"));
      }
    }
    assertEquals(4, merged(expected).size(), "blocks qemu-io allocated: " + expected);
    assertEquals(merged(expected), merged(actual));
    assertContiguousFromZeroTo(qemu.virtualSize(image), ours);
  }

  @Test
  void everyExtentOfAChainPointsAtTheBytesTheDiskReadsThere() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path top = chain.get(2);
    byte[] disk = Chains.readDisk(top);

    List<Map<String, Object>> extents = JsonReader.objects(ok("map", "--json", top.toString()));

    assertContiguousFromZeroTo(disk.length, extents);
    Set<String> kinds = new TreeSet<>();
    for (Map<String, Object> e : extents) {
      int start = Math.toIntExact((Long) e.get("start"));
      int length = Math.toIntExact((Long) e.get("length"));
      byte[] expected = Arrays.copyOfRange(disk, start, start + length);
      String kind = (String) e.get("kind");
      int depth = Math.toIntExact((Long) e.get("depth"));
      kinds.add(kind + depth);
      if (kind.equals("zero")) {
        assertArrayEquals(new byte[length], expected, "disk at " + e + " reads as zeros");
        continue;
      }
      assertEquals(depth == 0 ? "data" : "parent", kind, e::toString);
      Path file = Path.of((String) e.get("file"));
      assertEquals(chain.get(2 - depth).toRealPath(), file.toRealPath(), e::toString);
      assertArrayEquals(expected, hostBytes(file, (Long) e.get("offset"), length),
          "host bytes of " + e);
    }
    assertEquals(Set.of("data0", "parent1", "parent2", "zero2"), kinds,
        "data at every depth, and space no image holds (depth: the base, as qemu-img map says)");
  }

  @Test
  void textShowsTheSameExtentsWithParentFileNames() throws IOException {
    Path top = CliFixtures.chain(dir).get(2);
    List<Map<String, Object>> extents = JsonReader.objects(ok("map", "--json", top.toString()));

    String text = ok("map", top.toString());

    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).matches("Offset +Length +Kind +Mapped to +File"), lines.get(0));
    assertEquals(extents.size(), lines.size() - 1, text);
    for (int i = 0; i < extents.size(); i++) {
      Map<String, Object> e = extents.get(i);
      List<String> row = List.of(lines.get(i + 1).trim().split(" +"));
      assertEquals(String.format("0x%016x", (Long) e.get("start")), row.get(0));
      assertEquals(String.format("0x%016x", (Long) e.get("length")), row.get(1));
      assertEquals(e.get("kind"), row.get(2));
      if (e.get("kind").equals("zero")) {
        assertEquals(List.of("-"), row.subList(3, row.size()));
      } else {
        assertEquals(String.format("0x%016x", (Long) e.get("offset")), row.get(3));
        assertEquals(e.get("file"), row.get(4));
      }
    }
    assertTrue(text.contains(" parent  "), text);
    assertTrue(text.contains("base.vhd"), text);
    assertTrue(text.contains("mid.vhd"), text);
  }

  /** Adjacent ranges that continue each other both on the disk and in the file, joined. */
  private static List<DataRange> merged(List<DataRange> ranges) {
    List<DataRange> out = new ArrayList<>();
    for (DataRange r : ranges) {
      DataRange last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && last.start() + last.length() == r.start()
          && last.hostOffset() + last.length() == r.hostOffset()) {
        out.set(out.size() - 1, new DataRange(last.start(), last.length() + r.length(),
            last.hostOffset()));
      } else {
        out.add(r);
      }
    }
    return out;
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
