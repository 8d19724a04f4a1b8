package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.DiskExtents;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Extent;
import io.vhdfs.nio.VhdImages.Extent.Kind;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.OpenedImages;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskExtents}: extents from the {@code vhd:} path the caller holds (issue 11, item 1),
 * checked against what was written, against reading every byte, and against {@code qemu-img map}.
 */
@ExtendWith(SeedExtension.class)
final class DiskExtentsTest {
  private static final int SECTOR = 512;
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @RegisterExtension final OpenedImages images = new OpenedImages();

  private static List<Extent> all(Path disk) throws IOException {
    try (Stream<Extent> s = DiskExtents.stream(disk, 0, Long.MAX_VALUE)) {
      return s.toList();
    }
  }

  /** Extents cover {@code [from, to)} exactly, in order, and neighbours of one kind are merged. */
  private static void assertTiling(List<Extent> extents, long from, long to) {
    long at = from;
    Extent previous = null;
    for (Extent e : extents) {
      assertEquals(at, e.offset(), "extents must follow one another: " + extents);
      assertTrue(e.length() > 0, "empty extent " + e);
      if (previous != null && previous.kind() == e.kind() && previous.depth() == e.depth()) {
        assertFalse(e.kind() == Kind.ZERO
            || previous.hostOffset() + previous.length() == e.hostOffset(),
            "unmerged neighbours " + previous + " " + e);
      }
      at = e.end();
      previous = e;
    }
    assertEquals(to, at, "extents must end at the end of the range: " + extents);
  }

  @Test
  void dataExtentsAreExactlyTheSectorsWritten() throws IOException {
    Path image = dir.resolve("d.vhd");
    Chains.createDynamic(image, 16L * MIB, 2 * MIB);
    Chains.write(image, 3 * MIB, new byte[8 * KIB]);
    Chains.write(image, 3 * MIB + 64 * KIB, new byte[SECTOR]);
    Chains.write(image, 6 * MIB - 4 * KIB, new byte[12 * KIB]); // crosses into the next block
    Path disk = images.disk(image);

    List<Extent> extents = all(disk);
    assertTiling(extents, 0, 16L * MIB);
    List<long[]> data = extents.stream().filter(e -> e.kind() == Kind.DATA)
        .map(e -> new long[] {e.offset(), e.length()}).toList();
    assertEquals(4, data.size(), extents.toString());
    assertEquals(List.of(3L * MIB, 8L * KIB), List.of(data.get(0)[0], data.get(0)[1]));
    assertEquals(List.of(3L * MIB + 64 * KIB, (long) SECTOR),
        List.of(data.get(1)[0], data.get(1)[1]));
    // Two blocks apart in the file: two extents, each with its own place in the image.
    assertEquals(6L * MIB - 4 * KIB, data.get(2)[0]);
    assertEquals(4L * KIB, data.get(2)[1]);
    assertEquals(6L * MIB, data.get(3)[0]);
    assertEquals(8L * KIB, data.get(3)[1]);
    for (Extent e : extents) {
      assertEquals(e.kind() == Kind.DATA ? image.toRealPath() : null,
          e.file() == null ? null : e.file().toRealPath(), e.toString());
      assertEquals(e.kind() == Kind.DATA, e.hostOffset() >= 0, e.toString());
    }
  }

  @Test
  void hostOffsetsPointAtTheBytesInTheImageFile(SeededRandom random) throws IOException {
    Path image = dir.resolve("h.vhd");
    Chains.createDynamic(image, 8L * MIB, 512 * KIB);
    byte[] content = new byte[8 * MIB];
    for (int i = 0; i < 12; i++) {
      int at = random.nextInt(8 * MIB / SECTOR - 64) * SECTOR;
      byte[] b = new byte[(1 + random.nextInt(64)) * SECTOR];
      random.nextBytes(b);
      Chains.write(image, at, b);
      System.arraycopy(b, 0, content, at, b.length);
    }
    byte[] file = Files.readAllBytes(image);
    for (Extent e : all(images.disk(image))) {
      for (long k = 0; k < e.length(); k++) {
        byte expected = content[(int) (e.offset() + k)];
        byte actual = e.kind() == Kind.DATA ? file[(int) (e.hostOffset() + k)] : 0;
        if (expected != actual) {
          throw new AssertionError("byte " + (e.offset() + k) + " of " + e + ": " + actual
              + " where the disk has " + expected);
        }
      }
    }
  }

  @Test
  void rangeQueriesStartAndEndInsideExtents() throws IOException {
    Path image = dir.resolve("r.vhd");
    Chains.createDynamic(image, 16L * MIB, 2 * MIB);
    Chains.write(image, 2 * MIB, new byte[4 * MIB]);
    Path disk = images.disk(image);
    try (DiskExtents extents = DiskExtents.open(disk);
        Stream<Extent> s = extents.extents(3 * MIB + 5, 9L * MIB + 7)) {
      List<Extent> list = s.toList();
      assertTiling(list, 3 * MIB + 5, 9L * MIB + 7);
      // Blocks 1 and 2 are not contiguous in the file (a bitmap lies between): two extents.
      assertEquals(List.of(Kind.DATA, Kind.DATA, Kind.ZERO),
          list.stream().map(Extent::kind).toList());
      assertEquals(4L * MIB, list.get(0).end());
      assertEquals(6L * MIB, list.get(1).end());
    }
    try (DiskExtents extents = DiskExtents.open(disk)) {
      assertEquals(0, extents.extents(20L * MIB, 30L * MIB).count(), "past the end: nothing");
      assertEquals(16L * MIB, extents.size());
      assertThrows(IllegalArgumentException.class, () -> extents.extents(5, 4));
    }
  }

  @Test
  void nextDataAndNextHoleAnswerAsSeekDataAndSeekHole() throws IOException {
    Path image = dir.resolve("s.vhd");
    Chains.createDynamic(image, 16L * MIB, 2 * MIB);
    Chains.write(image, 4 * MIB, new byte[SECTOR]);
    Chains.write(image, 10L * MIB, new byte[6 * MIB]); // data up to the end
    try (DiskExtents e = DiskExtents.open(images.disk(image))) {
      assertEquals(4L * MIB, e.nextData(0));
      assertEquals(4L * MIB, e.nextData(4L * MIB));
      assertEquals(4L * MIB + 100, e.nextData(4L * MIB + 100), "inside data: the offset itself");
      assertEquals(10L * MIB, e.nextData(4L * MIB + SECTOR));
      assertEquals(0, e.nextHole(0));
      assertEquals(4L * MIB + SECTOR, e.nextHole(4L * MIB));
      assertEquals(16L * MIB, e.nextHole(10L * MIB), "no hole before the end: the end");
      assertEquals(-1, e.nextData(16L * MIB));
      assertEquals(-1, e.nextHole(16L * MIB));
      assertThrows(IllegalArgumentException.class, () -> e.nextData(-1));
    }
    Path empty = dir.resolve("empty.vhd");
    Chains.createDynamic(empty, 4L * MIB, 2 * MIB);
    try (DiskExtents e = DiskExtents.open(images.disk(empty))) {
      assertEquals(-1, e.nextData(0), "an empty disk has no data");
      assertEquals(0, e.nextHole(0));
    }
  }

  @Test
  void copyLoopOnNextDataAndNextHoleReproducesTheDisk(SeededRandom random) throws IOException {
    Path image = dir.resolve("c.vhd");
    Chains.createDynamic(image, 12L * MIB, 64 * KIB);
    for (int i = 0; i < 40; i++) {
      byte[] b = new byte[(1 + random.nextInt(300)) * SECTOR];
      random.nextBytes(b);
      Chains.write(image, (long) random.nextInt(12 * MIB / SECTOR - 300) * SECTOR, b);
    }
    Path disk = images.disk(image);
    byte[] expected = Files.readAllBytes(disk);
    byte[] copy = new byte[expected.length];
    long copied = 0;
    try (DiskExtents e = DiskExtents.open(disk);
        FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long p = e.nextData(0);
      while (p >= 0) {
        long end = e.nextHole(p);
        assertTrue(end > p, "a hole after data must lie past it: " + p + " -> " + end);
        byte[] part = Chains.read(ch, p, (int) (end - p));
        System.arraycopy(part, 0, copy, (int) p, part.length);
        copied += part.length;
        p = e.nextData(end);
      }
    }
    Chains.assertSameBytes(expected, copy, 0, "copy made of data runs alone");
    long stored = all(disk).stream().filter(x -> x.kind() == Kind.DATA)
        .mapToLong(Extent::length).sum();
    assertEquals(stored, copied, "the loop copies the stored bytes and nothing else");
  }

  @Test
  void changedListsExactlyTheSectorsAChildHolds(SeededRandom random) throws IOException {
    Path base = dir.resolve("base.vhd");
    Chains.createDynamic(base, 8L * MIB, 2 * MIB);
    Chains.write(base, 0, Chains.randomBytes(8 * MIB, random.nextLong()));
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "base.vhd", 512 * KIB);
    BitSet held = new BitSet();
    for (int i = 0; i < 30; i++) {
      int sector = random.nextInt(8 * MIB / SECTOR - 40);
      int count = 1 + random.nextInt(40);
      Chains.write(child, (long) sector * SECTOR, new byte[count * SECTOR]);
      held.set(sector, sector + count);
    }
    Path disk = images.disk(child);
    BitSet reported = new BitSet();
    try (DiskExtents e = DiskExtents.open(disk);
        Stream<Extent> changed = e.changed(0, e.size())) {
      changed.forEach(x -> {
        assertEquals(0, x.depth());
        assertEquals(0, x.offset() % SECTOR);
        assertEquals(0, x.length() % SECTOR);
        reported.set((int) (x.offset() / SECTOR), (int) (x.end() / SECTOR));
      });
    }
    assertEquals(held, reported, "changed sectors");
    List<Extent> extents = all(disk);
    assertTiling(extents, 0, 8L * MIB);
    for (Extent x : extents) {
      assertTrue(x.kind() == Kind.DATA || x.kind() == Kind.PARENT, "a full parent: " + x);
      if (x.kind() == Kind.PARENT) {
        assertEquals(1, x.depth());
        assertEquals(base.toRealPath(), x.file().toRealPath());
      }
    }
  }

  @Test
  void grandchildExtentsNameTheImageAtEachDepth() throws IOException {
    Path base = dir.resolve("b.vhd");
    Chains.createDynamic(base, 6L * MIB, 2 * MIB);
    Chains.write(base, 0, new byte[SECTOR]);
    Path mid = dir.resolve("m.vhd");
    Chains.createChild(mid, "b.vhd", null);
    Chains.write(mid, 2 * MIB, new byte[SECTOR]);
    Path top = dir.resolve("t.vhd");
    Chains.createChild(top, "m.vhd", null);
    Chains.write(top, 4 * MIB, new byte[SECTOR]);
    List<Extent> extents = all(images.disk(top));
    assertTiling(extents, 0, 6L * MIB);
    List<String> shape = extents.stream().map(e -> e.kind() + "@" + e.depth() + "+" + e.length())
        .toList();
    assertEquals(List.of("PARENT@2+512", "ZERO@2+" + (2 * MIB - SECTOR), "PARENT@1+512",
        "ZERO@2+" + (2 * MIB - SECTOR), "DATA@0+512", "ZERO@2+" + (2 * MIB - SECTOR)), shape);
    assertEquals(base.toRealPath(), extents.get(0).file().toRealPath());
    assertEquals(mid.toRealPath(), extents.get(2).file().toRealPath());
  }

  @Test
  void fixedImagesAreOneDataExtent() throws IOException {
    Path image = dir.resolve("f.vhd");
    Chains.createFixed(image, 3L * MIB);
    List<Extent> extents = all(images.disk(image));
    assertEquals(1, extents.size());
    assertEquals(new Extent(0, 3L * MIB, true, 0, extents.get(0).file(), 0), extents.get(0));
  }

  @Test
  void extentsAgreeWithQemuImgMapOnAQemuWrittenImage() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("q.vhd");
    qemu.create(image, 32L * MIB, "subformat=dynamic");
    qemu.write(image, List.of(new Write(0x11, 0, 4096), new Write(0x22, 5L * MIB, 8192),
        new Write(0x33, 20L * MIB, 3 * MIB)));
    List<String> ours = new ArrayList<>();
    long size = Files.size(images.disk(image));
    for (Extent e : all(images.disk(image))) {
      ours.add(e.offset() + "+" + e.length() + (e.kind() == Kind.DATA ? " data" : " zero"));
    }
    List<String> theirs = new ArrayList<>();
    for (QemuTools.Extent e : qemu.map(image)) {
      if (e.start() < size) {
        theirs.add(e.start() + "+" + Math.min(e.length(), size - e.start())
            + (e.data() ? " data" : " zero"));
      }
    }
    assertEquals(theirs, ours);
  }

  @Test
  void notAVhdPathIsRefusedWithTheWayToGetOne() throws IOException {
    Path image = dir.resolve("x.vhd");
    Chains.createDynamic(image, MIB, 512 * KIB);
    ProviderMismatchException e =
        assertThrows(ProviderMismatchException.class, () -> DiskExtents.open(image));
    assertTrue(e.getMessage().contains("vhd:"), e.getMessage());
  }

  @Test
  void errorsNameTheImageFileNotTheDisk() throws IOException {
    Path image = dir.resolve("broken.vhd");
    Path good = dir.resolve("good.vhd");
    Chains.createDynamic(good, 8L * MIB, 2 * MIB);
    byte[] bytes = Files.readAllBytes(good);
    bytes[bytes.length - 512 + 64] ^= 1; // the end footer's checksum
    bytes[64] ^= 1; // and the copy's
    Files.write(image, bytes);
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    IOException e = assertThrows(IOException.class, () -> DiskExtents.open(Path.of(uri)).close());
    assertTrue(e instanceof VhdFormatException, e.toString());
    assertTrue(e.getMessage().contains(image.toString()), e.getMessage());
    assertFalse(e.getMessage().contains("/disk"), e.getMessage());
  }

  @Test
  void streamsHoldTheImageOnlyUntilClosed() throws IOException {
    Path image = dir.resolve("held.vhd");
    Chains.createDynamic(image, 4L * MIB, 2 * MIB);
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    Path disk = Path.of(uri);
    try {
      Stream<Extent> s = DiskExtents.stream(disk, 0, 4L * MIB);
      // An implicit file system takes new options only while nothing holds its image open.
      assertThrows(FileSystemAlreadyExistsException.class,
          () -> FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly")));
      assertEquals(1, s.count());
      s.close();
      FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly"));
    } finally {
      disk.getFileSystem().close();
    }
  }

  @Test
  void listApiOnTheImageFileMatchesTheStream() throws IOException {
    Path image = dir.resolve("l.vhd");
    Chains.createDynamic(image, 8L * MIB, 2 * MIB);
    Chains.write(image, MIB, new byte[3 * MIB]);
    assertEquals(VhdImages.extents(image, Map.of()).stream().map(e -> e.offset() + ":"
        + e.length() + ":" + e.kind()).toList(), all(images.disk(image)).stream()
        .map(e -> e.offset() + ":" + e.length() + ":" + e.kind()).toList());
  }
}
