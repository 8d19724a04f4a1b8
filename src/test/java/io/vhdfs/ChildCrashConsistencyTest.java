package io.vhdfs;

import static io.vhdfs.CrashModel.SECTOR;
import static io.vhdfs.CrashModel.stamp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.vhdfs.testing.HostWriteLog.Mutation;
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
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash consistency of writes into a differencing image (issue 4), after {@link
 * CrashConsistencyTest}: a crash at any moment leaves a child that opens, in which every write
 * completed before the last {@code force()} reads back and every other sector reads either its
 * old content or a later write's. A sector's old content is what the chain read before the
 * workload: for sectors the child never held, the parent's bytes, not zeros, so a bit set before
 * its data lands, or a new block's BAT entry written before its data, shows as a failure.
 *
 * <p>The parent and child live on Jimfs. The child was created and partly written with this
 * library (some blocks hold a few sectors), then a seeded workload writes into it through a
 * {@link ForwardingHostFileSystem}, which records every host write in order: into new blocks,
 * into the partly written blocks (sectors with clear bits and sectors already held), partial
 * sectors, zeros. A crash after N host writes is the child's bytes before the workload plus the
 * first N recorded writes, put next to the parent and read whole through a read-only host. The
 * parent must never be written: no recorded write touches it, its bytes never change, and the
 * read-only host refuses writes to either file. The model is {@link CrashModel}, with the chain's
 * content before the workload as the old content instead of zeros.
 */
@ExtendWith(SeedExtension.class)
final class ChildCrashConsistencyTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final int SIZE = 8 * MIB;
  private static final int GUEST_WRITES = 70;

  /** The chains the workload runs on. */
  enum Layout {
    DYNAMIC_PARENT_CHILD_512K(false, 512 * KIB),
    DYNAMIC_PARENT_CHILD_2M(false, 2 * MIB),
    FIXED_PARENT_CHILD_4K(true, 4 * KIB);

    final boolean fixedParent;
    final int childBlock;

    Layout(boolean fixedParent, int childBlock) {
      this.fixedParent = fixedParent;
      this.childBlock = childBlock;
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void cutAfterAnyHostWriteOfTheChildOpensKeepsForcedDataAndShowsTheParentElsewhere(
      Layout layout, SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Run run = Run.execute(jimfs, layout, random);
      int total = run.log.mutationCount();
      assertTrue(total >= run.writes.size(), "expected at least one host write per guest write, "
          + "saw " + total + " for " + run.writes.size());
      for (Mutation m : run.log.mutations()) {
        assertEquals(run.child.toString(), m.file(), "a host write of the workload touched "
            + "another file than the child: " + m);
      }
      assertArrayEquals(run.parentBytes, Files.readAllBytes(run.parent),
          "the parent file changed under writes into its child");
      for (GuestForce f : run.forces) {
        assertTrue(f.hostForcedAfterLastWrite(), "guest force #" + f.index() + " returned with "
            + "host writes after the last host force (host writes so far: " + f.hostCount() + ")");
      }

      new CrashModel(run, OldContent.of(run.initial))
          .checkEveryCut(jimfs, run.child.resolveSibling("cut.vhd"), run.childBefore);
      assertArrayEquals(run.parentBytes, Files.readAllBytes(run.parent),
          "the parent file changed while cut children were read");
    }
  }

  /**
   * The check itself, on a synthetic run: it accepts the parent's bytes where nothing durable was
   * written, and rejects zeros there (a bit set over sectors whose data never came), lost forced
   * data and unstarted writes.
   */
  @Test
  void modelTakesTheParentsBytesAsOldContentNotZeros() {
    Run run = new Run();
    run.seed = "synthetic run";
    run.log = new HostWriteLog();
    byte[] parent = new byte[64 * KIB];
    new Random(1).nextBytes(parent);
    run.initial = parent;
    run.diskSize = parent.length;
    run.writes.add(new GuestWrite(0, 1000, stamp(0, 1000, 3000), 0, 2, "f"));
    run.forces.add(new GuestForce(0, 2, 1, true));
    run.writes.add(new GuestWrite(1, 5000, stamp(1, 5000, 600), 3, 4, "l"));
    run.writes.add(new GuestWrite(2, 9000, stamp(2, 9000, 100), 7, 8, "u"));
    CrashModel model = new CrashModel(run, OldContent.of(run.initial));
    int cut = 5;

    byte[] forcedOnly = parent.clone();
    System.arraycopy(run.writes.get(0).data(), 0, forcedOnly, 1000, 3000);
    byte[] both = forcedOnly.clone();
    System.arraycopy(run.writes.get(1).data(), 0, both, 5000, 600);
    model.check(forcedOnly, cut, false);
    model.check(both, cut, false);

    byte[] zerosForOld = forcedOnly.clone();
    Arrays.fill(zerosForOld, 5000, 5600, (byte) 0);
    byte[] zerosUntouched = both.clone();
    Arrays.fill(zerosUntouched, 20_000, 20_512, (byte) 0);
    byte[] lost = both.clone();
    System.arraycopy(parent, 1000, lost, 1000, 500);
    byte[] unstarted = both.clone();
    System.arraycopy(run.writes.get(2).data(), 0, unstarted, 9000, 100);
    for (byte[] bad : List.of(zerosForOld, zerosUntouched, lost, unstarted)) {
      assertThrows(AssertionError.class, () -> model.check(bad, cut, false));
    }
    assertThrows(AssertionError.class, () -> model.check(both, cut, true),
        "a complete run must hold every write");
  }

  // ------------------------------------------------------------------------------ the workload

  static final class Run extends Recording {
    Path parent;
    Path child;
    byte[] parentBytes;
    byte[] childBefore;
    /** What the chain read before the workload: the old content of every sector. */
    byte[] initial;
    int block;
    /** Child blocks holding sectors: written before the workload, or by it. */
    final TreeSet<Integer> held = new TreeSet<>();
    /** Child blocks partly written before the workload. */
    final List<Integer> partial = new ArrayList<>();

    Run() {
      super("child");
    }

    static Run execute(FileSystem jimfs, Layout layout, SeededRandom random) throws IOException {
      Run run = new Run();
      run.seed = random.toString();
      run.block = layout.childBlock;
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      run.parent = dir.resolve("parent.vhd");
      run.child = dir.resolve("child.vhd");
      makeParent(run.parent, layout, random);
      Chains.createChild(run.child, "parent.vhd", layout.childBlock);
      run.prewrite(random);
      run.parentBytes = Files.readAllBytes(run.parent);
      run.childBefore = Files.readAllBytes(run.child);
      run.initial = Chains.readDisk(run.child);
      run.diskSize = run.initial.length;

      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      run.log = host.log();
      try (FileSystem vhd = Chains.open(host.wrap(run.child))) {
        run.drive(vhd.getPath("/disk"), GUEST_WRITES, 8, random, ch -> run.write(ch, random));
      }
      return run;
    }

    /** Random bytes in 3 of every 4 parent blocks of 512 KiB (the rest: zeros, unallocated). */
    private static void makeParent(Path parent, Layout layout, Random random) throws IOException {
      if (layout.fixedParent) {
        Chains.createFixed(parent, SIZE);
      } else {
        Chains.createDynamic(parent, SIZE, 512 * KIB);
      }
      try (FileSystem fs = Chains.open(parent);
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        byte[] b = new byte[512 * KIB];
        for (int i = 0; i < SIZE / b.length; i++) {
          if (i % 4 != 3) {
            random.nextBytes(b);
            Chains.writeFully(ch, (long) i * b.length, b);
          }
        }
      }
    }

    /** A few sectors (some in part) into 4 child blocks, so the workload meets partial blocks. */
    private void prewrite(Random random) throws IOException {
      int blocks = SIZE / block;
      try (FileSystem fs = Chains.open(child);
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        while (partial.size() < 4) {
          int b = random.nextInt(blocks);
          if (held.add(b)) {
            partial.add(b);
            for (int k = 0; k < 3; k++) {
              int length = 1 + random.nextInt(Math.min(block, 3 * KIB));
              long at = (long) b * block + random.nextInt(block - length + 1);
              byte[] data = new byte[length];
              random.nextBytes(data);
              Chains.writeFully(ch, at, data);
            }
          }
        }
      }
    }

    private void write(FileChannel ch, Random random) throws IOException {
      long offset;
      int length;
      String kind;
      int pick = random.nextInt(100);
      int blocks = (int) (diskSize / block);
      if (pick < 25) {
        kind = "into a new block";
        int b = random.nextInt(blocks);
        for (int tries = 0; tries < 50 && held.contains(b); tries++) {
          b = random.nextInt(blocks);
        }
        length = 1 + random.nextInt(Math.min(block, 64 * KIB));
        offset = (long) b * block + random.nextInt(block - length + 1);
      } else if (pick < 50) {
        kind = "into a partly written block";
        int b = partial.get(random.nextInt(partial.size()));
        length = 1 + random.nextInt(Math.min(block, 16 * KIB));
        offset = (long) b * block + random.nextInt(block - length + 1);
      } else if (pick < 62) {
        kind = "partial sector";
        int start = random.nextInt(SECTOR - 1);
        length = 1 + random.nextInt(SECTOR - 1 - start);
        offset = (long) random.nextInt((int) (diskSize / SECTOR)) * SECTOR + start;
      } else if (pick < 77) {
        kind = "block-straddling";
        long boundary = (long) block * (1 + random.nextInt(blocks - 1));
        int before = 1 + random.nextInt(Math.min(block, 24 * KIB));
        length = before + 1 + random.nextInt(Math.min(block, 24 * KIB));
        offset = boundary - before;
      } else if (pick < 87) {
        kind = "sector-aligned";
        length = SECTOR * (1 + random.nextInt(64));
        offset = SECTOR * (long) random.nextInt((int) ((diskSize - length) / SECTOR));
      } else {
        kind = "overlapping an earlier write";
        GuestWrite e = writes.isEmpty() ? null : writes.get(random.nextInt(writes.size()));
        length = 1 + random.nextInt(12 * KIB);
        long around = e == null ? 0 : e.offset() + random.nextInt(e.data().length);
        offset = Math.max(0, around - random.nextInt(2 * KIB));
      }
      offset = Math.max(0, Math.min(offset, diskSize - length));
      write(ch, offset, length, random.nextInt(7) == 0, kind, random);
      for (long b = offset / block; b <= (offset + length - 1) / block; b++) {
        held.add((int) b);
      }
    }
  }
}
