package io.vhdfs.nio;

import static io.vhdfs.testing.PartitionTableBuilder.writeBootRecord;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.LogCapture;
import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Gpt;
import io.vhdfs.testing.PartitionTableBuilder.GptEntry;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partitions of an image's disk are files beside {@code /disk}: listed, looked up, opened as
 * bounded windows, named by URI, described by the {@code partition} view, and always as the
 * table on the disk says now.
 */
final class PartitionPathsTest {
  private static final int SECTOR = 512;
  /** 8 MiB: 16384 sectors. */
  private static final int SIZE = 8 << 20;
  private static final int BLOCK = 64 * 1024;

  @TempDir Path dir;

  /**
   * An MBR disk: p1 at sector 2048 (1 MiB, bootable, 0x83), p2 (0x0C) at 4096 for 2048 sectors,
   * p3 extended from 8192 holding logical p5 (0x83, 1000 sectors at 8193) and p6 (0x07, 2047
   * sectors at 10242). Every byte outside the table is numbered, so a read from the wrong place
   * shows.
   */
  private static byte[] mbrDisk() {
    byte[] disk = numbered(SIZE);
    Arrays.fill(disk, 0, SECTOR, (byte) 0);
    writeBootRecord(disk, SECTOR, 0, new Slot(0, 0x80, 0x83, 2048, 2048),
        Slot.of(1, 0x0C, 4096, 2048), Slot.of(2, 0x05, 8192, 8192));
    clearSector(disk, 8192);
    writeBootRecord(disk, SECTOR, 8192, Slot.of(0, 0x83, 1, 1000), Slot.of(1, 0x05, 2049, 2048));
    clearSector(disk, 10241);
    writeBootRecord(disk, SECTOR, 10241, Slot.of(0, 0x07, 1, 2047));
    return disk;
  }

  private static void clearSector(byte[] disk, long lba) {
    Arrays.fill(disk, (int) lba * SECTOR, (int) (lba + 1) * SECTOR, (byte) 0);
  }

  private static byte[] numbered(int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i / SECTOR * 31 + i);
    }
    return b;
  }

  /** A dynamic image of {@code disk}'s bytes, as the builder writes it. */
  private Path image(String name, byte[] disk) throws IOException {
    return image(dir.resolve(name), disk);
  }

  private static Path image(Path file, byte[] disk) throws IOException {
    VhdImageBuilder b = VhdImageBuilder.dynamic(disk.length).blockSize(BLOCK);
    for (int at = 0; at < disk.length; at += BLOCK) {
      byte[] block = Arrays.copyOfRange(disk, at, at + BLOCK);
      if (!Arrays.equals(block, new byte[BLOCK])) {
        b.write(at, block);
      }
    }
    b.writeTo(file);
    return file;
  }

  private static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  private static List<String> list(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      return s.map(Path::toString).toList();
    }
  }

  private static byte[] slice(byte[] disk, long start, long length) {
    return Arrays.copyOfRange(disk, (int) start, (int) (start + length));
  }

  @Test
  void rootListsTheDiskAndOneFilePerPartition() throws IOException {
    byte[] disk = mbrDisk();
    try (FileSystem fs = FileSystems.newFileSystem(image("mbr.vhd", disk), Map.of())) {
      Path root = fs.getPath("/");
      assertEquals(List.of("/disk", "/p1", "/p2", "/p5", "/p6"), list(root));
      try (DirectoryStream<Path> s = Files.newDirectoryStream(root, "p[0-9]")) {
        List<String> names = new ArrayList<>();
        s.forEach(p -> names.add(p.getFileName().toString()));
        assertEquals(List.of("p1", "p2", "p5", "p6"), names);
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(fs.getPath("."))) {
        assertEquals(List.of(fs.getPath("./disk"), fs.getPath("./p1"), fs.getPath("./p2"),
            fs.getPath("./p5"), fs.getPath("./p6")), toList(s),
            "entries are resolved against the directory as named");
      }
      for (String absent : new String[] {"/p3", "/p4", "/p7", "/p0", "/p01", "/p", "/px",
          "/p99999999999"}) {
        assertFalse(Files.exists(fs.getPath(absent)), absent);
      }
      Path p5 = fs.getPath("/p5");
      assertTrue(Files.exists(p5));
      assertTrue(Files.isRegularFile(p5));
      assertFalse(Files.isDirectory(p5));
      assertEquals(1000L * SECTOR, Files.size(p5));
      assertEquals(1000L * SECTOR,
          Files.readAttributes(p5, BasicFileAttributes.class).size());
      assertEquals(2047L * SECTOR, Files.size(fs.getPath("/", "p6")));
      assertEquals(fs.getPath("/p5"), fs.getPath("/disk/../p5").toRealPath());
      assertEquals(SIZE, Files.size(fs.getPath("/disk")));
    }
  }

  private static List<Path> toList(DirectoryStream<Path> s) {
    List<Path> out = new ArrayList<>();
    s.forEach(out::add);
    return out;
  }

  @Test
  void mbrPartitionAttributesSayWhatTheTableSays() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("attrs.vhd", mbrDisk()), Map.of())) {
      Path p1 = fs.getPath("/p1");
      Map<String, Object> all = Files.readAttributes(p1, "partition:*");
      Map<String, Object> expected = new LinkedHashMap<>();
      expected.put("number", 1);
      expected.put("scheme", "mbr");
      expected.put("start", 2048L * SECTOR);
      expected.put("size", 2048L * SECTOR);
      expected.put("type", "83");
      expected.put("name", null);
      expected.put("uuid", null);
      expected.put("bootable", true);
      expected.put("attributes", 0L);
      for (Map.Entry<String, Object> e : expected.entrySet()) {
        assertTrue(all.containsKey(e.getKey()), e.getKey());
        assertEquals(e.getValue(), all.get(e.getKey()), e.getKey());
      }
      assertEquals(true, all.get("isRegularFile"));
      assertEquals(Files.getLastModifiedTime(fs.getPath("/disk")), all.get("lastModifiedTime"));
      assertEquals(Map.of("type", "0C", "number", 2),
          Files.readAttributes(fs.getPath("/p2"), "partition:type,number"));
      PartitionAttributes p6 =
          Files.readAttributes(fs.getPath("/p6"), PartitionAttributes.class);
      assertEquals(6, p6.number());
      assertEquals("07", p6.type());
      assertEquals(10242L * SECTOR, p6.start());
      assertFalse(p6.bootable());
      PartitionAttributeView view = Files.getFileAttributeView(p1, PartitionAttributeView.class);
      assertEquals("partition", view.name());
      assertEquals(2048L * SECTOR, view.readAttributes().start());
      assertEquals(2048L * SECTOR, Files.readAttributes(p1, VhdFileAttributes.class).size(),
          "the vhd view of a partition has the partition's size");
      assertThrows(IllegalArgumentException.class,
          () -> Files.readAttributes(p1, "partition:nosuch"));
    }
  }

  @Test
  void partitionViewIsAbsentOnTheDiskAndTheRoot() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("noview.vhd", mbrDisk()), Map.of())) {
      assertTrue(fs.supportedFileAttributeViews().contains("partition"));
      assertTrue(fs.getFileStores().iterator().next()
          .supportsFileAttributeView(PartitionAttributeView.class));
      for (String entry : new String[] {"/disk", "/"}) {
        Path p = fs.getPath(entry);
        assertNull(Files.getFileAttributeView(p, PartitionAttributeView.class), entry);
        assertThrows(UnsupportedOperationException.class,
            () -> Files.readAttributes(p, PartitionAttributes.class), entry);
        assertThrows(UnsupportedOperationException.class,
            () -> Files.readAttributes(p, "partition:*"), entry);
      }
      Path p9 = fs.getPath("/p9");
      PartitionAttributeView view = Files.getFileAttributeView(p9, PartitionAttributeView.class);
      assertNotNull(view, "a view is handed out before anything is read");
      assertThrows(NoSuchFileException.class, view::readAttributes);
      assertThrows(NoSuchFileException.class, () -> Files.readAttributes(p9, "partition:*"));
    }
  }

  @Test
  void gptPartitionAttributesIncludeNameGuidAndFlags() throws IOException {
    byte[] disk = new byte[SIZE];
    UUID unique = UUID.fromString("b858d7e3-a139-4199-847c-c26279c93aee");
    new Gpt(SECTOR, SIZE / SECTOR)
        .entry(0, 2048, 4095, "boot")
        .entry(3, new GptEntry(PartitionTableBuilder.BASIC_DATA, unique, 4096, 8191,
            0x4L | 1L << 60, "data"))
        .writeTo(disk);
    try (FileSystem fs = FileSystems.newFileSystem(image("gpt.vhd", disk), Map.of())) {
      assertEquals(List.of("/disk", "/p1", "/p4"), list(fs.getPath("/")));
      PartitionAttributes p4 = Files.readAttributes(fs.getPath("/p4"), PartitionAttributes.class);
      assertEquals("gpt", p4.scheme());
      assertEquals("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", p4.type());
      assertEquals("data", p4.name());
      assertEquals(unique, p4.uuid());
      assertEquals(0x4L | 1L << 60, p4.attributes());
      assertTrue(p4.bootable());
      assertEquals(4096L * SECTOR, p4.start());
      assertEquals(4096L * SECTOR, p4.size());
      assertEquals(Map.of("name", "boot", "scheme", "gpt"),
          Files.readAttributes(fs.getPath("/p1"), "partition:name,scheme"));
    }
  }

  @Test
  void partitionUriRoundTripsWithoutNewFileSystem() throws IOException {
    byte[] disk = mbrDisk();
    Path image = image("uri #1.vhd", disk);
    URI uri = URI.create(uriOf(image) + "#/p2");
    Path p2 = Path.of(uri);
    try {
      assertEquals("/p2", p2.toString());
      assertEquals(p2.getFileSystem().getPath("/p2"), p2);
      assertEquals(uri, p2.toUri());
      assertEquals("/p2", p2.toUri().getFragment());
      assertEquals(p2, Path.of(p2.toUri()));
      Path diskPath = p2.resolveSibling("disk");
      assertNull(diskPath.toUri().getFragment(), "the disk's URI has no fragment");
      assertEquals(diskPath, Path.of(uriOf(image)));
      Path p5 = p2.getFileSystem().getPath("p5");
      assertEquals(p5.toAbsolutePath(), Path.of(p5.toUri()));
      assertArrayEquals(slice(disk, 4096L * SECTOR, 2048L * SECTOR), Files.readAllBytes(p2));
    } finally {
      p2.getFileSystem().close();
    }
  }

  @Test
  void partitionChannelIsABoundedWindowOntoTheDisk() throws IOException {
    byte[] disk = mbrDisk();
    long start = 8193L * SECTOR;
    long size = 1000L * SECTOR;
    try (FileSystem fs = FileSystems.newFileSystem(image("window.vhd", disk), Map.of())) {
      Path p5 = fs.getPath("/p5");
      try (FileChannel ch = FileChannel.open(p5, READ, WRITE)) {
        assertEquals(size, ch.size());
        ByteBuffer all = ByteBuffer.allocate((int) size + 4096);
        while (ch.read(all) > 0) {
          // until the end
        }
        assertEquals(size, all.position());
        assertArrayEquals(slice(disk, start, size), Arrays.copyOf(all.array(), (int) size));
        assertEquals(-1, ch.read(ByteBuffer.allocate(1), size));
        assertEquals(-1, ch.read(ByteBuffer.allocate(1)));

        IOException past = assertThrows(IOException.class,
            () -> ch.write(ByteBuffer.wrap(new byte[5]), size - 4));
        assertTrue(past.getMessage().contains("would pass the end of the partition"),
            past.getMessage());
        assertThrows(IOException.class,
            () -> ch.write(new ByteBuffer[] {ByteBuffer.allocate(3), ByteBuffer.allocate(3)}));
        assertThrows(IOException.class, () -> ch.truncate(size - 1));
        ch.truncate(size);
        assertEquals(4, ch.write(ByteBuffer.wrap(new byte[] {9, 8, 7, 6}), size - 4));
        assertEquals(2, ch.write(ByteBuffer.wrap(new byte[] {5, 4}), 0));
        ch.force(true);
      }
      byte[] now = Files.readAllBytes(fs.getPath("/disk"));
      byte[] expected = disk.clone();
      System.arraycopy(new byte[] {9, 8, 7, 6}, 0, expected, (int) (start + size - 4), 4);
      System.arraycopy(new byte[] {5, 4}, 0, expected, (int) start, 2);
      assertArrayEquals(expected, now, "only the two writes changed the disk, where they belong");
    }
  }

  @Test
  void tableWrittenThroughTheDiskIsSeenByTheNextLookup() throws IOException {
    Path image = image("blank.vhd", new byte[SIZE]);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of());
        SeekableByteChannel diskCh = Files.newByteChannel(fs.getPath("/disk"), READ, WRITE)) {
      Path root = fs.getPath("/");
      assertEquals(List.of("/disk"), list(root));
      assertFalse(Files.exists(fs.getPath("/p1")));

      byte[] mbr = new byte[SECTOR];
      writeBootRecord(mbr, SECTOR, 0, Slot.of(0, 0x83, 2048, 100), Slot.of(3, 0x83, 4096, 10));
      diskCh.write(ByteBuffer.wrap(mbr));
      assertEquals(List.of("/disk", "/p1", "/p4"), list(root));
      assertEquals(100L * SECTOR, Files.size(fs.getPath("/p1")));

      byte[] gpt = new byte[SIZE];
      new Gpt(SECTOR, SIZE / SECTOR).entry(1, 2048, 2057, "new").writeTo(gpt);
      diskCh.position(0).write(ByteBuffer.wrap(gpt));
      assertEquals(List.of("/disk", "/p2"), list(root));
      assertFalse(Files.exists(fs.getPath("/p1")));
      assertEquals("new", Files.readAttributes(fs.getPath("/p2"), "partition:name").get("name"));
    }
    // Another file system on the image reads the table the first one wrote.
    try (FileSystem again = FileSystems.newFileSystem(image, Map.of())) {
      assertEquals(List.of("/disk", "/p2"), list(again.getPath("/")));
    }
  }

  @Test
  void openPartitionChannelKeepsItsWindowWhileTheTableChanges() throws IOException {
    byte[] disk = mbrDisk();
    try (FileSystem fs = FileSystems.newFileSystem(image("keep.vhd", disk), Map.of());
        FileChannel p1 = FileChannel.open(fs.getPath("/p1"), READ)) {
      try (FileChannel d = FileChannel.open(fs.getPath("/disk"), WRITE)) {
        d.write(ByteBuffer.wrap(new byte[SECTOR]), 0); // the table is gone
      }
      assertEquals(List.of("/disk"), list(fs.getPath("/")));
      assertEquals(2048L * SECTOR, p1.size());
      ByteBuffer b = ByteBuffer.allocate(SECTOR);
      p1.read(b, 0);
      assertArrayEquals(slice(disk, 2048L * SECTOR, SECTOR), b.array());
      assertThrows(NoSuchFileException.class, () -> FileChannel.open(fs.getPath("/p1")));
    }
  }

  @Test
  void readOnlyFileSystemRefusesPartitionWrites() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("ro.vhd", mbrDisk()),
        Map.of("accessMode", "readOnly"))) {
      Path p1 = fs.getPath("/p1");
      assertThrows(ReadOnlyFileSystemException.class, () -> Files.newByteChannel(p1, WRITE));
      assertThrows(ReadOnlyFileSystemException.class, () -> Files.newOutputStream(p1));
      assertEquals(2048L * SECTOR, Files.readAllBytes(p1).length);
    }
  }

  @Test
  void missingPartitionIsNoSuchFileSayingWhatTheTableLists() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("missing.vhd", mbrDisk()), Map.of())) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class,
          () -> Files.newByteChannel(fs.getPath("/p4")));
      assertTrue(e.getMessage().contains("no partition 4: the mbr partition table of ")
          && e.getMessage().contains("missing.vhd lists /p1, /p2, /p5, /p6"), e.getMessage());
      assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(fs.getPath("/p02")));
      assertThrows(NoSuchFileException.class,
          () -> Files.newByteChannel(fs.getPath("/p4"), WRITE, StandardOpenOption.CREATE_NEW));
      assertThrows(java.nio.file.FileAlreadyExistsException.class,
          () -> Files.newByteChannel(fs.getPath("/p1"), WRITE, StandardOpenOption.CREATE_NEW));
    }
    try (FileSystem fs = FileSystems.newFileSystem(image("none.vhd", new byte[SIZE]), Map.of())) {
      NoSuchFileException e = assertThrows(NoSuchFileException.class,
          () -> Files.size(fs.getPath("/p1")));
      assertTrue(e.getMessage().contains("no partition 1: the disk of ")
          && e.getMessage().contains("none.vhd has no partition table"), e.getMessage());
    }
  }

  @Test
  void copiesStreamsAndTransfersWorkOnPartitions() throws IOException {
    byte[] disk = mbrDisk();
    byte[] p6 = slice(disk, 10242L * SECTOR, 2047L * SECTOR);
    try (FileSystem fs = FileSystems.newFileSystem(image("copy.vhd", disk), Map.of())) {
      Path part = fs.getPath("/p6");
      Path out = dir.resolve("p6.raw");
      Files.copy(part, out);
      assertArrayEquals(p6, Files.readAllBytes(out));
      try (InputStream in = Files.newInputStream(part)) {
        assertArrayEquals(p6, in.readAllBytes());
      }
      Path viaTransfer = dir.resolve("p6.transfer");
      try (FileChannel from = FileChannel.open(part);
          FileChannel to = FileChannel.open(viaTransfer, StandardOpenOption.CREATE_NEW, WRITE)) {
        long done = 0;
        while (done < from.size()) {
          done += from.transferTo(done, Long.MAX_VALUE, to);
        }
      }
      assertArrayEquals(p6, Files.readAllBytes(viaTransfer));

      byte[] fresh = numbered(3 * SECTOR);
      Arrays.fill(fresh, 0, 10, (byte) 0x42);
      try (OutputStream os = Files.newOutputStream(part)) {
        os.write(fresh);
      }
      Path src = Files.write(dir.resolve("src"), new byte[] {1, 2, 3});
      try (FileChannel from = FileChannel.open(src);
          FileChannel to = FileChannel.open(part, WRITE)) {
        assertEquals(3, to.transferFrom(from, 2047L * SECTOR - 3, 100));
        assertEquals(0, to.transferFrom(from, 2047L * SECTOR, 100), "stops at the end");
      }
      byte[] expected = p6.clone();
      System.arraycopy(fresh, 0, expected, 0, fresh.length);
      System.arraycopy(new byte[] {1, 2, 3}, 0, expected, expected.length - 3, 3);
      assertArrayEquals(expected, Files.readAllBytes(part));
      byte[] wholeDisk = Files.readAllBytes(fs.getPath("/disk"));
      assertArrayEquals(slice(disk, 0, 10242L * SECTOR), slice(wholeDisk, 0, 10242L * SECTOR));
      assertArrayEquals(slice(disk, 12289L * SECTOR, SIZE - 12289L * SECTOR),
          slice(wholeDisk, 12289L * SECTOR, SIZE - 12289L * SECTOR));
    }
  }

  @Test
  void malformedTableLeavesBadEntriesOutAndLogsTheReasonOnce() throws Exception {
    byte[] disk = mbrDisk();
    // p6's EBR links back to p5's: a loop.
    writeBootRecord(disk, SECTOR, 10241, Slot.of(0, 0x07, 1, 2047), Slot.of(1, 0x05, 0, 1));
    // p2 runs past the end of the disk.
    writeBootRecord(disk, SECTOR, 0, new Slot(0, 0x80, 0x83, 2048, 2048),
        Slot.of(1, 0x0C, 4096, SIZE / SECTOR), Slot.of(2, 0x05, 8192, 8192));
    Path image = image("loop.vhd", disk);
    try (LogCapture log = new LogCapture("io.vhdfs");
        FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      for (int i = 0; i < 3; i++) {
        assertEquals(List.of("/disk", "/p1", "/p5", "/p6"), list(fs.getPath("/")));
        assertEquals(SIZE, Files.size(fs.getPath("/disk")));
      }
      List<String> warnings = log.warnings();
      assertEquals(2, warnings.size(), "each reason once: " + warnings);
      assertTrue(warnings.stream().allMatch(w -> w.startsWith(image.toString() + ": ")),
          warnings.toString());
      assertTrue(warnings.stream().anyMatch(w -> w.contains("loops back to sector 8192")),
          warnings.toString());
      assertTrue(warnings.stream().anyMatch(w -> w.contains("MBR partition 2")),
          warnings.toString());
    }
  }

  @Test
  void sameFileMeansSameEntryOfTheSameImage() throws IOException {
    Path image = image("same.vhd", mbrDisk());
    try (FileSystem a = FileSystems.newFileSystem(image, Map.of());
        FileSystem b = FileSystems.newFileSystem(image, Map.of())) {
      assertTrue(Files.isSameFile(a.getPath("/p1"), b.getPath("/p1")));
      assertTrue(Files.isSameFile(a.getPath("/p1"), a.getPath("/disk/../p1")));
      assertFalse(Files.isSameFile(a.getPath("/p1"), b.getPath("/p2")));
      assertFalse(Files.isSameFile(a.getPath("/p1"), a.getPath("/disk")));
    }
  }

  @Test
  void partitionLocksAreItsOwnAsAnotherFilesWouldBe() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("locks.vhd", mbrDisk()), Map.of());
        FileChannel p1 = FileChannel.open(fs.getPath("/p1"), READ, WRITE);
        FileChannel p2 = FileChannel.open(fs.getPath("/p2"), READ, WRITE);
        FileChannel d = FileChannel.open(fs.getPath("/disk"), READ, WRITE)) {
      try (FileLock a = p1.lock(0, 10, false);
          FileLock b = p2.lock(0, 10, false);
          FileLock c = d.lock(0, 10, false)) {
        assertTrue(a.isValid() && b.isValid() && c.isValid());
        assertThrows(java.nio.channels.OverlappingFileLockException.class,
            () -> p1.tryLock(5, 10, false));
      }
    }
  }

  /**
   * A 16 MiB disk (64 KiB blocks) with p1 at sector 2049 for 8192 sectors: data in its first
   * 10 KiB and in 4 KiB from 2 MiB, zeros elsewhere; the sectors just past p1 hold data.
   */
  private static byte[] sparsePartitionDisk() {
    byte[] disk = new byte[16 << 20];
    writeBootRecord(disk, SECTOR, 0, Slot.of(0, 0x83, 2049, 8192));
    long start = 2049L * SECTOR;
    byte[] data = numbered(10 * 1024);
    System.arraycopy(data, 0, disk, (int) start, data.length);
    System.arraycopy(data, 0, disk, (int) start + (2 << 20), 4096);
    System.arraycopy(data, 0, disk, (int) start + 8192 * SECTOR, 4096);
    return disk;
  }

  @Test
  void extentsOfAPartitionAreItsOwnFromItsStart() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image("ext.vhd", sparsePartitionDisk()),
        Map.of())) {
      Path p1 = fs.getPath("/p1");
      long size = 8192L * SECTOR;
      try (DiskExtents extents = DiskExtents.open(p1)) {
        assertEquals(size, extents.size());
        assertEquals(0, extents.nextData(0));
        long hole = extents.nextHole(0);
        assertTrue(hole >= 10 * 1024 && hole < 2 << 20, "hole at " + hole);
        long data = extents.nextData(hole);
        assertTrue(data <= 2 << 20 && data > hole, "data at " + data);
        List<VhdImages.Extent> all;
        try (Stream<VhdImages.Extent> st = extents.extents(0, Long.MAX_VALUE)) {
          all = st.toList();
        }
        assertEquals(size, all.get(all.size() - 1).end(), "clipped to the partition: " + all);
        // The disk's own extents over the partition's bytes, cut at its ends, shifted to 0.
        List<VhdImages.Extent> disk;
        long start = 2049L * SECTOR;
        try (Stream<VhdImages.Extent> st = DiskExtents.stream(fs.getPath("/disk"), start,
            start + size)) {
          disk = st.map(e -> new VhdImages.Extent(e.offset() - start, e.length(), e.data(),
              e.depth(), e.file(), e.hostOffset())).toList();
        }
        assertEquals(disk, all);
        Path hostImage = ((VhdFileSystem) fs).image();
        for (VhdImages.Extent e : all) {
          if (e.data()) {
            // The bytes at the host offset are the partition's at the extent's offset.
            ByteBuffer host = ByteBuffer.allocate(512);
            ByteBuffer part = ByteBuffer.allocate(512);
            try (FileChannel img = FileChannel.open(hostImage);
                FileChannel ch = FileChannel.open(p1)) {
              img.read(host, e.hostOffset());
              ch.read(part, e.offset());
            }
            assertArrayEquals(part.array(), host.array(), "extent " + e);
          }
        }
      }
    }
  }

  @Test
  void transferToFromAPartitionSendsOnlyItsBytes() throws IOException {
    byte[] disk = sparsePartitionDisk();
    long start = 2049L * SECTOR;
    long size = 8192L * SECTOR;
    try (FileSystem fs = FileSystems.newFileSystem(image("send.vhd", disk), Map.of())) {
      Path out = dir.resolve("p1.raw");
      try (FileChannel from = FileChannel.open(fs.getPath("/p1"));
          FileChannel to = FileChannel.open(out, StandardOpenOption.CREATE_NEW, WRITE)) {
        assertEquals(size, from.transferTo(0, Long.MAX_VALUE, to));
        assertEquals(size, to.size());
      }
      assertArrayEquals(slice(disk, start, size), Files.readAllBytes(out));
    }
  }

  @Test
  void restoreOntoAPartitionWritesItsWindowOnly() throws IOException {
    byte[] disk = mbrDisk();
    long start = 4096L * SECTOR;
    long size = 2048L * SECTOR;
    Path image = image("restore.vhd", disk);
    byte[] backup = numbered(5000);
    Arrays.fill(backup, 0, 100, (byte) 0x77);
    Path source = Files.write(dir.resolve("backup.raw"), backup);
    Path p2 = Path.of(URI.create(uriOf(image) + "#/p2"));
    try {
      VhdImages.Restore r = VhdImages.restore(source, p2);
      assertEquals(size, r.targetSize());
      byte[] expected = disk.clone();
      Arrays.fill(expected, (int) start, (int) (start + size), (byte) 0);
      System.arraycopy(backup, 0, expected, (int) start, backup.length);
      assertArrayEquals(expected, Files.readAllBytes(p2.resolveSibling("disk")));
      Path tooBig = Files.write(dir.resolve("big.raw"), new byte[(int) size + 1]);
      assertThrows(java.nio.file.FileSystemException.class, () -> VhdImages.restore(tooBig, p2));
      assertArrayEquals(expected, Files.readAllBytes(p2.resolveSibling("disk")));
    } finally {
      p2.getFileSystem().close();
    }
  }

  @Test
  void partitionsOfAnImageOnAnInMemoryHost() throws IOException {
    byte[] disk = mbrDisk();
    try (FileSystem host = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = image(host.getPath("/a.vhd"), disk);
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
        assertEquals(List.of("/disk", "/p1", "/p2", "/p5", "/p6"), list(fs.getPath("/")));
        assertArrayEquals(slice(disk, 8193L * SECTOR, 1000L * SECTOR),
            Files.readAllBytes(fs.getPath("/p5")));
        Files.getFileAttributeView(fs.getPath("/p5"), PartitionAttributeView.class)
            .setTimes(java.nio.file.attribute.FileTime.fromMillis(0), null, null);
        assertEquals(0, Files.getLastModifiedTime(image).toMillis());
        assertNotNull(Files.getFileAttributeView(fs.getPath("/p5"),
            BasicFileAttributeView.class));
      }
    }
  }
}
