package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writes into differencing VHDX (issue 13 items 1 and 4), which QEMU cannot open: a child over a
 * qemu-made parent takes random writes (partial blocks become PARTIALLY_PRESENT with sector
 * bitmaps, whole ones FULLY_PRESENT, partial sectors are merged from the parent) and reads in
 * libvhdi ({@code set_parent}) as a raw mirror does; the same through a three-level chain; and a
 * commit leaves the parent reading as the chain did, checked by qemu-img and libvhdi.
 */
@ExtendWith(SeedExtension.class)
final class VhdxChainWriteTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** A qemu-made base with data in some blocks, and its raw twin as the mirror to write to. */
  private Path base(long size, String options) throws IOException {
    VhdxTools qemu = VhdxTools.require();
    Path base = dir.resolve("base.vhdx");
    qemu.create(base, size, options);
    qemu.write(base, List.of(new QemuTools.Write(0x5a, 0, 3 * MIB),
        new QemuTools.Write(0xa5, 9L * MIB + 512, 70000),
        new QemuTools.Write(0x33, size - 8192, 8192)));
    qemu.convertToRaw(base, dir.resolve("mirror.raw"));
    return base;
  }

  private Path mirror() {
    return dir.resolve("mirror.raw");
  }

  @ParameterizedTest(name = "child blocks of {0} MiB")
  @ValueSource(ints = {1, 32, 256})
  void writesIntoAChildOverAQemuParentReadTheSameInLibvhdi(int blockMib, SeededRandom random)
      throws IOException {
    long size = 40L * MIB;
    Path base = base(size, "block_size=2M");
    String baseSha = Chains.sha256(base);
    Path child = dir.resolve("child.vhdx");
    VhdImages.create(child, Map.of("type", "differencing", "parent", "base.vhdx",
        "blockSize", blockMib + "M"));
    VhdxWriteTest.writeRandomly(child, mirror(), size, blockMib * MIB, random, 40);

    assertEquals(baseSha, Chains.sha256(base), "the parent is never written");
    VhdxHeaders.read(child).assertClosedCleanly();
    VhdxWriteTest.assertSameAsMirror(child, mirror(), "vhdfs");
    assertLibvhdiReads(List.of(child, base), size, blockMib * MIB);
    assertTrue(VhdImages.check(child, false, Map.of(), VhdImages.Progress.NONE).findings()
        .isEmpty(), "vhd check of the child");
    Map<?, ?> states = (Map<?, ?>) ((Map<?, ?>) VhdImages.describe(child, Map.of()).get("bat"))
        .get("states");
    if (blockMib > 1) {
      assertTrue((Long) states.get("PARTIALLY_PRESENT") > 0, "blocks written in part keep "
          + "reading the rest from the parent: " + states);
    } else {
      assertTrue((Long) states.get("FULLY_PRESENT") > 0, "multi-MiB writes fill 1 MiB blocks: "
          + states);
    }
  }

  @Test
  void writesIntoEachLevelOfAThreeLevelChainReadTheSameInLibvhdi(SeededRandom random)
      throws IOException {
    long size = 24L * MIB;
    Path base = base(size, "block_size=1M");
    Path mid = dir.resolve("mid.vhdx");
    VhdImages.create(mid, Map.of("type", "differencing", "parent", "base.vhdx",
        "blockSize", "1M"));
    VhdxWriteTest.writeRandomly(mid, mirror(), size, MIB, random, 15);
    Path top = dir.resolve("top.vhdx");
    VhdImages.create(top, Map.of("type", "differencing", "parent", "mid.vhdx",
        "blockSize", "2M"));
    String midSha = Chains.sha256(mid);
    VhdxWriteTest.writeRandomly(top, mirror(), size, 2 * MIB, random, 25);

    assertEquals(midSha, Chains.sha256(mid), "the middle image is not written through the top");
    VhdxWriteTest.assertSameAsMirror(top, mirror(), "vhdfs");
    assertLibvhdiReads(List.of(top, mid, base), size, MIB);
  }

  @Test
  void commitLeavesTheParentReadingAsTheChainDid(SeededRandom random) throws IOException {
    long size = 32L * MIB;
    Path base = base(size, "block_size=4M");
    Path child = dir.resolve("child.vhdx");
    VhdImages.create(child, Map.of("type", "differencing", "parent", "base.vhdx",
        "blockSize", "1M"));
    VhdxWriteTest.writeRandomly(child, mirror(), size, MIB, random, 30);
    // Zeros over the parent's data: the child's block reads zeros and hides the parent's.
    byte[] zeros = new byte[2 * MIB];
    try (FileChannel ch = FileChannel.open(Path.of(Chains.uriOf(child)),
        StandardOpenOption.WRITE);
        FileChannel m = FileChannel.open(mirror(), StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 0, zeros);
      Chains.writeFully(m, 0, zeros);
    }
    VhdxWriteTest.assertSameAsMirror(child, mirror(), "the chain before the commit");
    java.util.UUID linkBefore = VhdxHeaders.read(base).dataWriteGuid();

    VhdImages.Commit commit = VhdImages.commit(child, Map.of());
    assertEquals(base.toRealPath(), commit.parent());
    assertTrue(commit.bytesWritten() > 0);

    VhdxWriteTest.assertSameAsMirror(base, mirror(), "the parent after the commit");
    VhdxHeaders.read(base).assertClosedCleanly();
    assertNotEquals(linkBefore, VhdxHeaders.read(base).dataWriteGuid(),
        "the parent reads differently now: children of its old contents no longer link");
    QemuTools.Exit check = VhdxTools.require().check(base, false);
    assertEquals(0, check.code(), check.describe());
    QemuTools.Exit compare = VhdxTools.require().compare(base, mirror());
    assertEquals(0, compare.code(), compare.describe());
    assertLibvhdiReads(List.of(base), size, 4 * MIB);
    assertThrows(IOException.class, () -> Chains.readDisk(child),
        "the committed child's recorded parent identity is out of date");
  }

  @Test
  void aCommitCutShortLeavesTheChildLinkedAndCanRunAgain(SeededRandom random)
      throws IOException {
    long size = 16L * MIB;
    Path base = base(size, "block_size=1M");
    Path child = dir.resolve("child.vhdx");
    VhdImages.create(child, Map.of("type", "differencing", "parent", "base.vhdx",
        "blockSize", "1M"));
    VhdxWriteTest.writeRandomly(child, mirror(), size, MIB, random, 20);
    // A copy of the parent as a commit cut short after its first writes leaves it: the session
    // began, some data went in, and the headers still carry the DataWriteGuid the child links by.
    Path saved = Files.copy(base, dir.resolve("saved.vhdx"));
    VhdImages.commit(child, Map.of());
    Path cut = dir.resolve("cut.vhdx");
    Files.copy(saved, cut);
    try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
      byte[] later = Files.readAllBytes(base);
      // The committed parent's data blocks, as far as they went before the cut, without the
      // header pair that closed the session.
      ch.write(ByteBuffer.wrap(later, 0x100000, later.length - 0x100000), 0x100000);
    }
    Files.move(cut, base, StandardCopyOption.REPLACE_EXISTING);
    VhdxWriteTest.assertSameAsMirror(child, mirror(), "the chain after a cut commit");
    VhdImages.commit(child, Map.of());
    VhdxWriteTest.assertSameAsMirror(base, mirror(), "the parent after the commit ran again");
  }

  private void assertLibvhdiReads(List<Path> chain, long size, int blockSize)
      throws IOException {
    List<Libvhdi.Window> windows = Libvhdi.chunks(size, 4L * MIB);
    Libvhdi.Reading reading = Libvhdi.require().readChain(chain, windows, blockSize, dir);
    assertEquals(size, reading.mediaSize());
    try (FileChannel m = FileChannel.open(mirror())) {
      assertEquals(Libvhdi.hashes(m, windows), reading.lines(), "libvhdi, chain " + chain);
    }
  }
}
