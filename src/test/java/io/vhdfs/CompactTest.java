package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compacting a VHD ({@link VhdImages#compact}): blocks of zeros (and, in a child, blocks that
 * hold only the parent's bytes) are given back, later blocks move down, and the file ends right
 * after the last block and its footer; the disk reads the same in this library, qemu-img and
 * libvhdi; a cut at any host write of the compaction leaves the image reading the same disk.
 */
final class CompactTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 512 * KIB;
  private static final long SIZE = 8L * MIB;

  @TempDir Path dir;

  @Test
  void zeroBlocksScatteredInOurImageAreGivenBackAndTheFileShrinksByWhatIsReported()
      throws IOException {
    Path image = dir.resolve("d.vhd");
    writeScattered(image);
    byte[] before = Chains.readDisk(image);
    long oldSize = Files.size(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(3, c.blocksUnmapped(), "blocks 1, 4 and 9 hold only zeros");
    assertEquals(oldSize, c.oldSize());
    assertEquals(Files.size(image), c.newSize());
    assertEquals(oldSize - Files.size(image), c.bytesReclaimed());
    // Each of our blocks takes its data, and its bitmap in the 4 KiB that aligns the data.
    assertEquals(3L * (BLOCK + 4 * KIB), c.bytesReclaimed(), "three blocks and their bitmaps");
    assertTrue(c.blocksMoved() > 0, "later blocks moved down");
    assertEquals(Chains.allocatedBlocks(image), 4, "blocks 0, 3, 6 and 12 stay");
    assertArrayEquals(before, Chains.readDisk(image));
    assertPeersRead(image, before);
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check after compacting");
  }

  @Test
  void secondCompactFindsNothingToDo() throws IOException {
    Path image = dir.resolve("d.vhd");
    writeScattered(image);
    VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);
    String hash = Chains.sha256(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(0, c.blocksUnmapped());
    assertEquals(0, c.blocksMoved());
    assertEquals(0, c.bytesReclaimed());
    assertEquals(hash, Chains.sha256(image), "a compact image is left byte for byte");
  }

  @Test
  void qemuMadeImageWithWrittenZerosCompactsAndQemuReadsTheSame() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("q.vhd");
    qemu.create(image, SIZE, "");
    // Zeros written over data (a restore's leftovers), and blocks of zeros written outright.
    qemu.write(image, List.of(new Write(0x11, 0, 3 * MIB), new Write(0x22, 5 * MIB, 64 * KIB),
        new Write(0x00, 2 * MIB, 2 * MIB), new Write(0x00, 6 * MIB, 2 * MIB),
        new Write(0x33, 7 * MIB + 4 * KIB, 4 * KIB)));
    Path raw = dir.resolve("before.raw");
    qemu.convertToRaw(image, raw);
    long oldSize = Files.size(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertTrue(c.blocksUnmapped() >= 1, "qemu's 2 MiB block at 2 MiB holds only zeros: " + c);
    assertEquals(oldSize - Files.size(image), c.bytesReclaimed());
    assertTrue(c.bytesReclaimed() >= 2L * MIB, c.toString());
    assertArrayEquals(Files.readAllBytes(raw), Chains.readDisk(image));
    QemuTools.Exit cmp = qemu.compare(image, raw);
    assertEquals(0, cmp.code(), () -> "qemu-img compare: " + cmp.describe());
    qemu.check(image).ifPresent(e -> assertEquals(0, e.code(), e.describe()));
    assertLibvhdiReads(List.of(image), Files.readAllBytes(raw));
  }

  @Test
  void childKeepsZerosThatHideParentDataAndWithAgainstParentDropsCopiesOfIt()
      throws IOException {
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    Chains.createDynamic(parent, SIZE, BLOCK);
    byte[] parentData = Chains.randomBytes(2 * BLOCK, 7);
    Chains.write(parent, 0, parentData);
    Chains.createChild(child, "parent.vhd", BLOCK);
    Chains.write(child, 0, new byte[BLOCK]); // hides parent data: must stay
    Chains.write(child, BLOCK, Arrays.copyOfRange(parentData, BLOCK, BLOCK + 4096));
    Chains.write(child, 4L * BLOCK, new byte[BLOCK]); // over parent zeros: goes
    Chains.write(child, 6L * BLOCK, Chains.randomBytes(8 * KIB, 8)); // own data: stays
    byte[] before = Chains.readDisk(child);
    Map<Path, String> parentHash = Chains.hashes(List.of(parent));

    VhdImages.Compaction plain = VhdImages.compact(child, false, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(1, plain.blocksUnmapped(), "only the zeros over the parent's zeros: " + plain);
    assertEquals(3, Chains.allocatedBlocks(child));
    assertArrayEquals(before, Chains.readDisk(child));

    VhdImages.Compaction against = VhdImages.compact(child, true, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(1, against.blocksUnmapped(), "the copy of the parent's bytes: " + against);
    assertEquals(2, Chains.allocatedBlocks(child));
    assertEquals(Files.size(child), against.newSize());
    assertArrayEquals(before, Chains.readDisk(child));
    Chains.assertUnchanged(parentHash, "after compacting its child");
    assertLibvhdiReads(List.of(child, parent), before);
  }

  @Test
  void againstParentOfAnImageWithoutParentIsRefusedUntouched() throws IOException {
    Path image = dir.resolve("d.vhd");
    writeScattered(image);
    String hash = Chains.sha256(image);

    FileSystemException e = assertThrows(FileSystemException.class,
        () -> VhdImages.compact(image, true, Map.of(), VhdImages.Progress.NONE));

    assertTrue(e.getMessage().contains("not a differencing image"), e.getMessage());
    assertEquals(hash, Chains.sha256(image));
  }

  @Test
  void imageOpenInThisJvmIsRefused() throws IOException {
    Path image = dir.resolve("d.vhd");
    writeScattered(image);
    String hash = Chains.sha256(image);
    try (FileSystem fs = Chains.vhd().newFileSystem(Chains.uriOf(image), Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE));
      assertTrue(e.getMessage().contains("open in this JVM"), e.getMessage());
    }
    assertEquals(hash, Chains.sha256(image));
  }

  @Test
  void fixedImageIsLeftAsItIs() throws IOException {
    Path image = dir.resolve("f.vhd");
    Chains.createFixed(image, 2 * MIB);
    String hash = Chains.sha256(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(0, c.bytesReclaimed());
    assertEquals(hash, Chains.sha256(image));
  }

  @Test
  void cutAfterAnyHostWriteOfACompactLeavesAnImageReadingTheSameDisk() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      Path image = images.resolve("d.vhd");
      writeScattered(image);
      assertCutsReadTheSame(jimfs, image, null, false);
    }
  }

  @Test
  void cutAfterAnyHostWriteOfAChildCompactAgainstItsParentLeavesTheChainReadingTheSame()
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      Path parent = images.resolve("parent.vhd");
      Path child = images.resolve("child.vhd");
      Chains.createDynamic(parent, SIZE, BLOCK);
      byte[] parentData = Chains.randomBytes(3 * BLOCK, 9);
      Chains.write(parent, 0, parentData);
      Chains.createChild(child, "parent.vhd", BLOCK);
      Chains.write(child, 0, Arrays.copyOf(parentData, BLOCK));
      Chains.write(child, 2L * BLOCK, Chains.randomBytes(4 * KIB, 10));
      Chains.write(child, 5L * BLOCK, new byte[BLOCK]);
      Chains.write(child, 7L * BLOCK, Chains.randomBytes(BLOCK, 11));
      Chains.write(child, 9L * BLOCK, new byte[16 * KIB]);
      Chains.write(child, 12L * BLOCK, Chains.randomBytes(512, 12));
      assertCutsReadTheSame(jimfs, child, parent, true);
    }
  }

  /** Runs a compact on {@code image} through a recording host, then reads every cut of it. */
  private void assertCutsReadTheSame(FileSystem jimfs, Path image, Path parent,
      boolean againstParent) throws IOException {
    // QEMU reads a VHD child without its parent: a verdict on dynamic images only.
    Optional<QemuTools> qemu = parent == null ? QemuTools.find() : Optional.empty();
    byte[] disk = Chains.readDisk(image);
    byte[] fileBefore = Files.readAllBytes(image);
    String parentHash = parent == null ? null : Chains.sha256(parent);
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    VhdImages.Compaction c = VhdImages.compact(host.wrap(image), againstParent, Map.of(),
        VhdImages.Progress.NONE);
    assertTrue(c.blocksUnmapped() > 0 && c.blocksMoved() > 0, "the fixture compacts: " + c);
    HostWriteLog log = host.log();
    int total = log.mutationCount();
    assertArrayEquals(disk, Chains.readDisk(image), "after the whole compact");
    for (int n = 0; n <= total; n++) {
      String at = "cut after " + n + " of " + total + " host writes of the compact";
      Files.write(image, log.replay(fileBefore, n, image.toString()));
      byte[] now = Chains.readDiskOrFail(image, at + ":");
      assertArrayEquals(disk, now, at);
      if (qemu.isPresent() && n % 5 == 0) {
        Path local = Files.write(dir.resolve("cut.vhd"), Files.readAllBytes(image));
        Path raw = Files.write(dir.resolve("cut.raw"), disk);
        QemuTools.Exit cmp = qemu.get().compare(local, raw);
        assertEquals(0, cmp.code(), () -> at + ": qemu-img compare: " + cmp.describe());
      }
      if (n % 4 == 0 || n == total) {
        // And compacting the cut image finishes the job.
        VhdImages.compact(image, againstParent, Map.of(), VhdImages.Progress.NONE);
        assertArrayEquals(disk, Chains.readDisk(image), at + ", compacted again");
        assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
            .findings(), at + ", compacted again: vhd check");
      }
    }
    if (parentHash != null) {
      assertEquals(parentHash, Chains.sha256(parent), "the parent was only read");
    }
  }

  /**
   * A 16-block dynamic image of ours: data in blocks 0, 3, 6 and 12; zeros written over all of
   * blocks 1, 4 and 9 (1 and 4 after data, as a restore leaves them).
   */
  private static void writeScattered(Path image) throws IOException {
    Chains.createDynamic(image, SIZE, BLOCK);
    Chains.write(image, 0, Chains.randomBytes(BLOCK, 1));
    Chains.write(image, 1L * BLOCK, Chains.randomBytes(BLOCK, 2));
    Chains.write(image, 3L * BLOCK + 1000, Chains.randomBytes(5000, 3));
    Chains.write(image, 4L * BLOCK, Chains.randomBytes(100, 4));
    Chains.write(image, 6L * BLOCK, Chains.randomBytes(BLOCK, 5));
    Chains.write(image, 9L * BLOCK, new byte[BLOCK]);
    Chains.write(image, 12L * BLOCK + 7 * KIB, Chains.randomBytes(512, 6));
    Chains.write(image, 1L * BLOCK, new byte[BLOCK]);
    Chains.write(image, 4L * BLOCK, new byte[BLOCK]);
    assertEquals(7, Chains.allocatedBlocks(image), "fixture: seven blocks allocated");
  }

  private void assertPeersRead(Path image, byte[] expected) throws IOException {
    Optional<QemuTools> qemu = QemuTools.find();
    if (qemu.isPresent()) {
      Path raw = Files.write(dir.resolve("expected.raw"), expected);
      QemuTools.Exit cmp = qemu.get().compare(image, raw);
      assertEquals(0, cmp.code(), () -> "qemu-img compare: " + cmp.describe());
      qemu.get().check(image).ifPresent(e -> assertEquals(0, e.code(), e.describe()));
    }
    if (Libvhdi.find().isPresent()) {
      assertLibvhdiReads(List.of(image), expected);
    }
  }

  private void assertLibvhdiReads(List<Path> chain, byte[] expected) throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    List<Window> windows = Libvhdi.chunks(expected.length, 256 * KIB);
    Path raw = Files.write(dir.resolve("libvhdi-expected.raw"), expected);
    List<String> want;
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      want = Libvhdi.hashes(ch, windows);
    }
    Libvhdi.Reading reading = libvhdi.readChain(new ArrayList<>(chain), windows, 4 * KIB, dir);
    assertEquals(expected.length, reading.mediaSize(), "libvhdi's media size");
    assertEquals(want, reading.lines(), "libvhdi's window hashes after compacting");
  }
}
