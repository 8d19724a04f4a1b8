package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Restore;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link VhdImages#restore} (issue 11, item 3): the source's bytes, raw from any provider or an
 * image's disk, go onto a disk from its start and zeros follow to its end, for every kind of
 * target and source; zeros of the source allocate nothing where the target reads as zeros, and
 * blocks that end up as zeros at the end of the image file are given back; a differencing target
 * reads zeros over its parent's data; a source too large changes nothing; progress counts the
 * target's bytes; a backup restored after changes is the backup again in qemu-img and libvhdi;
 * and deleting a disk, as {@code Files.copy(raw, disk, REPLACE_EXISTING)} does, is refused with
 * a message that names the restore.
 */
@ExtendWith(SeedExtension.class)
final class RestoreTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 512 * KIB;
  private static final long SIZE = 8L * MIB;

  @TempDir Path dir;

  // ---------------------------------------------------------------- bytes, then zeros

  @Test
  void rawSourceIsWrittenFromTheStartThenZerosToTheEnd(SeededRandom random) throws IOException {
    Path image = dynamicFullOfData("target.vhd", random.nextLong());
    byte[] source = new byte[5 * MIB + 100];
    put(source, 0, Chains.randomBytes(3 * BLOCK / 2, random.nextLong()));
    put(source, 2 * MIB + 4096, Chains.randomBytes(3000, random.nextLong()));
    put(source, 5 * MIB, Chains.randomBytes(100, random.nextLong()));
    Path raw = Files.write(dir.resolve("backup.raw"), source);

    Restore r;
    try (FileSystem fs = Chains.open(image)) {
      r = VhdImages.restore(raw, fs.getPath("/disk"));
    }

    assertEquals(source.length, r.sourceSize());
    assertEquals(SIZE, r.targetSize());
    assertEquals(3 * BLOCK / 2 + 4096 + 100, r.bytesWritten(),
        "the 4 KiB grains with data, the last cut short by the end of the source");
    assertRestored(image, source);
  }

  /** Every kind of target takes every kind of source, each read as its disk. */
  @ParameterizedTest(name = "{0} target, {1} source")
  @MethodSource("kinds")
  void everyKindOfTargetTakesEveryKindOfSource(String targetKind, String sourceKind,
      SeededRandom random) throws IOException {
    Path target = image(targetKind, "target", random.nextLong());
    List<Path> belowTarget = targetKind.equals("differencing")
        ? List.of(dir.resolve("target-parent.vhd")) : List.of();
    var parentHashes = Chains.hashes(belowTarget);
    // Data, a zero run over the target's data and its parent's, data across a block boundary.
    byte[] source = new byte[6 * MIB];
    put(source, 100, Chains.randomBytes(MIB, random.nextLong()));
    put(source, 3 * MIB - 5000, Chains.randomBytes(10_000, random.nextLong()));
    put(source, 6 * MIB - 512, Chains.randomBytes(512, random.nextLong()));

    Restore r;
    try (Source s = source(sourceKind, source, random.nextLong());
        FileSystem fs = Chains.open(target)) {
      r = VhdImages.restore(s.path(), fs.getPath("/disk"));
    }

    assertEquals(source.length, r.sourceSize());
    assertRestored(target, source);
    Chains.assertUnchanged(parentHashes, "by a restore onto its child");
  }

  static Stream<Arguments> kinds() {
    List<Arguments> all = new ArrayList<>();
    for (String target : List.of("dynamic", "fixed", "differencing")) {
      for (String source : List.of("raw", "dynamic", "fixed", "differencing")) {
        all.add(Arguments.of(target, source));
      }
    }
    return all.stream();
  }

  @Test
  void rawSourceOnAnotherProviderIsRead(SeededRandom random) throws IOException {
    Path image = dynamicFullOfData("target.vhd", random.nextLong());
    byte[] source = Chains.randomBytes(MIB + 3, random.nextLong());
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix());
        FileSystem fs = Chains.open(image)) {
      Path raw = Files.write(jimfs.getPath("/backup.raw"), source);
      VhdImages.restore(raw, fs.getPath("/disk"));
    }

    assertRestored(image, source);
  }

  // ---------------------------------------------------------------- sparse

  @Test
  void sparseRawSourceAllocatesNoBlockForItsHoles(SeededRandom random) throws IOException {
    Path raw = dir.resolve("sparse.raw");
    byte[] a = Chains.randomBytes(4096, random.nextLong());
    byte[] b = Chains.randomBytes(512, random.nextLong());
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(16L * MIB);
      f.seek(4L * MIB);
      f.write(a);
      f.seek(13L * MIB + 512);
      f.write(b);
    }
    Path image = dir.resolve("new.vhd");
    Chains.createDynamic(image, 16L * MIB, 2 * MIB);
    long emptyFile = Files.size(image);

    Restore r;
    try (FileSystem fs = Chains.open(image)) {
      r = VhdImages.restore(raw, fs.getPath("/disk"));
    }

    assertEquals(4096 + 4096, r.bytesWritten(), "the two 4 KiB grains holding data");
    assertEquals(2, Chains.allocatedBlocks(image), "blocks 2 and 6, no block for the holes");
    assertTrue(Files.size(image) <= emptyFile + 2 * (2 * MIB + 8192),
        "two blocks more than the empty image: " + Files.size(image));
    assertRestored(image, Files.readAllBytes(raw));
  }

  // ---------------------------------------------------------------- blocks that become zeros

  @Test
  void zeroBlocksAtTheEndOfTheImageFileAreGivenBackAndTheFileShrinks(SeededRandom random)
      throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, SIZE, BLOCK);
    Chains.write(image, 0, Chains.randomBytes(2 * BLOCK, random.nextLong()));
    Path backup = backup(image, dir.resolve("backup.raw"));
    long backedUpFile = Files.size(image);
    // Blocks 6 and 3, allocated after the backup's, at the end of the file in that order.
    Chains.write(image, 6L * BLOCK + 1000, Chains.randomBytes(5000, random.nextLong()));
    Chains.write(image, 3L * BLOCK, Chains.randomBytes(BLOCK, random.nextLong()));
    assertEquals(4, Chains.allocatedBlocks(image), "fixture");

    try (FileSystem fs = Chains.open(image)) {
      VhdImages.restore(backup, fs.getPath("/disk"));
    }

    assertEquals(2, Chains.allocatedBlocks(image), "blocks 3 and 6 given back");
    assertEquals(backedUpFile, Files.size(image), "the file as long as when backed up");
    assertRestored(image, Files.readAllBytes(backup));
  }

  /**
   * VHD keeps no free-space map: a block given back below one that stays would be a hole that
   * nothing reuses and {@code vhd check} reports, so it keeps its place and reads as zeros.
   */
  @Test
  void zeroBlockBelowOneThatStaysKeepsItsPlaceAndReadsAsZeros(SeededRandom random)
      throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, SIZE, BLOCK);
    Chains.write(image, 0, Chains.randomBytes(3 * BLOCK, random.nextLong()));
    long fileBefore = Files.size(image);
    byte[] source = new byte[(int) SIZE];
    put(source, 0, Chains.randomBytes(BLOCK, random.nextLong()));
    put(source, 2 * BLOCK, Chains.randomBytes(BLOCK, random.nextLong()));

    try (FileSystem fs = Chains.open(image)) {
      VhdImages.restore(Files.write(dir.resolve("backup.raw"), source), fs.getPath("/disk"));
    }

    assertEquals(3, Chains.allocatedBlocks(image), "block 1 lies below block 2, which stays");
    assertEquals(fileBefore, Files.size(image));
    assertRestored(image, source);
  }

  @Test
  void differencingTargetReadsZerosOverItsParentsDataAndAllocatesNothingOverItsZeros(
      SeededRandom random) throws IOException {
    Path parent = dir.resolve("parent.vhd");
    Chains.createDynamic(parent, SIZE, BLOCK);
    Chains.write(parent, 0, Chains.randomBytes(4 * BLOCK, random.nextLong()));
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", BLOCK);
    // The child's own data over the parent's, then over its zeros: the last block in its file.
    Chains.write(child, 0, Chains.randomBytes(4 * BLOCK, random.nextLong()));
    Chains.write(child, 9L * BLOCK, Chains.randomBytes(BLOCK, random.nextLong()));
    var parentHash = Chains.hashes(List.of(parent));
    byte[] source = new byte[(int) SIZE];
    put(source, 0, Chains.randomBytes(BLOCK, random.nextLong())); // block 1: zeros over data
    put(source, 2 * BLOCK + BLOCK / 2, Chains.randomBytes(BLOCK / 2, random.nextLong()));
    put(source, 3 * BLOCK, Chains.randomBytes(100, random.nextLong()));

    try (FileSystem fs = Chains.open(child)) {
      VhdImages.restore(Files.write(dir.resolve("backup.raw"), source), fs.getPath("/disk"));
    }

    assertSameBytes(source, Chains.readDisk(child), 0, "the chain after the restore");
    assertEquals(4, Chains.allocatedBlocks(child), "blocks 0-3, over the parent's data; block 9 "
        + "given back, since the parent reads as zeros there; nothing for 4-15");
    Chains.assertUnchanged(parentHash, "by a restore onto its child");
    assertCheckedClean(child);
    Libvhdi libvhdi = Libvhdi.require();
    List<Libvhdi.Window> windows = Libvhdi.chunks(SIZE, BLOCK);
    Path raw = Files.write(dir.resolve("expected.raw"), source);
    try (FileChannel ch = FileChannel.open(raw)) {
      assertEquals(Libvhdi.hashes(ch, windows),
          libvhdi.readChain(List.of(child, parent), windows, BLOCK, dir).lines(),
          "libvhdi reading the chain");
    }
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void sourceLargerThanTheTargetIsRefusedAndTheImageIsUntouched(SeededRandom random)
      throws IOException {
    Path image = dynamicFullOfData("target.vhd", random.nextLong());
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("big.raw"), new byte[(int) SIZE + 1]);

    try (FileSystem fs = Chains.open(image)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.restore(raw, fs.getPath("/disk")));
      assertEquals(raw.toString(), e.getFile());
      assertEquals(image.toString(), e.getOtherFile(), "the image, not /disk");
      assertTrue(e.getReason().contains((SIZE + 1) + " bytes do not fit the target's " + SIZE)
          && e.getReason().contains("nothing was written"), e.getMessage());
    }

    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void targetOutsideTheVhdProviderIsRefused() throws IOException {
    Path raw = Files.write(dir.resolve("a.raw"), new byte[4096]);
    Path other = Files.write(dir.resolve("b.raw"), Chains.randomBytes(4096, 1));

    assertThrows(ProviderMismatchException.class, () -> VhdImages.restore(raw, other));
    assertArrayEquals(Chains.randomBytes(4096, 1), Files.readAllBytes(other));
  }

  @Test
  void targetOnAReadOnlyFileSystemIsRefused(SeededRandom random) throws IOException {
    Path image = dynamicFullOfData("target.vhd", random.nextLong());
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("a.raw"), new byte[4096]);

    try (FileSystem fs = Chains.vhd().newFileSystem(image, Map.of("accessMode", "readOnly"))) {
      assertThrows(ReadOnlyFileSystemException.class,
          () -> VhdImages.restore(raw, fs.getPath("/disk")));
    }
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  // ---------------------------------------------------------------- progress

  @Test
  void progressCountsTheTargetsBytesUpToItsSize(SeededRandom random) throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, 600L * MIB, 2 * MIB);
    Path raw = Files.write(dir.resolve("backup.raw"), Chains.randomBytes(3 * MIB, 7));
    List<long[]> calls = new ArrayList<>();

    try (FileSystem fs = Chains.open(image)) {
      VhdImages.restore(raw, fs.getPath("/disk"), (done, total) -> calls.add(
          new long[] {done, total}));
    }

    assertTrue(calls.size() >= 3 + 2, "a call per MiB of source and per piece of zeros: "
        + calls.size());
    long last = 0;
    for (long[] c : calls) {
      assertEquals(600L * MIB, c[1], "total: the target's size");
      assertTrue(c[0] >= last && c[0] <= c[1], "done grows up to the total: " + c[0]);
      last = c[0];
    }
    assertEquals(600L * MIB, last, "the last call says all is done");
  }

  // ---------------------------------------------------------------- the round trip

  @Test
  void backupChangesRestoreIsTheBackupAgainInQemuImgAndLibvhdi(SeededRandom random)
      throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, 16L * MIB, 2 * MIB);
    Chains.write(image, 0, Chains.randomBytes(MIB, random.nextLong()));
    Chains.write(image, 5L * MIB + 333, Chains.randomBytes(70_000, random.nextLong()));
    Chains.write(image, 12L * MIB, Chains.randomBytes(2 * MIB, random.nextLong()));
    long blocks = Chains.allocatedBlocks(image);
    Path backup = backup(image, dir.resolve("backup.raw"));
    // Changes: over data, over zeros in an allocated block, in new blocks, zeros over data.
    Chains.write(image, 100, Chains.randomBytes(5000, random.nextLong()));
    Chains.write(image, 5L * MIB - 4096, Chains.randomBytes(9000, random.nextLong()));
    Chains.write(image, 9L * MIB, Chains.randomBytes(3 * MIB, random.nextLong()));
    Chains.write(image, 12L * MIB + 8192, new byte[100_000]);

    try (FileSystem fs = Chains.open(image)) {
      VhdImages.restore(backup, fs.getPath("/disk"));
    }

    assertEquals(blocks, Chains.allocatedBlocks(image), "the new blocks given back");
    assertEquals(-1, VhdImages.compare(image, backup, Map.of(), VhdImages.Progress.NONE));
    QemuTools.Exit exit = QemuTools.require().compare(image, backup);
    assertEquals(0, exit.code(), "qemu-img compare with the backup: " + exit.describe());
    assertRestored(image, Files.readAllBytes(backup));
  }

  // ---------------------------------------------------------------- delete stays refused

  @Test
  void replacingTheDiskByFilesCopyIsRefusedNamingTheRestore(SeededRandom random)
      throws IOException {
    Path image = dynamicFullOfData("target.vhd", random.nextLong());
    byte[] before = Files.readAllBytes(image);
    Path raw = Files.write(dir.resolve("backup.raw"), new byte[4096]);

    try (FileSystem fs = Chains.open(image)) {
      Path disk = fs.getPath("/disk");
      for (var refused : List.<ThrowingRunnable>of(
          () -> Files.copy(raw, disk, StandardCopyOption.REPLACE_EXISTING),
          () -> Files.delete(disk), () -> Files.deleteIfExists(disk))) {
        FileSystemException e = assertThrows(FileSystemException.class, refused::run);
        assertTrue(e.getMessage().contains("VhdImages.restore(source, disk, progress)")
            && e.getMessage().contains("Files.newOutputStream(disk)"), e.getMessage());
      }
      assertArrayEquals(before, Files.readAllBytes(image));

      // What the refusal offers besides the restore: an overwrite from offset 0.
      byte[] disk0 = Chains.readDisk(fs);
      try (OutputStream out = Files.newOutputStream(disk)) {
        out.write(new byte[] {1, 2, 3});
      }
      byte[] expected = disk0.clone();
      put(expected, 0, new byte[] {1, 2, 3});
      assertSameBytes(expected, Chains.readDisk(fs), 0, "the disk after newOutputStream");
    }
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws IOException;
  }

  // ---------------------------------------------------------------- fixtures and verdicts

  /** Fails unless {@code image}'s disk reads {@code source} then zeros, here and in the peers. */
  private void assertRestored(Path image, byte[] source) throws IOException {
    byte[] disk = Chains.readDisk(image);
    byte[] expected = Arrays.copyOf(source, disk.length);
    assertSameBytes(expected, disk, 0, "the restored disk");
    assertCheckedClean(image);
    String type;
    try (FileSystem fs = Chains.open(image)) {
      type = (String) Files.getAttribute(fs.getPath("/disk"), "vhd:diskType");
    }
    if (type.equals("differencing")) {
      return; // qemu-img reads no differencing VHD; libvhdi needs its chain (tested apart)
    }
    Path raw = Files.write(dir.resolve("expected-" + image.getFileName() + ".raw"), expected);
    QemuTools.Exit exit = QemuTools.require().compare(image, raw);
    assertEquals(0, exit.code(), "qemu-img compare: " + exit.describe());
    List<Libvhdi.Window> windows = Libvhdi.chunks(expected.length, MIB);
    try (FileChannel ch = FileChannel.open(raw)) {
      assertEquals(Libvhdi.hashes(ch, windows),
          Libvhdi.require().read(image, windows, BLOCK, dir).lines(), "libvhdi");
    }
    Files.delete(raw);
  }

  private static void assertCheckedClean(Path image) throws IOException {
    VhdImages.Check check = VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE);
    assertEquals(List.of(), check.findings(), "vhd check of " + image);
  }

  /** A dynamic image whose every byte holds data, so that zeros must overwrite it. */
  private Path dynamicFullOfData(String name, long seed) throws IOException {
    Path image = dir.resolve(name);
    Chains.createDynamic(image, SIZE, BLOCK);
    Chains.write(image, 0, Chains.randomBytes((int) SIZE, seed));
    return image;
  }

  /**
   * A target of {@code kind} whose disk is full of data: a differencing one gets its data half
   * from its parent ({@code NAME-parent.vhd}, every byte) and half its own.
   */
  private Path image(String kind, String name, long seed) throws IOException {
    Path image = dir.resolve(name + ".vhd");
    switch (kind) {
      case "dynamic" -> {
        Chains.createDynamic(image, SIZE, BLOCK);
        Chains.write(image, 0, Chains.randomBytes((int) SIZE, seed));
      }
      case "fixed" -> {
        Chains.createFixed(image, SIZE);
        Chains.write(image, 0, Chains.randomBytes((int) SIZE, seed));
      }
      case "differencing" -> {
        Path parent = dir.resolve(name + "-parent.vhd");
        Chains.createDynamic(parent, SIZE, BLOCK);
        Chains.write(parent, 0, Chains.randomBytes((int) SIZE, seed));
        Chains.createChild(image, parent.getFileName().toString(), BLOCK);
        Chains.write(image, SIZE / 2, Chains.randomBytes((int) SIZE / 2, seed + 1));
      }
      default -> throw new IllegalArgumentException(kind);
    }
    return image;
  }

  /** A source of {@code kind} reading {@code bytes}, and what to close after. */
  private record Source(Path path, FileSystem fs) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      if (fs != null) {
        fs.close();
      }
    }
  }

  private Source source(String kind, byte[] bytes, long seed) throws IOException {
    if (kind.equals("raw")) {
      return new Source(Files.write(dir.resolve("source.raw"), bytes), null);
    }
    Path image = dir.resolve("source.vhd");
    switch (kind) {
      case "dynamic" -> Chains.createDynamic(image, bytes.length, BLOCK);
      case "fixed" -> Chains.createFixed(image, bytes.length);
      case "differencing" -> {
        // The parent holds other data everywhere; the child's own sectors make it read bytes.
        Path parent = dir.resolve("source-parent.vhd");
        Chains.createDynamic(parent, bytes.length, BLOCK);
        Chains.write(parent, 0, Chains.randomBytes(bytes.length, seed));
        Chains.createChild(image, parent.getFileName().toString(), BLOCK);
      }
      default -> throw new IllegalArgumentException(kind);
    }
    Chains.write(image, 0, bytes);
    FileSystem fs = Chains.vhd().newFileSystem(image, Map.of("accessMode", "readOnly"));
    return new Source(fs.getPath("/disk"), fs);
  }

  /** {@code Files.copy(disk, raw)}: the backup a user makes. */
  private static Path backup(Path image, Path raw) throws IOException {
    try (FileSystem fs = Chains.open(image)) {
      Files.copy(fs.getPath("/disk"), raw);
    }
    return raw;
  }

  private static void put(byte[] into, long at, byte[] bytes) {
    System.arraycopy(bytes, 0, into, (int) at, bytes.length);
  }
}
