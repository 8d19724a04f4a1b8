package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link VhdImages#merge} (issue 14, item 4): a child, or a run of a chain, merged into an
 * ancestor leaves the ancestor reading alone as the chain did, for this library, qemu-img and
 * libvhdi, and the merged images deleted; merges that would disturb someone or have nowhere to
 * go are refused before anything changes; a merge cut after any host write of the ancestor
 * leaves the chain reading the same, and runs again to the end.
 */
@ExtendWith(SeedExtension.class)
final class MergeTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final long SIZE = 8L * MIB;

  @TempDir Path dir;

  enum Format {
    VHD("vhd"),
    VHDX("vhdx");

    final String ext;

    Format(String ext) {
      this.ext = ext;
    }
  }

  /** A qemu-made base with data and {@code depth} children of ours over it, each with data. */
  private List<Path> qemuChain(Format format, int depth, Random r) throws IOException {
    Path base = dir.resolve("base." + format.ext);
    List<QemuTools.Write> writes = List.of(new QemuTools.Write(0x5a, 0, 3 * MIB),
        new QemuTools.Write(0xa5, 5L * MIB + 4096, 70 * 4096));
    if (format == Format.VHD) {
      QemuTools qemu = QemuTools.require();
      qemu.create(base, SIZE, "");
      qemu.write(base, writes);
    } else {
      VhdxTools qemu = VhdxTools.require();
      qemu.create(base, SIZE, "block_size=1M");
      qemu.write(base, writes);
    }
    Files.write(mirror(), Chains.readDisk(base));
    List<Path> chain = new ArrayList<>(List.of(base));
    for (int i = 1; i <= depth; i++) {
      Path child = dir.resolve("child" + i + "." + format.ext);
      VhdImages.create(child, Map.of("type", "differencing", "parent",
          chain.get(0).getFileName().toString(), "blockSize", (i % 2 == 0 ? 2 : 1) + "M"));
      chain.add(0, child);
      writeAligned(child, mirror(), r, 14);
    }
    VhdxWriteTest.assertSameAsMirror(chain.get(0), mirror(), "fixture: the chain");
    return chain;
  }

  private Path mirror() {
    return dir.resolve("mirror.raw");
  }

  /**
   * {@code count} writes of whole 4 KiB grains (libvhdi misreads partly set bitmap bytes), some
   * of zeros over the parent's data.
   */
  static void writeAligned(Path image, Path mirror, Random r, int count) throws IOException {
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE);
        FileChannel m = FileChannel.open(mirror, StandardOpenOption.WRITE)) {
      long size = m.size();
      for (int i = 0; i < count; i++) {
        int length = 4096 * (1 + r.nextInt(100));
        long at = 4096L * r.nextInt((int) ((size - length) / 4096));
        byte[] data = r.nextInt(5) == 0 ? new byte[length]
            : Chains.randomBytes(length, r.nextLong());
        Chains.writeFully(ch, at, data);
        Chains.writeFully(m, at, data);
      }
    }
  }

  private void assertPeersRead(Format format, Path image) throws IOException {
    QemuTools.Exit compare = format == Format.VHD ? QemuTools.require().compare(image, mirror())
        : VhdxTools.require().compare(image, mirror());
    assertEquals(0, compare.code(), "qemu-img compare: " + compare.describe());
    List<Libvhdi.Window> windows = Libvhdi.chunks(Files.size(mirror()), 512 * KIB);
    Libvhdi.Reading reading = Libvhdi.require().read(image, windows, 4 * KIB, dir);
    try (FileChannel m = FileChannel.open(mirror())) {
      assertEquals(Libvhdi.hashes(m, windows), reading.lines(), "libvhdi of " + image);
    }
  }

  private static void assertSound(Path image) throws IOException {
    assertEquals(List.of(), VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings(), "vhd check of " + image);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void mergingAChildLeavesItsParentReadingAsTheChainAndDeletesIt(Format format,
      SeededRandom random) throws IOException {
    List<Path> chain = qemuChain(format, 1, random);
    Path child = chain.get(0);
    Path base = chain.get(1);
    List<Long> progress = new ArrayList<>();

    VhdImages.Merge m = VhdImages.merge(child, null, Map.of(), (done, total) -> progress.add(done));

    assertEquals(base.toRealPath(), m.ancestor(), "Merge.ancestor");
    assertEquals(List.of(dir.toRealPath().resolve(child.getFileName())), m.deleted(),
        "Merge.deleted");
    assertTrue(m.bytesWritten() > 0, "Merge.bytesWritten");
    assertFalse(Files.exists(child), "the merged child is deleted");
    assertEquals(Files.size(mirror()), progress.get(progress.size() - 1), "progress to the end");
    VhdxWriteTest.assertSameAsMirror(base, mirror(), "the parent after the merge");
    assertSound(base);
    if (format == Format.VHDX) {
      VhdxHeaders.read(base).assertClosedCleanly();
    }
    assertPeersRead(format, base);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void mergingAThreeLevelChainIntoItsBaseDeletesEveryImageAbove(Format format,
      SeededRandom random) throws IOException {
    List<Path> chain = qemuChain(format, 2, random);
    Path top = chain.get(0);
    Path mid = chain.get(1);
    Path base = chain.get(2);

    VhdImages.Merge m = VhdImages.merge(top, base, Map.of(), VhdImages.Progress.NONE);

    assertEquals(List.of(dir.toRealPath().resolve(top.getFileName()),
        dir.toRealPath().resolve(mid.getFileName())), m.deleted(), "Merge.deleted, top first");
    assertFalse(Files.exists(top) || Files.exists(mid), "the merged images are deleted");
    VhdxWriteTest.assertSameAsMirror(base, mirror(), "the base after the merge");
    assertSound(base);
    assertPeersRead(format, base);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void mergingTheTopIntoItsParentLeavesTheRestOfTheChainAlone(Format format,
      SeededRandom random) throws IOException {
    List<Path> chain = qemuChain(format, 2, random);
    Path top = chain.get(0);
    Path mid = chain.get(1);
    Path base = chain.get(2);
    String baseHash = Chains.sha256(base);

    VhdImages.Merge m = VhdImages.merge(top, null, Map.of(), VhdImages.Progress.NONE);

    assertEquals(mid.toRealPath(), m.ancestor());
    assertFalse(Files.exists(top));
    assertEquals(baseHash, Chains.sha256(base), "the base is not written");
    VhdxWriteTest.assertSameAsMirror(mid, mirror(), "the middle image after the merge");
    Libvhdi.Reading reading = Libvhdi.require().readChain(List.of(mid, base),
        Libvhdi.chunks(Files.size(mirror()), 512 * KIB), 4 * KIB, dir);
    try (FileChannel f = FileChannel.open(mirror())) {
      assertEquals(Libvhdi.hashes(f, Libvhdi.chunks(Files.size(mirror()), 512 * KIB)),
          reading.lines(), "libvhdi of the middle image over the base");
    }
  }

  @Test
  void mergesThatWouldDisturbSomeoneOrHaveNowhereToGoAreRefusedUntouched(SeededRandom random)
      throws IOException {
    List<Path> chain = qemuChain(Format.VHD, 2, random);
    Path top = chain.get(0);
    Path mid = chain.get(1);
    Path base = chain.get(2);
    Map<Path, String> before = Chains.hashes(chain);

    try (FileSystem open = Chains.open(top);
        FileChannel ch = FileChannel.open(open.getPath("/disk"))) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.merge(top, base, Map.of(), VhdImages.Progress.NONE));
      assertTrue(e.getMessage().contains("open in this JVM"), e.getMessage());
    }
    try (FileSystem open = Chains.open(mid);
        FileChannel ch = FileChannel.open(open.getPath("/disk"))) {
      assertThrows(FileSystemException.class,
          () -> VhdImages.merge(top, base, Map.of(), VhdImages.Progress.NONE),
          "an image of the run open as a disk of its own");
    }
    Path stranger = dir.resolve("stranger.vhd");
    QemuTools.require().create(stranger, SIZE, "");
    FileSystemException notInChain = assertThrows(FileSystemException.class,
        () -> VhdImages.merge(top, stranger, Map.of(), VhdImages.Progress.NONE));
    assertTrue(notInChain.getMessage().contains("not in the child's chain"),
        notInChain.getMessage());
    assertThrows(FileSystemException.class,
        () -> VhdImages.merge(base, null, Map.of(), VhdImages.Progress.NONE),
        "a base has no parent");
    Chains.assertUnchanged(before, "after the refused merges");
    VhdxWriteTest.assertSameAsMirror(top, mirror(), "the chain after the refused merges");
  }

  /**
   * A three-level chain of ours on Jimfs merged into its base; the base cut after every host
   * write of the merge, with the run put back as it was (the run is only read, then deleted):
   * the top reads the same until the base's write session ends, which is after the run is
   * deleted; the base always opens; and the merge runs again to the end from sampled cuts.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Format.class)
  void aMergeCutAfterAnyHostWriteLeavesTheChainReadingTheSameAndRunsAgain(Format format,
      SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      String ext = format.ext;
      Path images = Files.createDirectories(jimfs.getPath("/images"));
      Path base = images.resolve("base." + ext);
      VhdImages.create(base, Map.of("size", Long.toString(4 * MIB), "type", "dynamic",
          "blockSize", "1M"));
      Path mirror = jimfs.getPath("/mirror.raw");
      Files.write(mirror, new byte[Chains.readDisk(base).length]);
      writeAligned(base, mirror, random, 6);
      Path mid = images.resolve("mid." + ext);
      VhdImages.create(mid, Map.of("type", "differencing", "parent", "base." + ext,
          "blockSize", "2M"));
      writeAligned(mid, mirror, random, 6);
      Path top = images.resolve("top." + ext);
      VhdImages.create(top, Map.of("type", "differencing", "parent", "mid." + ext,
          "blockSize", "1M"));
      writeAligned(top, mirror, random, 6);
      byte[] expected = Files.readAllBytes(mirror);
      Map<Path, byte[]> run = new LinkedHashMap<>();
      for (Path p : List.of(top, mid)) {
        run.put(p, Files.readAllBytes(p));
      }
      byte[] baseBefore = Files.readAllBytes(base);
      UUID linkBefore = format == Format.VHDX ? VhdxHeaders.read(base).dataWriteGuid() : null;

      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      VhdImages.merge(host.wrap(top), host.wrap(base), Map.of(), VhdImages.Progress.NONE);
      HostWriteLog log = host.log();
      int total = log.mutationCount();
      assertTrue(total > 0, "the merge wrote nothing");
      for (HostWriteLog.Mutation m : log.mutations()) {
        assertEquals(base.toString(), m.file(), "the merge wrote another file: " + m);
      }
      assertFalse(Files.exists(top) || Files.exists(mid), "the run is deleted");
      assertSameBytes(expected, Chains.readDisk(base), 0, "the base after the merge");

      int chainReads = 0;
      for (int n = 0; n <= total; n++) {
        String at = "base cut after " + n + " of " + total + " host writes (" + random + ")";
        Files.write(base, log.replay(baseBefore, n, base.toString()));
        for (Map.Entry<Path, byte[]> e : run.entrySet()) {
          Files.write(e.getKey(), e.getValue());
        }
        Chains.readDiskOrFail(base, at + ": the base");
        boolean sessionEnded = format == Format.VHDX
            && !VhdxHeaders.read(base).dataWriteGuid().equals(linkBefore);
        if (!sessionEnded) {
          chainReads++;
          byte[] chainNow = Chains.readDiskOrFail(top, at + ": the chain");
          assertSameBytes(expected, chainNow, 0, "the chain over the " + at);
        }
        if (!sessionEnded && (n % Math.max(1, total / 12) == 0 || n == total - 2)) {
          VhdImages.merge(top, base, Map.of(), VhdImages.Progress.NONE);
          assertSameBytes(expected, Chains.readDisk(base), 0, "the base re-merged from the "
              + at);
          assertFalse(Files.exists(top) || Files.exists(mid), "the run deleted again");
        }
      }
      assertTrue(chainReads >= total - 2, "only the base's last header writes end the session");
    }
  }
}
