package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compacting a VHDX ({@link VhdImages#compact}): blocks the disk reads the same without become
 * NOT_PRESENT through the log, later blocks move down, the file is cut after the last one; the
 * disk reads the same in this library, qemu-img and libvhdi, the DataWriteGuid is kept, and a cut
 * at any host write of the compaction leaves the image reading the same disk.
 */
final class VhdxCompactTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final long SIZE = 16L * MIB;

  @TempDir Path dir;

  @Test
  void zeroBlocksOfOurDynamicVhdxAreGivenBackAndPeersReadTheSame() throws IOException {
    Path image = dir.resolve("d.vhdx");
    writeScattered(image);
    byte[] before = Chains.readDisk(image);
    UUID dataWriteGuid = VhdxHeaders.read(image).dataWriteGuid();
    long oldSize = Files.size(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(3, c.blocksUnmapped(), "blocks 1, 3 and 7 hold only zeros: " + c);
    assertEquals(3, c.blocksMoved(), "blocks 4, 5 and 9 move down: " + c);
    assertEquals(oldSize, c.oldSize());
    assertEquals(Files.size(image), c.newSize());
    assertEquals(3L * MIB, c.bytesReclaimed(), c.toString());
    assertArrayEquals(before, Chains.readDisk(image));
    VhdxHeaders headers = VhdxHeaders.read(image);
    headers.assertClosedCleanly();
    assertEquals(dataWriteGuid, headers.dataWriteGuid(), "the disk reads the same: same id");
    assertPeersRead(image, before);
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check after compacting");
  }

  @Test
  void moreMovesThanTheLogHoldsEntriesRestartTheLogAndQemuChecksItClean() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("many.vhdx");
    int blocks = 140; // each move is a log entry of 8 KiB: more than the 1 MiB ring holds
    VhdImages.create(image, Map.of("type", "dynamic", "size", Long.toString((blocks + 1L) * MIB),
        "blockSize", "1M"));
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 0, new byte[4 * KIB]);
      for (int b = 1; b <= blocks; b++) {
        Chains.writeFully(ch, (long) b * MIB + 512, Chains.randomBytes(512, b));
      }
    }
    byte[] before = Chains.readDisk(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(1, c.blocksUnmapped(), c.toString());
    assertEquals(blocks, c.blocksMoved(), c.toString());
    assertEquals(MIB, c.bytesReclaimed(), c.toString());
    assertArrayEquals(before, Chains.readDisk(image));
    VhdxHeaders.read(image).assertClosedCleanly();
    Path raw = Files.write(dir.resolve("many.raw"), before);
    QemuTools.Exit cmp = qemu.compare(image, raw);
    assertEquals(0, cmp.code(), () -> "qemu-img compare: " + cmp.describe());
    QemuTools.Exit check = qemu.check(image, false);
    assertEquals(0, check.code(), () -> "qemu-img check: " + check.describe());
  }

  @Test
  void compactImageIsLeftByteForByte() throws IOException {
    Path image = dir.resolve("d.vhdx");
    writeScattered(image);
    VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);
    String hash = Chains.sha256(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(0, c.blocksUnmapped() + c.blocksMoved() + c.bytesReclaimed(), c.toString());
    assertEquals(hash, Chains.sha256(image));
  }

  @Test
  void qemuMadeVhdxWithWrittenZerosCompactsAndQemuReadsTheSame() throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("q.vhdx");
    qemu.create(image, SIZE, "block_size=1M");
    qemu.write(image, List.of(new Write(0x11, 0, 4 * MIB), new Write(0x00, MIB, 2 * MIB),
        new Write(0x22, 9L * MIB + 512, 4 * KIB), new Write(0x00, 6L * MIB, MIB),
        new Write(0x33, 14L * MIB, MIB)));
    Path raw = dir.resolve("before.raw");
    qemu.convertToRaw(image, raw);
    long oldSize = Files.size(image);

    VhdImages.Compaction c = VhdImages.compact(image, false, Map.of(), VhdImages.Progress.NONE);

    assertEquals(3, c.blocksUnmapped(), "blocks 1, 2 and 6 hold zeros: " + c);
    assertEquals(oldSize - Files.size(image), c.bytesReclaimed());
    // qemu-img leaves room in front of its blocks that the move takes back as well.
    assertTrue(c.bytesReclaimed() >= 3L * MIB, c.toString());
    assertArrayEquals(Files.readAllBytes(raw), Chains.readDisk(image));
    QemuTools.Exit cmp = qemu.compare(image, raw);
    assertEquals(0, cmp.code(), () -> "qemu-img compare: " + cmp.describe());
    QemuTools.Exit check = qemu.check(image, false);
    assertEquals(0, check.code(), () -> "qemu-img check: " + check.describe());
    assertLibvhdiReads(List.of(image), Files.readAllBytes(raw));
  }

  @Test
  void childKeepsZerosOverParentDataAndAgainstParentDropsPartialCopiesOfIt()
      throws IOException {
    Path parent = dir.resolve("parent.vhdx");
    Path child = dir.resolve("child.vhdx");
    makeChain(parent, child);
    byte[] before = Chains.readDisk(child);
    String parentHash = Chains.sha256(parent);
    UUID dataWriteGuid = VhdxHeaders.read(child).dataWriteGuid();

    VhdImages.Compaction plain = VhdImages.compact(child, false, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(1, plain.blocksUnmapped(), "the zeros over the parent's zeros: " + plain);
    assertArrayEquals(before, Chains.readDisk(child));

    VhdImages.Compaction against = VhdImages.compact(child, true, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(2, against.blocksUnmapped(), "the two copies of parent bytes: " + against);
    assertEquals(Files.size(child), against.newSize());
    assertArrayEquals(before, Chains.readDisk(child));
    assertEquals(parentHash, Chains.sha256(parent), "the parent is only read");
    assertEquals(dataWriteGuid, VhdxHeaders.read(child).dataWriteGuid());
    VhdxHeaders.read(child).assertClosedCleanly();
    assertEquals(List.of(), VhdImages.check(child, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check after compacting");
    assertLibvhdiReads(List.of(child, parent), before);
  }

  @Test
  void cutAfterAnyHostWriteOfACompactLeavesAnImageReadingTheSameDisk() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = Files.createDirectories(jimfs.getPath("/images")).resolve("d.vhdx");
      writeScattered(image);
      assertCutsReadTheSame(jimfs, image, false);
    }
  }

  @Test
  void cutAfterAnyHostWriteOfAChildCompactAgainstItsParentLeavesTheChainReadingTheSame()
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      makeChain(images.resolve("parent.vhdx"), images.resolve("child.vhdx"));
      assertCutsReadTheSame(jimfs, images.resolve("child.vhdx"), true);
    }
  }

  private void assertCutsReadTheSame(FileSystem jimfs, Path image, boolean againstParent)
      throws IOException {
    Optional<QemuTools> qemu = againstParent ? Optional.empty() : QemuTools.find();
    byte[] disk = Chains.readDisk(image);
    byte[] fileBefore = Files.readAllBytes(image);
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    VhdImages.Compaction c = VhdImages.compact(host.wrap(image), againstParent, Map.of(),
        VhdImages.Progress.NONE);
    assertTrue(c.blocksUnmapped() > 0 && c.blocksMoved() > 0, "the fixture compacts: " + c);
    HostWriteLog log = host.log();
    int total = log.mutationCount();
    for (int n = 0; n <= total; n++) {
      String at = "cut after " + n + " of " + total + " host writes of the compact";
      Files.write(image, log.replay(fileBefore, n, image.toString()));
      byte[] now = Chains.readDiskOrFail(image, at + ":");
      assertArrayEquals(disk, now, at);
      if (qemu.isPresent() && n % 7 == 0) {
        // QEMU replays a dirty log only when asked to repair; then it must read the same disk.
        Path local = Files.write(dir.resolve("cut.vhdx"), Files.readAllBytes(image));
        VhdxTools tools = VhdxTools.require();
        QemuTools.Exit check = tools.check(local, true);
        assertEquals(0, check.code(), () -> at + ": qemu-img check -r all: " + check.describe());
        Path raw = Files.write(dir.resolve("cut.raw"), disk);
        QemuTools.Exit cmp = tools.compare(local, raw);
        assertEquals(0, cmp.code(), () -> at + ": qemu-img compare: " + cmp.describe());
      }
      if (n % 5 == 0 || n == total) {
        VhdImages.compact(image, againstParent, Map.of(), VhdImages.Progress.NONE);
        assertArrayEquals(disk, Chains.readDisk(image), at + ", compacted again");
        assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
            .findings(), at + ", compacted again: vhd check");
      }
    }
  }

  /**
   * A dynamic VHDX of ours, 1 MiB blocks: data in blocks 0, 5 and 9 (a few KiB) and 4; zeros
   * written over data in blocks 1 and 3, and outright over block 7.
   */
  private static void writeScattered(Path image) throws IOException {
    VhdImages.create(image, Map.of("type", "dynamic", "size", Long.toString(SIZE),
        "blockSize", "1M"));
    Chains.write(image, 0, Chains.randomBytes(2 * MIB, 1));
    Chains.write(image, 3L * MIB, Chains.randomBytes(2 * MIB, 2));
    Chains.write(image, 5L * MIB + 3000, Chains.randomBytes(5000, 3));
    Chains.write(image, 7L * MIB, new byte[MIB]);
    Chains.write(image, 9L * MIB + 512, Chains.randomBytes(512, 4));
    Chains.write(image, MIB, new byte[MIB]);
    Chains.write(image, 3L * MIB, new byte[MIB]);
  }

  /**
   * A dynamic parent with data in its first 3 MiB, and a 1 MiB-block child over it: block 0 all
   * zeros (hides parent data), block 1 a few sectors of the parent's own bytes (partial), block
   * 2 the parent's bytes in full, block 5 zeros over the parent's zeros, block 8 data of its own.
   */
  private static void makeChain(Path parent, Path child) throws IOException {
    VhdImages.create(parent, Map.of("type", "dynamic", "size", Long.toString(SIZE),
        "blockSize", "1M"));
    byte[] parentData = Chains.randomBytes(3 * MIB, 7);
    Chains.write(parent, 0, parentData);
    VhdImages.create(child, Map.of("type", "differencing", "parent", "parent.vhdx",
        "blockSize", "1M"));
    Chains.write(child, 0, new byte[MIB]);
    Chains.write(child, MIB + 4096, Arrays.copyOfRange(parentData, MIB + 4096, MIB + 8192));
    Chains.write(child, 2L * MIB, Arrays.copyOfRange(parentData, 2 * MIB, 3 * MIB));
    Chains.write(child, 5L * MIB, new byte[MIB]);
    Chains.write(child, 8L * MIB, Chains.randomBytes(64 * KIB, 8));
  }

  private void assertPeersRead(Path image, byte[] expected) throws IOException {
    if (QemuTools.find().isPresent()) {
      VhdxTools qemu = VhdxTools.require();
      Path raw = Files.write(dir.resolve("expected.raw"), expected);
      QemuTools.Exit cmp = qemu.compare(image, raw);
      assertEquals(0, cmp.code(), () -> "qemu-img compare: " + cmp.describe());
      QemuTools.Exit check = qemu.check(image, false);
      assertEquals(0, check.code(), () -> "qemu-img check: " + check.describe());
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
    Libvhdi.Reading reading = libvhdi.readChain(chain, windows, 4 * KIB, dir);
    assertEquals(expected.length, reading.mediaSize(), "libvhdi's media size");
    assertEquals(want, reading.lines(), "libvhdi's window hashes after compacting");
  }
}
