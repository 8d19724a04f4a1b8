package io.vhdfs;

import static io.vhdfs.CrashModel.SECTOR;
import static io.vhdfs.CrashModel.stamp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.CrashModel.GuestForce;
import io.vhdfs.CrashModel.GuestWrite;
import io.vhdfs.CrashModel.OldContent;
import io.vhdfs.CrashModel.Recording;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostFaults;
import io.vhdfs.testing.HostFaults.Call;
import io.vhdfs.testing.HostFaults.Mode;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults of the host under allocating writes (issue 10, item 8): a host that fails the k-th
 * write, force or size call, for every k of a workload, in each way a full or failing disk
 * fails ({@link HostFaults}). The workload writes stamped data into a small dynamic image (or a
 * differencing child) through a {@link ForwardingHostFileSystem} with the fault plan: new blocks,
 * partly written blocks, whole blocks, partial sectors, zeros, forces, a channel reopened. A step
 * that fails is not retried; the workload goes on with the next one, reopening the file system
 * or channel where needed, as a user who frees space and carries on would.
 *
 * <p>A failed write may have landed in part and is never durable. A failed force or close takes
 * back the promise for the writes not yet forced: the disk then gives up what it held in memory
 * (a later force, even one that succeeds in a new session, does not cover them), so they count
 * as failed writes from then on.
 *
 * <p>After each run, the checks of {@link CrashModel}: while the last channel is still open,
 * every completed write still promised reads back, and every other byte holds its old content or
 * a failed write's (not where the host itself dropped bytes under the session); after closing
 * (which may fail too), nothing of the image stays open in this JVM; reopened read-only on the
 * unfaulted host (the same bytes), the image opens, every write completed before the last
 * successful force reads back, every other sector holds its old content or a later write's,
 * never anything else; and a check finds nothing worse than orphan space (blocks that a failed
 * write reserved and no table entry points at). qemu-img reads a sample of the left images as
 * this library does.
 */
@ExtendWith(SeedExtension.class)
final class HostFaultWriteTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final int SIZE = 4 * MIB;

  /** The images written. */
  enum Layout {
    DYNAMIC(false, 64 * KIB, "vhd"),
    /** 1024 table entries in 8 sectors: batches of table sectors that a write can tear. */
    DYNAMIC_4K_BLOCKS(false, 4 * KIB, "vhd"),
    DIFFERENCING(true, 64 * KIB, "vhd"),
    /** Metadata through the log: BAT sectors logged, then written in place. */
    VHDX_DYNAMIC(false, MIB, "vhdx"),
    /** Sector bitmap sectors logged with the BAT's; partial blocks over the parent's data. */
    VHDX_DIFFERENCING(true, MIB, "vhdx");

    final boolean child;
    final int block;
    final String extension;

    Layout(boolean child, int block, String extension) {
      this.child = child;
      this.block = block;
      this.extension = extension;
    }
  }

  @TempDir Path tempDir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void writeForceOrSizeFailingOnceAtAnyHostCallKeepsForcedBytesAndGarblesNothing(Layout layout,
      SeededRandom random) throws IOException {
    sweepEveryCall(layout, random, Mode.FAILS_ONCE);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void hostDyingAtAnyCallKeepsForcedBytesAndGarblesNothing(Layout layout, SeededRandom random)
      throws IOException {
    sweepEveryCall(layout, random, Mode.DIES);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void writeTornAtASectorBoundaryThenFullDiskAtAnyCallKeepsForcedBytesAndGarblesNothing(
      Layout layout, SeededRandom random) throws IOException {
    sweepEveryCall(layout, random, Mode.TORN_THEN_FAILS);
  }

  /**
   * A failed force whose host drops every write since the last good force (Linux after a
   * write-back error): the library must not go on to write table entries that point at blocks
   * the host dropped, even when a later force succeeds.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void forceFailingAndDroppingUnforcedWritesLeavesNoTableEntryOverLostData(Layout layout,
      SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Fixture f = Fixture.make(jimfs, layout, random);
      List<Integer> forces = f.callsOf(Call.FORCE);
      assertFalse(forces.isEmpty(), "the workload forces nothing");
      for (int k : forces) {
        // The host drops bytes under the open session, which then reads what is left: no
        // in-session check.
        Outcome o = f.run(HostFaults.at(k, Mode.FORCE_LOSES_UNFORCED), false);
        f.checkAfterwards(o);
      }
    }
  }

  /** A short write count is legal: the library writes the rest, and nothing is lost. */
  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void shortWriteCountAtAnyHostWriteLosesNothing(Layout layout, SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Fixture f = Fixture.make(jimfs, layout, random);
      for (int k : f.callsOf(Call.WRITE)) {
        Outcome o = f.run(HostFaults.at(k, Mode.SHORT_COUNT), true);
        assertEquals(List.of(), o.failures, "a short write count failed the workload ("
            + o.plan + ")");
        f.check(f.checkAfterwards(o), o, true, "the image after " + o.plan);
      }
    }
  }

  /**
   * qemu-img opens a sample of the images faults left behind (about one call in eight, each
   * mode) and reads exactly the bytes this library reads, which pass the model. QEMU reads no
   * parents of a vpc child, so only the dynamic image is compared.
   */
  @Test
  void qemuReadsImagesLeftByFaultsAsThisLibraryDoes(SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Fixture f = Fixture.make(jimfs, Layout.DYNAMIC, random);
      int total = f.calls.size();
      int compared = 0;
      for (Mode mode : List.of(Mode.FAILS_ONCE, Mode.DIES, Mode.TORN_THEN_FAILS,
          Mode.FORCE_LOSES_UNFORCED)) {
        for (int k = mode.ordinal(); k < total; k += 8) {
          Outcome o = f.run(HostFaults.at(k, mode), false);
          byte[] ours = f.checkAfterwards(o);
          Path local = Files.write(tempDir.resolve("left-" + mode + "-" + k + ".vhd"),
              Files.readAllBytes(f.image));
          String what = "the image left by " + o.plan + " (" + f.seed + ")";
          assertEquals(SIZE, qemu.virtualSize(local), "qemu-img info: virtual size of " + what);
          Path raw = tempDir.resolve("left.raw");
          qemu.convertToRaw(local, raw);
          byte[] theirs = Files.readAllBytes(raw);
          int at = Arrays.mismatch(ours, theirs);
          assertEquals(-1, at, () -> "qemu-img convert of " + what + " reads "
              + Chains.hex(theirs, at & ~15, 16) + " at virtual offset " + (at & ~15)
              + " where this library reads " + Chains.hex(ours, at & ~15, 16));
          Files.delete(raw);
          Files.delete(local);
          compared++;
        }
      }
      assertTrue(compared >= 4, "compared only " + compared + " images");
    }
  }

  /**
   * The model's rule for failed writes, on a synthetic run: a failed write is never durable, even
   * before a later force, but each piece it covers may hold its bytes, unless a later completed
   * write covers that piece too.
   */
  @Test
  void modelTakesAFailedWriteAsNeverDurableButPossiblyLanded() {
    Recording run = new Recording("image");
    run.seed = "synthetic run";
    run.log = new HostWriteLog();
    run.diskSize = 64 * KIB;
    run.writes.add(new GuestWrite(0, 1000, stamp(0, 1000, 3000), 0, 2, "completed"));
    run.writes.add(new GuestWrite(1, 2048, stamp(1, 2048, 1024), 2, 3, "failed", true));
    run.writes.add(new GuestWrite(2, 2560, stamp(2, 2560, 512), 3, 4, "completed later"));
    run.forces.add(new GuestForce(0, 4, 3, true));
    CrashModel model = new CrashModel(run, OldContent.zeros());
    int cut = 4;

    byte[] withoutFailed = new byte[64 * KIB];
    System.arraycopy(run.writes.get(0).data(), 0, withoutFailed, 1000, 3000);
    System.arraycopy(run.writes.get(2).data(), 0, withoutFailed, 2560, 512);
    byte[] withFailed = withoutFailed.clone();
    System.arraycopy(run.writes.get(1).data(), 0, withFailed, 2048, 512);
    model.check(withoutFailed, cut, false);
    model.check(withFailed, cut, false);
    model.check(withFailed, cut, true);

    byte[] failedOverLater = withFailed.clone();
    System.arraycopy(run.writes.get(1).data(), 512, failedOverLater, 2560, 512);
    byte[] failedTorn = withoutFailed.clone();
    System.arraycopy(run.writes.get(1).data(), 0, failedTorn, 2048, 100);
    byte[] lostCompleted = withFailed.clone();
    Arrays.fill(lostCompleted, 1000, 1512, (byte) 0);
    for (byte[] bad : List.of(failedOverLater, failedTorn, lostCompleted)) {
      assertThrows(AssertionError.class, () -> model.check(bad, cut, false));
    }
  }

  // ------------------------------------------------------------------------------ the sweep

  private void sweepEveryCall(Layout layout, SeededRandom random, Mode mode) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Fixture f = Fixture.make(jimfs, layout, random);
      int total = f.calls.size();
      assertTrue(total >= 30, "expected a workload of tens of host calls, saw " + total);
      for (int k = 0; k < total; k++) {
        Outcome o = f.run(HostFaults.at(k, mode), true);
        assertTrue(o.plan.fired() != null, "the fault at call " + k + " never fired: the workload"
            + " is not deterministic (" + f.seed + ")");
        assertFalse(o.failures.isEmpty(), "nothing failed although " + o.plan);
        f.checkAfterwards(o);
      }
    }
  }

  /** What one faulted run did. */
  private static final class Outcome {
    final HostFaults plan;
    final Recording run;
    /** Every failure the workload met, for messages. */
    final List<String> failures = new ArrayList<>();

    Outcome(HostFaults plan, Recording run) {
      this.plan = plan;
      this.run = run;
    }

    void failed(String what, IOException e) {
      String m = String.valueOf(e.getMessage());
      failures.add(what + ": " + (m.length() > 160 ? m.substring(0, 160) + "..." : m));
    }

    /** The failures, for messages: the first few. */
    String failures() {
      return failures.size() <= 4 ? failures.toString()
          : failures.subList(0, 4) + " and " + (failures.size() - 4) + " more";
    }

    /**
     * After a failed force or close: completed writes not yet forced are no longer promised,
     * even by a later successful force (the disk that held their table entries gave up, and a
     * reopened one reads what the file holds), so they count as failed writes from now on.
     */
    void takeBackUnforced() {
      int durable = run.forces.isEmpty() ? 0 : run.forces.get(run.forces.size() - 1).writesBefore();
      for (int i = durable; i < run.writes.size(); i++) {
        GuestWrite w = run.writes.get(i);
        if (!w.failed()) {
          run.writes.set(i, new GuestWrite(w.id(), w.offset(), w.data(), w.hostBefore(),
              w.hostAfter(), w.kind() + ", not forced when a force or close failed", true));
        }
      }
    }
  }

  /** One guest step of the workload. */
  private sealed interface Step permits Put, Force, Reopen {}

  /** A stamped write (zeros if {@code zero}). */
  private record Put(long offset, int length, boolean zero, String kind) implements Step {}

  /** {@code force(metaData)}. */
  private record Force(boolean metaData) implements Step {}

  /** The channel closed and a new one opened. */
  private record Reopen() implements Step {}

  /** The image, its bytes before the workload, the workload and its calls without faults. */
  private static final class Fixture {
    final Path image;
    final byte[] imageBefore;
    final byte[] diskBefore;
    final List<Step> steps;
    final long runSeed;
    final String seed;
    final boolean child;
    List<Call> calls;

    private Fixture(Path image, byte[] imageBefore, byte[] diskBefore, List<Step> steps,
        long runSeed, String seed, boolean child) {
      this.image = image;
      this.imageBefore = imageBefore;
      this.diskBefore = diskBefore;
      this.steps = steps;
      this.runSeed = runSeed;
      this.seed = seed;
      this.child = child;
    }

    /**
     * A 4 MiB image with the layout's blocks (a child over a dynamic parent with random bytes in 3 of
     * 4 of its blocks), a few sectors of 4 blocks written beforehand; the workload, run once
     * without faults to count its calls and to show that it passes the model.
     */
    static Fixture make(FileSystem jimfs, Layout layout, SeededRandom random) throws IOException {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path image = dir.resolve("image." + layout.extension);
      if (layout.child) {
        Path parent = dir.resolve("parent." + layout.extension);
        Chains.createDynamic(parent, SIZE, Math.max(256 * KIB, layout.block));
        byte[] b = new byte[256 * KIB];
        for (int i = 0; i < SIZE / b.length; i++) {
          if (i % 4 != 3) {
            random.nextBytes(b);
            Chains.write(parent, (long) i * b.length, b);
          }
        }
        Chains.createChild(image, parent.getFileName().toString(), layout.block);
      } else {
        Chains.createDynamic(image, SIZE, layout.block);
      }
      List<Integer> partial = new ArrayList<>();
      while (partial.size() < 4) {
        int b = random.nextInt(SIZE / layout.block);
        if (!partial.contains(b)) {
          partial.add(b);
          int length = 1 + random.nextInt(3 * KIB);
          byte[] data = new byte[length];
          random.nextBytes(data);
          Chains.write(image, (long) b * layout.block
              + random.nextInt(layout.block - length + 1), data);
        }
      }
      Fixture f = new Fixture(image, Files.readAllBytes(image), Chains.readDisk(image),
          workload(random, partial, layout.block), random.nextLong(), random.toString(),
          layout.child);
      Outcome clean = f.run(HostFaults.none(), true);
      assertEquals(List.of(), clean.failures, "the workload fails without faults");
      f.calls = clean.plan.calls();
      f.check(f.checkAfterwards(clean), clean, true, "the image after the workload without "
          + "faults");
      return f;
    }

    /** The call numbers of {@code kind} in the run without faults. */
    List<Integer> callsOf(Call kind) {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        if (calls.get(i) == kind) {
          out.add(i);
        }
      }
      return out;
    }

    /**
     * About 14 steps: writes into new blocks (unaligned, straddling two blocks, a whole block),
     * into partly written blocks, into a whole block, partial sectors, zeros, an overlap, with
     * three forces, a reopen, and two writes after the last force.
     */
    private static List<Step> workload(Random r, List<Integer> partial, int block) {
      List<Step> s = new ArrayList<>();
      int blocks = SIZE / block;
      Put first = put(r, (long) r.nextInt(blocks) * block + r.nextInt(block), 3000, false,
          "small unaligned");
      s.add(first);
      long boundary = (1 + r.nextInt(blocks - 1)) * (long) block;
      int before = 1 + r.nextInt(block / 3);
      s.add(put(r, boundary - before, before + 1 + r.nextInt(block / 3), false,
          "block-straddling"));
      s.add(new Force(true));
      int start = r.nextInt(SECTOR - 1);
      s.add(put(r, (long) r.nextInt(SIZE / SECTOR) * SECTOR + start,
          1 + r.nextInt(SECTOR - 1 - start), false, "partial sector"));
      long whole = (long) r.nextInt(blocks) * block;
      s.add(put(r, whole, block, false, "whole block"));
      s.add(put(r, whole + r.nextInt(block - 100), 100, false, "small into the whole block"));
      s.add(put(r, (long) partial.get(0) * block + r.nextInt(block - 2000), 2000, false,
          "into a partly written block"));
      s.add(new Force(false));
      s.add(new Reopen());
      s.add(put(r, first.offset + r.nextInt(first.length) - r.nextInt(KIB), 1 + r.nextInt(4 * KIB),
          false, "overlapping an earlier write"));
      s.add(put(r, (long) partial.get(1) * block + r.nextInt(block), 2000, true,
          "into a partly written block"));
      // Across a 512 KiB boundary: with 4 KiB blocks, new entries in two adjacent table
      // sectors, written in one batch that a torn write can cut.
      long tableSpan = 512L * KIB;
      s.add(put(r, (1 + r.nextInt((int) (SIZE / tableSpan) - 1)) * tableSpan - 100 * KIB
          - r.nextInt(SECTOR), 200 * KIB, false, "large unaligned"));
      s.add(new Force(true));
      s.add(put(r, r.nextInt(SIZE), 1 + r.nextInt(6 * KIB), false, "after the last force"));
      s.add(put(r, (long) partial.get(2) * block + r.nextInt(block), 700, false,
          "after the last force, into a partly written block"));
      return s;
    }

    private static Put put(Random r, long offset, int length, boolean zero, String kind) {
      return new Put(Math.max(0, Math.min(offset, SIZE - length)), length, zero, kind);
    }

    /**
     * Resets the image to its bytes before the workload and runs the workload on it through a
     * forwarding host with {@code plan}; a failed step is noted and the next one runs. With
     * {@code readInSession}, the disk is read through the last channel and checked: every
     * write completed and still promised reads back. Closes what it opened, noting failures of
     * that too.
     */
    Outcome run(HostFaults plan, boolean readInSession) throws IOException {
      Files.write(image, imageBefore);
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(image.getFileSystem());
      host.injectFaults(plan);
      Recording run = new Recording("image");
      run.log = host.log();
      run.diskSize = SIZE;
      run.seed = seed + ", " + plan;
      Outcome o = new Outcome(plan, run);
      Random r = new Random(runSeed);
      Path wrapped = host.wrap(image);
      FileSystem vhd = null;
      FileChannel ch = null;
      try {
        for (Step step : steps) {
          try {
            if (vhd == null) {
              vhd = Chains.vhd().newFileSystem(wrapped, Map.of());
            }
            if (step instanceof Reopen && ch != null) {
              FileChannel old = ch;
              ch = null;
              try {
                old.close();
              } catch (IOException e) {
                o.takeBackUnforced();
                throw e;
              }
            }
            if (ch == null || !ch.isOpen()) {
              ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ,
                  StandardOpenOption.WRITE);
            }
            if (step instanceof Put p) {
              run.write(ch, p.offset, p.length, p.zero, p.kind, r);
            } else if (step instanceof Force f) {
              run.force(ch, f.metaData);
            }
          } catch (IOException e) {
            o.failed(step.toString(), e);
            if (step instanceof Force) {
              o.takeBackUnforced();
            }
          }
        }
        if (readInSession && ch != null && ch.isOpen()) {
          check(Chains.readAll(ch), o, true, "the disk read in the session after "
              + o.failures());
        }
      } finally {
        if (ch != null) {
          try {
            ch.close();
          } catch (IOException e) {
            o.failed("closing the channel", e);
            o.takeBackUnforced();
          }
        }
        if (vhd != null) {
          try {
            vhd.close();
          } catch (IOException e) {
            o.failed("closing the file system", e);
            o.takeBackUnforced();
          }
        }
      }
      assertFalse(OpenDisks.isOpen(wrapped.toRealPath()), "the image is still open in this JVM"
          + " after its channels and file system were closed (" + run.seed + "; failures: "
          + o.failures() + ")");
      return o;
    }

    /**
     * The checks after a run: the image reopened read-only on the unfaulted host, and a check of
     * its structure.
     *
     * @return the disk as read after the run
     */
    byte[] checkAfterwards(Outcome o) throws IOException {
      int cut = o.run.log.mutationCount();
      byte[] disk = new byte[SIZE];
      o.run.readCut(image, disk, cut);
      check(disk, o, false, "the image reopened after " + o.failures());
      // A VHDX session cut short leaves its log to replay, which every open does.
      List<VhdImages.Finding> findings = VhdImages.check(image, false, Map.of(),
          VhdImages.Progress.NONE).findings().stream()
          .filter(x -> !x.code().equals("orphan-space") && !x.code().equals("log-dirty"))
          .toList();
      assertEquals(List.of(), findings, "findings other than orphan space or a log to replay in"
          + " the image left by "
          + o.plan + " (" + seed + "; failures: " + o.failures() + ")");
      return disk;
    }

    private void check(byte[] disk, Outcome o, boolean complete, String what) {
      try {
        new CrashModel(o.run, OldContent.of(diskBefore)).check(disk, o.run.log.mutationCount(),
            complete);
      } catch (AssertionError e) {
        fail(what + ":\n" + e.getMessage(), e);
      }
    }
  }
}
