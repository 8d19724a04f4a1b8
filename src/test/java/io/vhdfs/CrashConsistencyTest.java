package io.vhdfs;

import static io.vhdfs.CrashModel.SECTOR;
import static io.vhdfs.CrashModel.hex;
import static io.vhdfs.CrashModel.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.CrashModel.GuestForce;
import io.vhdfs.CrashModel.GuestWrite;
import io.vhdfs.CrashModel.OldContent;
import io.vhdfs.CrashModel.Recording;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash consistency (DESIGN.md §3, "Lazy BAT writer"; issue 3 item 6): a crash at any moment leaves
 * an image that opens, and every write completed before the last {@code force()} reads back;
 * later writes may be lost, never garbled or put at the wrong offset.
 *
 * <p>A seeded random workload writes through the provider onto a Jimfs image wrapped in a
 * {@link ForwardingHostFileSystem}, which records every host write in order. A crash after N host
 * writes is modelled as the image's bytes before the workload plus the first N recorded host
 * writes (each host write lands whole; nothing after it lands). For every N the test rebuilds that
 * file and reads the whole disk back through a read-only file system.
 *
 * <p>Guest data is stamped: every aligned 8-byte word a write puts at virtual offset q holds
 * {@code 0x5A}, the write's number and q / 8, so a read of another write's data, of data meant for
 * another offset, or of metadata shows which it is. The check runs per piece: a byte range inside
 * one sector over which the same writes apply. A piece must equal, whole, one of: what the last
 * write before the force put there (zeros if none), or what a write after the force that had
 * started before the cut put there. Bytes no write ever touched must read as zeros. The model
 * itself is {@link CrashModel}, shared with {@link ChildCrashConsistencyTest}.
 */
@ExtendWith(SeedExtension.class)
final class CrashConsistencyTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final long REQUESTED_SIZE = 16L * MIB;
  private static final int GUEST_WRITES = 90;

  /** The images the workload runs on. */
  enum Layout {
    DYNAMIC_512K("dynamic", 512 * KIB),
    DYNAMIC_2M("dynamic", 2 * MIB),
    FIXED("fixed", 2 * MIB);

    final String type;
    /** The block size, or for fixed images the stride the straddling writes aim at. */
    final int blockSize;

    Layout(String type, int blockSize) {
      this.type = type;
      this.blockSize = blockSize;
    }
  }

  @TempDir Path tempDir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void cutAfterAnyHostWriteOpensAndKeepsForcedData(Layout layout, SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Run run = Run.execute(jimfs, layout, random);
      int total = run.log.mutationCount();
      assertTrue(total >= run.writes.size(),
          "expected at least one host write per guest write, saw " + total + " for "
              + run.writes.size() + " guest writes");
      new CrashModel(run, OldContent.zeros())
          .checkEveryCut(jimfs, jimfs.getPath("/cut.vhd"), run.initial);
    }
  }

  /**
   * The contract's durability half: {@code force()} makes completed writes durable, so by the time
   * it returns the host itself has been forced after the last host write.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void forceForcesTheHostAfterTheLastHostWrite(Layout layout, SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Run run = Run.execute(jimfs, layout, random);
      assertTrue(run.forces.size() > 0, "the workload forced nothing");
      for (GuestForce f : run.forces) {
        assertTrue(f.hostForcedAfterLastWrite(),
            "guest force #" + f.index() + " returned with host writes after the last host force"
                + " (host writes so far: " + f.hostCount() + ")");
      }
    }
  }

  /**
   * QEMU opens a sample of the cut images and reads exactly our bytes, which pass the check. QEMU
   * reads an allocated block's data area without looking at the sector bitmap, so this also
   * shows that no cut leaves bytes under clear bits: stale bytes in a new block's data area (an
   * old footer, say), or data written before the bits that cover it.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void qemuReadsSampledCutImagesWithForcedDataAndNoGarbage(Layout layout, SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Run run = Run.execute(jimfs, layout, random);
      CrashModel model = new CrashModel(run, OldContent.zeros());
      int total = run.log.mutationCount();
      String file = run.image.toString();
      TreeSet<Integer> sample = new TreeSet<>();
      for (int i = 0; i < 10; i++) {
        sample.add((int) Math.round((double) total * i / 9));
      }
      byte[] observed = new byte[Math.toIntExact(run.diskSize)];
      for (int n : sample) {
        Path onDisk = tempDir.resolve("cut-" + n + ".vhd");
        Files.write(onDisk, run.log.replay(run.initial, n, file));
        run.readCut(onDisk, observed, n);
        model.check(observed, n, n == total);

        assertEquals(run.diskSize, qemu.virtualSize(onDisk),
            "qemu-img info: virtual size of the image cut after " + n + " of " + total
                + " host writes");
        Path raw = tempDir.resolve("cut-" + n + ".raw");
        qemu.convertToRaw(onDisk, raw);
        byte[] qemuBytes = Files.readAllBytes(raw);
        assertEquals(run.diskSize, qemuBytes.length, "qemu-img convert: disk length of the image"
            + " cut after " + n + " of " + total + " host writes");
        try {
          model.check(qemuBytes, n, n == total);
        } catch (AssertionError e) {
          throw new AssertionError("qemu-img convert of the image cut after " + n + " host writes"
              + " (this provider read it correctly):\n" + e.getMessage(), e);
        }
        int at = Arrays.mismatch(observed, qemuBytes);
        assertEquals(-1, at, "image cut after " + n + " of " + total + " host writes: qemu-img"
            + " reads " + (at < 0 ? "" : hex(qemuBytes, at & ~15, 16)) + " at virtual offset "
            + (at & ~15) + " where this provider reads " + (at < 0 ? "" : hex(observed, at & ~15, 16)));
        Files.delete(raw);
        Files.delete(onDisk);
      }
    }
  }

  /**
   * The check itself, on a synthetic run without the library: it accepts what the contract allows
   * and rejects lost forced data, garbage, misplaced data and data of writes not yet started.
   */
  @Test
  void modelRejectsLostForcedDataGarbageMisplacedAndUnstartedData() {
    Run run = new Run();
    run.seed = "synthetic run";
    run.log = new HostWriteLog();
    run.diskSize = 64 * KIB;
    run.writes.add(new GuestWrite(0, 1000, stamp(0, 1000, 3000), 0, 2, "forced"));
    run.forces.add(new GuestForce(0, 2, 1, true));
    run.writes.add(new GuestWrite(1, 2500, stamp(1, 2500, 600), 3, 4, "lost or kept"));
    run.writes.add(new GuestWrite(2, 10_000, stamp(2, 10_000, 100), 7, 8, "not started"));
    CrashModel model = new CrashModel(run, OldContent.zeros());
    int cut = 5;

    byte[] forcedOnly = new byte[64 * KIB];
    System.arraycopy(run.writes.get(0).data(), 0, forcedOnly, 1000, 3000);
    byte[] both = forcedOnly.clone();
    System.arraycopy(run.writes.get(1).data(), 0, both, 2500, 600);
    byte[] halfOfLater = forcedOnly.clone(); // write #1 landed in its first sector only
    System.arraycopy(run.writes.get(1).data(), 0, halfOfLater, 2500, 60);
    model.check(forcedOnly, cut, false);
    model.check(both, cut, false);
    model.check(halfOfLater, cut, false);

    byte[] lost = both.clone();
    Arrays.fill(lost, 1000, 1500, (byte) 0);
    byte[] garbage = both.clone();
    garbage[3333] ^= 1;
    byte[] misplaced = new byte[64 * KIB];
    System.arraycopy(run.writes.get(0).data(), 0, misplaced, 1512, 3000 - 512);
    byte[] unstarted = both.clone();
    System.arraycopy(run.writes.get(2).data(), 0, unstarted, 10_000, 100);
    byte[] partialPiece = both.clone(); // half of one piece from write #1, half from #0
    System.arraycopy(run.writes.get(0).data(), 1600, partialPiece, 2600, 100);
    for (byte[] bad : List.of(lost, garbage, misplaced, unstarted, partialPiece)) {
      assertThrows(AssertionError.class,
          () -> model.check(bad, cut, false));
    }
    assertThrows(AssertionError.class,
        () -> model.check(both, cut, true), "a complete run must hold every write");
    model.check(unstarted, cut, true); // holds all three writes
  }

  // ------------------------------------------------------------------------------ the workload

  /** The recorded outcome of one workload. */
  static final class Run extends Recording {
    Path image;
    /** The image file before the workload. */
    byte[] initial;

    Run() {
      super("image");
    }

    static Run execute(FileSystem jimfs, Layout layout, SeededRandom random) throws IOException {
      Run run = new Run();
      run.seed = random.toString();
      run.image = jimfs.getPath("/image.vhd");
      createImage(run.image, layout);
      run.initial = Files.readAllBytes(run.image);
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      run.log = host.log();
      try (FileSystem vhd = FileSystems.newFileSystem(host.wrap(run.image), Map.of())) {
        Path disk = vhd.getPath("/disk");
        run.diskSize = Files.size(disk);
        run.drive(disk, GUEST_WRITES, 9, random, ch -> run.write(ch, layout, random));
      }
      return run;
    }

    private static void createImage(Path image, Layout layout) throws IOException {
      // Straight to the vhd provider: FileSystems.newFileSystem(path, env) asks the JDK's zip
      // provider first, which takes "create=true" for itself and makes a zip file.
      Map<String, String> env = layout.type.equals("fixed")
          ? Map.of("create", "true", "size", Long.toString(REQUESTED_SIZE), "type", "fixed")
          : Map.of("create", "true", "size", Long.toString(REQUESTED_SIZE), "type", "dynamic",
              "blockSize", Integer.toString(layout.blockSize));
      Chains.vhd().newFileSystem(image, env).close();
    }

    private void write(FileChannel ch, Layout layout, Random random) throws IOException {
      long size = diskSize;
      long offset;
      int length;
      String kind;
      int pick = random.nextInt(100);
      if (pick < 20) {
        kind = "small unaligned";
        length = 1 + random.nextInt(6 * KIB);
        offset = (long) (random.nextDouble() * (size - length));
      } else if (pick < 35) {
        kind = "partial sector";
        int start = random.nextInt(SECTOR - 1);
        length = 1 + random.nextInt(SECTOR - 1 - start);
        offset = (long) random.nextInt((int) (size / SECTOR)) * SECTOR + start;
      } else if (pick < 55) {
        kind = "block-straddling";
        long blocks = size / layout.blockSize;
        long boundary = layout.blockSize * (1 + (long) random.nextInt((int) blocks - 1));
        int before = 1 + random.nextInt(48 * KIB);
        length = before + 1 + random.nextInt(48 * KIB);
        offset = boundary - before;
      } else if (pick < 65) {
        kind = "large unaligned";
        length = 256 * KIB + random.nextInt(1024 * KIB);
        offset = (long) (random.nextDouble() * (size - length));
      } else if (pick < 80) {
        kind = "sector-aligned";
        length = SECTOR * (1 + random.nextInt(128));
        offset = SECTOR * (long) random.nextInt((int) ((size - length) / SECTOR));
      } else {
        kind = "overlapping an earlier write";
        GuestWrite earlier = writes.isEmpty() ? null : writes.get(random.nextInt(writes.size()));
        length = 1 + random.nextInt(12 * KIB);
        long around =
            earlier == null ? 0 : earlier.offset() + random.nextInt(earlier.data().length);
        offset = Math.max(0, around - random.nextInt(2 * KIB));
      }
      offset = Math.min(offset, size - length);
      write(ch, offset, length, random.nextInt(8) == 0, kind, random);
    }
  }
}
