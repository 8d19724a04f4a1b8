package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.CrashModel.OldContent;
import io.vhdfs.CrashModel.Recording;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.vhdfs.testing.VhdxTools;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk (issue 10, item 8): a dynamic image on an 8 MiB tmpfs, with a virtual size
 * twice that, filled by allocating writes of stamped data with a force after each MiB until the
 * host says ENOSPC. Then, without unmounting: a force and writes into blocks already allocated
 * still work (they need no new space) and become durable; after closing, the image opens here
 * and in qemu-img, every write completed before the last force reads back, nothing reads
 * garbled ({@link CrashModel}), and a check finds at most orphan space (the block whose
 * allocation ran out of room).
 *
 * <p>Mounting needs root and mount permission (CI runs as root); where {@code mount} is refused
 * the test is skipped, saying why.
 */
@ExtendWith(SeedExtension.class)
final class FullHostDiskTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final long VIRTUAL_SIZE = 16L * MIB;
  private static final int BLOCK = 512 * KIB;
  private static final int WRITE = 64 * KIB;
  private static final Duration MOUNT_TIMEOUT = Duration.ofMinutes(1);

  @TempDir static Path dir;
  private static Path mountPoint;
  private static String notMounted;

  @TempDir Path local;

  @BeforeAll
  static void mountSmallTmpfs() throws IOException {
    if (!System.getProperty("os.name").startsWith("Linux")) {
      notMounted = "tmpfs is a Linux file system; this is " + System.getProperty("os.name");
      return;
    }
    Path point = Files.createDirectory(dir.resolve("tmpfs"));
    QemuTools.Exit mount = QemuTools.runForExit(MOUNT_TIMEOUT,
        List.of("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", point.toString()));
    if (mount.code() != 0) {
      notMounted = "could not mount an 8 MiB tmpfs (needs root and mount permission): "
          + mount.describe();
      return;
    }
    mountPoint = point;
  }

  @AfterAll
  static void unmount() {
    if (mountPoint != null) {
      QemuTools.Exit umount = QemuTools.runForExit(MOUNT_TIMEOUT,
          List.of("umount", mountPoint.toString()));
      if (umount.code() != 0) {
        // Something still holds a file there; detach it so the temporary directory can go.
        QemuTools.runForExit(MOUNT_TIMEOUT, List.of("umount", "-l", mountPoint.toString()));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vhd", "vhdx"})
  void fillingARealDiskUntilItIsFullKeepsEveryForcedByteAndLeavesAnImageEveryReaderOpens(
      String format, SeededRandom random) throws IOException {
    Assumptions.assumeTrue(mountPoint != null, notMounted);
    Path image = mountPoint.resolve("full." + format);
    try {
      fill(image, format, random);
    } finally {
      Files.deleteIfExists(image);
    }
  }

  private void fill(Path image, String format, SeededRandom random) throws IOException {
    // VHDX blocks are 1 MiB at least; its log, metadata and BAT take a little of the 8 MiB.
    Chains.createDynamic(image, VIRTUAL_SIZE, format.equals("vhdx") ? MIB : BLOCK);
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(FileSystems.getDefault());
    Recording run = new Recording("image");
    run.log = host.log();
    run.diskSize = VIRTUAL_SIZE;
    run.seed = random.toString();
    IOException full = null;
    List<String> afterFull = new ArrayList<>();
    try (FileSystem vhd = Chains.vhd().newFileSystem(host.wrap(image), Map.of());
        FileChannel ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      for (long at = 0; at < VIRTUAL_SIZE && full == null; at += WRITE) {
        try {
          run.write(ch, at, WRITE, false, "sequential fill", random);
          if ((at + WRITE) % MIB == 0) {
            run.force(ch, true);
          }
        } catch (IOException e) {
          full = e;
        }
      }
      assertTrue(full != null, "a " + VIRTUAL_SIZE + "-byte disk filled an 8 MiB tmpfs without"
          + " running out of space");
      // Full now: what needs no new space still works, and what it writes becomes durable.
      try {
        run.force(ch, true);
        for (int i = 0; i < 4; i++) {
          run.write(ch, random.nextInt(2 * MIB), 1 + random.nextInt(8 * KIB), false,
              "into an allocated block after the disk filled", random);
        }
        run.force(ch, true);
      } catch (IOException e) {
        afterFull.add(e.toString());
      }
    }
    assertEquals(List.of(), afterFull, "writes that need no new space failed once the disk was "
        + "full (" + full + ")");
    assertTrue(run.writes.stream().anyMatch(w -> w.offset() > 4L * MIB),
        "the disk was full before 4 MiB of guest data: " + full);

    CrashModel model = new CrashModel(run, OldContent.zeros());
    byte[] ours = new byte[(int) VIRTUAL_SIZE];
    int cut = run.log.mutationCount();
    run.readCut(image, ours, cut);
    model.check(ours, cut, false);
    List<String> findings = VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE)
        .findings().stream().map(VhdImages.Finding::code)
        .filter(code -> !code.equals("orphan-space")).toList();
    assertEquals(List.of(), findings, "findings other than orphan space in the image on the "
        + "full disk (" + full + ")");

    Optional<QemuTools> qemu = QemuTools.find();
    if (qemu.isPresent()) {
      Path raw = local.resolve("full.raw");
      if (format.equals("vhdx")) {
        VhdxTools.require().convertToRaw(image, raw);
      } else {
        qemu.get().convertToRaw(image, raw);
      }
      byte[] theirs = Files.readAllBytes(raw);
      try {
        model.check(theirs, cut, false);
      } catch (AssertionError e) {
        fail("qemu-img convert of the image on the full disk:\n" + e.getMessage(), e);
      }
      int at = Arrays.mismatch(ours, theirs);
      assertEquals(-1, at, () -> "qemu-img reads " + Chains.hex(theirs, at & ~15, 16)
          + " at virtual offset " + (at & ~15) + " of the image on the full disk, where this "
          + "library reads " + Chains.hex(ours, at & ~15, 16));
    }
  }
}
