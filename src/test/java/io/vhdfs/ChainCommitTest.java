package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.ChainWorkload.Chain;
import io.vhdfs.ChainWorkload.Write;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.HostWriteLog.Mutation;
import io.vhdfs.testing.ImageLayout;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Exit;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
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
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link VhdImages#commit} (issue 4): every sector a differencing image holds is written into its
 * parent, which then reads alone as the chain did, for qemu-img and libvhdi too; the child file
 * is left byte for byte as it was, so the chain still reads the same; the result says how many
 * bytes went in. Interrupted after any host write of the parent, the parent still opens and the
 * chain still reads as before, and running the commit again finishes it. Commits that would
 * disturb someone, or have nowhere to go, are refused before any file changes.
 */
@ExtendWith(SeedExtension.class)
final class ChainCommitTest {
  private static final int SECTOR = 512;
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  /** Parents committed into, and the block size of the child over them. */
  enum ParentKind {
    QEMU_DYNAMIC(true, "", 512 * KIB),
    QEMU_FIXED(true, "subformat=fixed", 2 * MIB),
    VHDFS_DYNAMIC_4K_BLOCKS(false, "dynamic", 512 * KIB),
    VHDFS_FIXED(false, "fixed", 4 * KIB);

    final boolean byQemu;
    final String how;
    final int childBlock;

    ParentKind(boolean byQemu, String how, int childBlock) {
      this.byQemu = byQemu;
      this.how = how;
      this.childBlock = childBlock;
    }
  }

  // ---------------------------------------------------------------- commits that complete

  @ParameterizedTest(name = "{0}")
  @EnumSource(ParentKind.class)
  void commitPutsEverySectorTheChildHoldsIntoTheParentWhichThenReadsAsTheChain(ParentKind kind,
      SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    Chain chain = parent(qemu, kind, random, false);
    Path base = chain.base();
    Path child = chain.addChild(dir, "child.vhd", kind.childBlock);
    int first = chain.writes.size();
    chain.writeTop(random, 40, kind.childBlock, false);
    List<Write> childWrites = chain.writes.subList(first, chain.writes.size());
    assertSameBytes(chain.mirror, Chains.readDisk(child), 0, "fixture: the chain before commit");
    String childHash = Chains.sha256(child);

    VhdImages.Commit c = VhdImages.commit(child, Map.of());

    assertEquals(child, c.child(), "Commit.child");
    assertEquals(base.toRealPath(), c.parent(), "Commit.parent: the parent's real path");
    assertEquals(SECTOR * heldSectors(childWrites), c.bytesWritten(),
        "Commit.bytesWritten: every byte of the sectors the child holds");
    assertEquals(heldBlocks(childWrites, kind.childBlock), c.blocksRead(),
        "Commit.blocksRead: the child's allocated blocks");
    assertSameBytes(chain.mirror, Chains.readDisk(base), 0, "the parent alone after commit");
    assertEquals(childHash, Chains.sha256(child), "the child file changed during commit");
    assertSameBytes(chain.mirror, Chains.readDisk(child), 0, "the chain after commit");
    assertQemuReads(qemu, base, chain.mirror, "the parent after commit");
  }

  /**
   * libvhdi reads the parent after commit as the chain read. Writes are 4 KiB-aligned, since
   * libvhdi 20210425 misreads bitmap bytes that are partly set.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(ParentKind.class)
  void libvhdiReadsTheCommittedParentAsTheChain(ParentKind kind, SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Libvhdi libvhdi = Libvhdi.require();
    Chain chain = parent(qemu, kind, random, true);
    Path child = chain.addChild(dir, "child.vhd", kind.childBlock);
    chain.writeTop(random, 30, kind.childBlock, true);
    VhdImages.commit(child, Map.of());
    assertSameBytes(chain.mirror, Chains.readDisk(chain.base()), 0, "this library");

    List<Window> windows = Libvhdi.chunks(chain.mirror.length, 256 * KIB);
    Path raw = Files.write(dir.resolve("mirror.raw"), chain.mirror);
    List<String> expected;
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      expected = Libvhdi.hashes(ch, windows);
    }
    Libvhdi.Reading reading = libvhdi.read(chain.base(), windows, 4 * KIB, dir);
    assertEquals(chain.mirror.length, reading.mediaSize(), "libvhdi's media size of the parent");
    assertEquals(expected, reading.lines(),
        "libvhdi's window hashes of the parent after commit (writes " + chain.writes + ")");
  }

  @Test
  void commitOfTheMiddleOfAThreeImageChainLeavesTheTopReadingTheSame(SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Chain chain = ChainWorkload.qemuBase(qemu, dir, random, SECTOR, "");
    Path base = chain.base();
    Path middle = chain.addChild(dir, "middle.vhd", 512 * KIB);
    chain.writeTop(random, 30, 512 * KIB, false);
    byte[] middleView = chain.mirror.clone();
    Path top = chain.addChild(dir, "top.vhd", 4 * KIB);
    chain.writeTop(random, 30, 4 * KIB, false);
    Map<Path, String> unchanged = Chains.hashes(List.of(middle, top));
    assertSameBytes(chain.mirror, Chains.readDisk(top), 0, "fixture: the top before commit");

    VhdImages.Commit c = VhdImages.commit(middle, Map.of());

    assertEquals(base.toRealPath(), c.parent(), "Commit.parent");
    assertSameBytes(middleView, Chains.readDisk(base), 0, "the base alone after the middle's "
        + "commit: base and middle as one");
    assertSameBytes(middleView, Chains.readDisk(middle), 0, "the middle after its commit");
    assertSameBytes(chain.mirror, Chains.readDisk(top), 0, "the top after the middle's commit");
    Chains.assertUnchanged(unchanged, "by committing the middle");
    assertQemuReads(qemu, base, middleView, "the base after the middle's commit");
  }

  /** A differencing parent takes the commit like any image; its own parent is not touched. */
  @Test
  void commitIntoADifferencingParentWritesOnlyThatParent(SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Chain chain = ChainWorkload.qemuChain(qemu, dir, random, 3, 64 * KIB, false, "");
    Path base = chain.images.get(0);
    Path c1 = chain.images.get(1);
    Path c2 = chain.images.get(2);
    Path c3 = chain.images.get(3);
    byte[] c2View = Chains.readDisk(c2);
    chain.writeTop(random, 20, 64 * KIB, false);
    Map<Path, String> unchanged = Chains.hashes(List.of(base, c2, c3));

    VhdImages.Commit c = VhdImages.commit(c2, Map.of());

    assertEquals(c1.toRealPath(), c.parent(), "Commit.parent");
    assertSameBytes(c2View, Chains.readDisk(c1), 0, "child 1 (over the base) after child 2's "
        + "commit into it");
    assertSameBytes(chain.mirror, Chains.readDisk(c3), 0, "the top after child 2's commit");
    Chains.assertUnchanged(unchanged, "by committing child 2 into child 1");
  }

  @Test
  void commitOfAChildThatHoldsNothingWritesNothingAndLeavesTheParentByteIdentical(
      SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    Chain chain = ChainWorkload.qemuBase(qemu, dir, random, SECTOR, "");
    Path child = chain.addChild(dir, "child.vhd", null);
    Map<Path, String> hashes = Chains.hashes(chain.images);

    VhdImages.Commit c = VhdImages.commit(child, Map.of());

    assertEquals(0, c.bytesWritten(), "Commit.bytesWritten of an empty child");
    assertEquals(0, c.blocksRead(), "Commit.blocksRead of an empty child");
    Chains.assertUnchanged(hashes, "by committing a child that holds nothing");
  }

  /** A disk that ends inside the child's last block: the short block is committed whole. */
  @Test
  void commitOfAChildWhoseLastBlockIsShortWritesItsSectorsUpToTheEnd(SeededRandom random)
      throws IOException {
    Path parent = dir.resolve("parent.vhd");
    int size = 4 * MIB + 5 * SECTOR;
    Chains.createDynamic(parent, size, 512 * KIB);
    byte[] mirror = bytes(random, size);
    Chains.write(parent, 0, mirror);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 2 * MIB);
    byte[] tail = bytes(random, 3 * SECTOR + 100);
    Chains.write(child, size - tail.length, tail);
    System.arraycopy(tail, 0, mirror, size - tail.length, tail.length);
    byte[] head = bytes(random, 700);
    Chains.write(child, 4 * MIB - 300, head); // straddles into the short block
    System.arraycopy(head, 0, mirror, 4 * MIB - 300, head.length);
    assertSameBytes(mirror, Chains.readDisk(child), 0, "fixture: the chain");

    VhdImages.Commit c = VhdImages.commit(child, Map.of());

    assertEquals(2, c.blocksRead(), "Commit.blocksRead");
    assertEquals(SECTOR * 6L, c.bytesWritten(),
        "Commit.bytesWritten: sector 8191 of block 1 and sectors 0-4 of the short block");
    assertSameBytes(mirror, Chains.readDisk(parent), 0, "the parent after commit");
  }

  /**
   * A commit into a parent that a file system of this JVM is writing must not lose either's
   * writes: it may share that writer's disk, or be refused, but a commit that reports success
   * must leave its bytes in the parent. Here the writer opened the parent with
   * {@code sizeFrom=currentSize}, so (OpenDisks keys disks by image and size rule) the commit
   * opens a second disk of the same file, each with its own block table and allocator.
   */
  @Test
  void commitIntoAParentThatAWriterUnderAnotherSizeRuleHoldsLosesNoBytes(SeededRandom random)
      throws IOException {
    Path parent = dir.resolve("parent.vhd");
    Chains.createDynamic(parent, 8 * MIB, 512 * KIB);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", 512 * KIB);
    byte[] committed = bytes(random, 4096);
    byte[] before = bytes(random, 4096);
    byte[] after = bytes(random, 4096);
    Chains.write(child, MIB, committed); // block 2
    boolean refused = false;
    try (FileSystem fs = Chains.vhd().newFileSystem(parent, Map.of("sizeFrom", "currentSize"));
        FileChannel writer = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      Chains.writeFully(writer, 3 * MIB, before); // block 6
      try {
        VhdImages.Commit c = VhdImages.commit(child, Map.of());
        assertEquals(4096, c.bytesWritten(), "Commit.bytesWritten");
      } catch (FileSystemException e) {
        refused = true; // acceptable: the parent is being written
      }
      Chains.writeFully(writer, 5 * MIB, after); // block 10, allocated after the commit's
    }
    byte[] disk = Chains.readDisk(parent);
    assertArrayEquals(before, Arrays.copyOfRange(disk, 3 * MIB, 3 * MIB + 4096),
        "the writer's first write");
    assertArrayEquals(after, Arrays.copyOfRange(disk, 5 * MIB, 5 * MIB + 4096),
        "the writer's write after the commit");
    if (!refused) {
      assertArrayEquals(committed, Arrays.copyOfRange(disk, MIB, MIB + 4096),
          "the bytes the commit reported written into the parent");
    }
    assertEquals(List.of(), ImageLayout.blockProblems(parent, false), "the parent's blocks");
  }

  // ---------------------------------------------------------------- interrupted commits

  /** Parent and child for the interrupted commit, all made by this library on Jimfs. */
  enum CutKind {
    DYNAMIC_512K_PARENT_4K_CHILD("dynamic", 512 * KIB, 4 * KIB),
    DYNAMIC_4K_PARENT_512K_CHILD("dynamic", 4 * KIB, 512 * KIB),
    FIXED_PARENT_2M_CHILD("fixed", 0, 2 * MIB),
    /** The parent is itself a child (of a dynamic base): its clear bits read the base. */
    DIFFERENCING_64K_PARENT_4K_CHILD("differencing", 64 * KIB, 4 * KIB);

    final String parentType;
    final int parentBlock;
    final int childBlock;

    CutKind(String parentType, int parentBlock, int childBlock) {
      this.parentType = parentType;
      this.parentBlock = parentBlock;
      this.childBlock = childBlock;
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(CutKind.class)
  void commitCutAfterAnyHostWriteLeavesAValidParentAndTheChainAsBeforeAndCanBeRunAgain(
      CutKind kind, SeededRandom random) throws IOException {
    Optional<QemuTools> qemu = QemuTools.find();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      Path parent = images.resolve("parent.vhd");
      Path child = images.resolve("child.vhd");
      int size = 4 * MIB;
      Chain chain = new Chain();
      chain.mirror = new byte[size];
      switch (kind.parentType) {
        case "fixed" -> Chains.createFixed(parent, size);
        case "dynamic" -> Chains.createDynamic(parent, size, kind.parentBlock);
        default -> {
          Path base = images.resolve("base.vhd");
          Chains.createDynamic(base, size, 512 * KIB);
          chain.images.add(base);
          chain.writeTop(random, 20, 64 * KIB, false);
          Chains.createChild(parent, "base.vhd", kind.parentBlock);
        }
      }
      chain.images.add(parent);
      chain.writeTop(random, 20, 16 * KIB, false);
      byte[] parentView = chain.mirror.clone();
      chain.addChild(images, "child.vhd", kind.childBlock);
      chain.writeTop(random, 24, Math.min(kind.childBlock, 16 * KIB), false);
      byte[] chainView = chain.mirror;
      byte[] parentBefore = Files.readAllBytes(parent);
      Map<Path, String> below = Chains.hashes(chain.images.subList(0, chain.images.indexOf(parent)));
      byte[] childBefore = Files.readAllBytes(child);
      assertSameBytes(chainView, Chains.readDisk(child), 0, "fixture: the chain");

      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      VhdImages.Commit done = VhdImages.commit(host.wrap(child), Map.of());
      assertEquals(host.wrap(parent).toRealPath(), done.parent(), "Commit.parent");
      HostWriteLog log = host.log();
      int total = log.mutationCount();
      assertTrue(total > 0, "the commit wrote nothing into the parent");
      for (Mutation m : log.mutations()) {
        assertEquals(parent.toString(), m.file(), "the commit wrote another file: " + m);
      }
      assertArrayEquals(childBefore, Files.readAllBytes(child), "the commit changed the child");
      assertSameBytes(chainView, Chains.readDisk(parent), 0, "the parent after the commit");

      // qemu-img reads a few cuts; the commit is run again on some 20 (all when fewer).
      TreeSet<Integer> sampled = new TreeSet<>();
      for (int i = 0; i < 6; i++) {
        sampled.add((int) Math.round((double) total * i / 5));
      }
      TreeSet<Integer> rerun = new TreeSet<>(sampled);
      for (int i = 0; i <= 20; i++) {
        rerun.add((int) Math.round((double) total * i / 20));
      }
      for (int n = 0; n <= total; n++) {
        String at = "parent cut after " + n + " of " + total + " host writes of the commit ("
            + random + ")";
        byte[] cutBytes = log.replay(parentBefore, n, parent.toString());
        Files.write(parent, cutBytes);
        byte[] parentNow = Chains.readDiskOrFail(parent, at + ":");
        assertEachSectorOldOrNew(parentView, chainView, parentNow, at);
        assertSameBytes(chainView, Chains.readDisk(child), 0, "the chain over the " + at);
        // QEMU reads a differencing image without its parent: no verdict on those.
        if (qemu.isPresent() && sampled.contains(n) && !kind.parentType.equals("differencing")) {
          Path local = Files.write(dir.resolve("cut-" + n + ".vhd"), cutBytes);
          assertEquals(size, qemu.get().virtualSize(local), "qemu-img info of the " + at);
          Path raw = dir.resolve("cut-" + n + ".raw");
          qemu.get().convertToRaw(local, raw);
          assertSameBytes(parentNow, Files.readAllBytes(raw), 0, "qemu-img convert of the " + at
              + ", against this library's reading");
          Files.delete(raw);
          Files.delete(local);
        }
        if (!rerun.contains(n)) {
          continue;
        }
        VhdImages.Commit again = VhdImages.commit(child, Map.of());
        assertEquals(done.bytesWritten(), again.bytesWritten(), "bytes of the commit re-run on the "
            + at);
        assertSameBytes(chainView, Chains.readDisk(parent), 0, "the parent after re-running the "
            + "commit on the " + at);
      }
      assertArrayEquals(childBefore, Files.readAllBytes(child), "the re-runs changed the child");
      Chains.assertUnchanged(below, "by commits into the image above it");
    }
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void committingAnImageWithoutParentIsRefusedAndChangesNothing(SeededRandom random)
      throws IOException {
    Path dynamic = dir.resolve("dynamic.vhd");
    Path fixed = dir.resolve("fixed.vhd");
    Chains.createDynamic(dynamic, 4 * MIB, 512 * KIB);
    Chains.createFixed(fixed, 4 * MIB);
    for (Path image : List.of(dynamic, fixed)) {
      Chains.write(image, 1000, bytes(random, 5000));
      String hash = Chains.sha256(image);
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.commit(image, Map.of()), "committing " + image);
      assertTrue(e.getMessage().contains("not a differencing image"), "message: " + e.getMessage());
      assertEquals(hash, Chains.sha256(image), image + " changed");
    }
  }

  @Test
  void committingAChildWithAnOpenChannelIsRefusedAndChangesNothing(SeededRandom random)
      throws IOException {
    Path parent = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    Chains.write(child, 3000, bytes(random, 10_000));
    Map<Path, String> hashes = Chains.hashes(List.of(parent, child));
    try (FileSystem fs = Chains.open(child)) {
      for (StandardOpenOption[] options : List.of(
          new StandardOpenOption[] {StandardOpenOption.READ},
          new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE})) {
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), options)) {
          FileSystemException e = assertThrows(FileSystemException.class,
              () -> VhdImages.commit(child, Map.of()),
              "committing a child with a channel " + Arrays.toString(options) + " open");
          assertTrue(e.getMessage().contains("open in this JVM"), "message: " + e.getMessage());
          assertTrue(ch.isOpen(), "the refused commit closed the child's channel");
        }
        Chains.assertUnchanged(hashes, "by a refused commit");
      }
    }
    assertEquals(SECTOR * 21L, VhdImages.commit(child, Map.of()).bytesWritten(),
        "the commit once the child closed: sectors 5..25");
  }

  /** The middle of an open chain is open itself (as the top's parent): not committed. */
  @Test
  void committingTheMiddleOfAChainWhoseTopIsOpenIsRefusedAndChangesNothing(SeededRandom random)
      throws IOException {
    Path parent = randomParent(random);
    Path middle = dir.resolve("middle.vhd");
    Path top = dir.resolve("top.vhd");
    Chains.createChild(middle, "parent.vhd", null);
    byte[] data = bytes(random, 10_000);
    Chains.write(middle, 3000, data);
    Chains.createChild(top, "middle.vhd", null);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, middle, top));
    try (FileSystem fs = Chains.open(top);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.commit(middle, Map.of()), "committing the middle of an open chain");
      assertTrue(e.getMessage().contains("open in this JVM"), "message: " + e.getMessage());
    }
    Chains.assertUnchanged(hashes, "by a refused commit");
    VhdImages.commit(middle, Map.of());
    assertArrayEquals(data, Arrays.copyOfRange(Chains.readDisk(parent), 3000, 13_000),
        "the commit once the top closed");
  }

  @Test
  void committingIntoAParentTheHostWillNotWriteIsAccessDeniedAndChangesNothing(
      SeededRandom random) throws IOException {
    Path parent = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    byte[] data = bytes(random, 10_000);
    Chains.write(child, 3000, data);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, child));
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(child.getFileSystem());
    host.setReadOnly(true);
    assertThrows(java.nio.file.AccessDeniedException.class,
        () -> VhdImages.commit(host.wrap(child), Map.of()), "committing into a read-only parent");
    Chains.assertUnchanged(hashes, "by a refused commit");
    host.setReadOnly(false);
    VhdImages.commit(host.wrap(child), Map.of());
    assertArrayEquals(data, Arrays.copyOfRange(Chains.readDisk(parent), 3000, 13_000),
        "the commit once the host allowed writes");
  }

  @Test
  void committingIntoTheParentOfAnotherOpenChildIsRefusedAndChangesNothing(SeededRandom random)
      throws IOException {
    Path parent = randomParent(random);
    Path first = dir.resolve("first.vhd");
    Path second = dir.resolve("second.vhd");
    Chains.createChild(first, "parent.vhd", null);
    Chains.createChild(second, "parent.vhd", null);
    byte[] data = bytes(random, 10_000);
    Chains.write(first, 3000, data);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, first, second));
    try (FileSystem fs = Chains.open(second);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.commit(first, Map.of()),
          "committing into the parent of an open sibling");
      assertTrue(e.getMessage().contains("parent of an open differencing image"),
          "message: " + e.getMessage());
      assertTrue(ch.isOpen(), "the refused commit closed the sibling's channel");
    }
    Chains.assertUnchanged(hashes, "by a refused commit");
    VhdImages.commit(first, Map.of());
    assertArrayEquals(data, Arrays.copyOfRange(Chains.readDisk(parent), 3000, 13_000),
        "the commit once the sibling closed");
  }

  @Test
  void committingAChildWhoseParentIsMissingIsRefusedNamingThePlacesTried(SeededRandom random)
      throws IOException {
    Path parent = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    Chains.write(child, 0, bytes(random, 4096));
    Path moved = Files.move(parent, Files.createDirectory(dir.resolve("elsewhere"))
        .resolve("parent.vhd"));
    Map<Path, String> hashes = Chains.hashes(List.of(moved, child));
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> VhdImages.commit(child, Map.of()));
    // The W2ku locator and the parent name lead to the same place as W2ru: tried (and named) once.
    for (String part : List.of("parent image 'parent.vhd' not found", "places tried",
        "W2ru locator 1 '.\\parent.vhd' -> " + parent, "no such file")) {
      assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': "
          + e.getMessage());
    }
    Chains.assertUnchanged(hashes, "by a refused commit");
    assertTrue(Files.notExists(parent), "the refused commit made a file where the parent was");
  }

  @Test
  void committingWithAParentRootThatExcludesTheParentIsRefusedAndChangesNothing(
      SeededRandom random) throws IOException {
    Path parent = randomParent(random);
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "parent.vhd", null);
    Chains.write(child, 0, bytes(random, 4096));
    Path root = Files.createDirectory(dir.resolve("root"));
    Map<Path, String> hashes = Chains.hashes(List.of(parent, child));
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> VhdImages.commit(child, Map.of("parentRoot", root.toString())));
    assertTrue(e.getMessage().contains("outside parentRoot"), "message: " + e.getMessage());
    Chains.assertUnchanged(hashes, "by a refused commit");
  }

  @Test
  void committingAChildHoldingDataPastTheParentsEndIsRefusedAndChangesNothing()
      throws IOException {
    VhdImageBuilder parentImage = VhdImageBuilder.dynamic(4 * MIB).blockSize(512 * KIB);
    parentImage.write(0, filled(4096, 7));
    VhdImageBuilder childImage = VhdImageBuilder.differencing(parentImage, "parent.vhd")
        .size(8 * MIB).blockSize(512 * KIB);
    childImage.write(6 * MIB, filled(4096, 9));
    Path parent = dir.resolve("parent.vhd");
    Path child = dir.resolve("child.vhd");
    parentImage.writeTo(parent);
    childImage.writeTo(child);
    Map<Path, String> hashes = Chains.hashes(List.of(parent, child));
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> VhdImages.commit(child, Map.of()));
    assertTrue(e.getMessage().contains("past the end"), "message: " + e.getMessage());
    Chains.assertUnchanged(hashes, "by a refused commit");
  }

  // ---------------------------------------------------------------- helpers

  /** A parent of the given kind with random writes (4 KiB-aligned if asked), as a chain. */
  private Chain parent(QemuTools qemu, ParentKind kind, Random random, boolean aligned4k)
      throws IOException {
    if (kind.byQemu) {
      return ChainWorkload.qemuBase(qemu, dir, random, aligned4k ? 4 * KIB : SECTOR, kind.how);
    }
    Path base = dir.resolve("base.vhd");
    int size = 8 * MIB;
    if (kind.how.equals("fixed")) {
      Chains.createFixed(base, size);
    } else {
      Chains.createDynamic(base, size, 4 * KIB);
    }
    Chain chain = new Chain();
    chain.images.add(base);
    chain.mirror = new byte[size];
    chain.writeTop(random, 20, 64 * KIB, aligned4k);
    return chain;
  }

  /** A 4 MiB dynamic {@code parent.vhd} whose first 3 MiB are random. */
  private Path randomParent(Random random) throws IOException {
    Path parent = dir.resolve("parent.vhd");
    Chains.createDynamic(parent, 4 * MIB, 512 * KIB);
    Chains.write(parent, 0, bytes(random, 3 * MIB));
    return parent;
  }

  private static long heldSectors(List<Write> writes) {
    TreeSet<Long> sectors = new TreeSet<>();
    for (Write w : writes) {
      for (long s = w.offset() / SECTOR; s <= (w.end() - 1) / SECTOR; s++) {
        sectors.add(s);
      }
    }
    return sectors.size();
  }

  private static long heldBlocks(List<Write> writes, int block) {
    TreeSet<Long> blocks = new TreeSet<>();
    for (Write w : writes) {
      for (long b = w.offset() / block; b <= (w.end() - 1) / block; b++) {
        blocks.add(b);
      }
    }
    return blocks.size();
  }

  /** qemu-img sees the mirror in {@code image}: compare, info, and check where it can. */
  private void assertQemuReads(QemuTools qemu, Path image, byte[] mirror, String what)
      throws IOException {
    Path raw = Files.write(dir.resolve("expected-" + image.getFileName() + ".raw"), mirror);
    Exit compare = qemu.compare(image, raw);
    assertEquals(0, compare.code(), "qemu-img compare of " + what + " with the mirror: "
        + compare.describe());
    assertEquals(mirror.length, qemu.virtualSize(image), "qemu-img info: virtual size of " + what);
    Optional<Exit> check = qemu.check(image);
    if (check.isPresent()) {
      assertEquals(0, check.get().code(), "qemu-img check of " + what + ": "
          + check.get().describe());
    }
  }

  /** Every sector reads as it did before the commit or as it does after. */
  static void assertEachSectorOldOrNew(byte[] old, byte[] now, byte[] got, String who) {
    assertEquals(old.length, got.length, "disk size of the " + who);
    for (int s = 0; s < got.length; s += SECTOR) {
      if (!Arrays.equals(got, s, s + SECTOR, old, s, s + SECTOR)
          && !Arrays.equals(got, s, s + SECTOR, now, s, s + SECTOR)) {
        fail("the " + who + " reads " + Chains.hex(got, s, 16) + " at virtual offset " + s
            + ", neither its content before the commit (" + Chains.hex(old, s, 16)
            + ") nor the chain's (" + Chains.hex(now, s, 16) + ")");
      }
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
