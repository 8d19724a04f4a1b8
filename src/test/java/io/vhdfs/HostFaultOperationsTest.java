package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.HostFaults;
import io.vhdfs.testing.HostFaults.Call;
import io.vhdfs.testing.HostFaults.Mode;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults of the host under whole-image operations (issue 10, item 8): create, commit, convert and
 * repair, each run once per host call with that call failing (once, for good, torn then full, a
 * force that drops unforced writes, a short count; see {@link HostFaults}). The operation may
 * fail; it must not hang, leave anything open in this JVM, or leave behind something that looks
 * valid but is wrong:
 * <ul>
 *   <li>create: a failed create leaves no file; one that returns leaves the image asked for.
 *   <li>commit: the child is untouched, the parent opens with each sector as before the commit or
 *       as the chain reads, the chain reads as before, and the commit run again completes.
 *   <li>convert: no destination under its name and no temporary file after a failure; after
 *       success, the destination reads as the source. The source is untouched.
 *   <li>repair: the image reads as before (or, where opening refused it, as the repair makes it),
 *       a check finds no defect it did not find before, and a repair run again completes.
 * </ul>
 * Images live on Jimfs behind a {@link ForwardingHostFileSystem}; qemu-img reads a deterministic
 * sample of the results (one plan in six) where it reads the format.
 */
@ExtendWith(SeedExtension.class)
final class HostFaultOperationsTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final int SIZE = 4 * MIB;
  private static final int BLOCK = 64 * KIB;
  /**
   * About 4 MiB that the geometry the builder writes (120/4/17) spans exactly, so QEMU 7, which
   * takes the geometry's size for a creator it does not know, sees the same size.
   */
  private static final int CHS_SIZE = 120 * 4 * 17 * 512;
  private static final Optional<QemuTools> QEMU = QemuTools.find();

  @TempDir Path tempDir;

  // ---------------------------------------------------------------------------- create

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed", "differencing"})
  void createFailingAtAnyHostCallLeavesNoFileOrTheImageAskedFor(String type, SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path image = dir.resolve("new.vhd");
      Path parent = dir.resolve("parent.vhd");
      Map<String, String> env = new HashMap<>(Map.of("create", "true", "type", type));
      byte[] expected = new byte[SIZE];
      if (type.equals("differencing")) {
        Chains.createDynamic(parent, SIZE, BLOCK);
        expected = Chains.randomBytes(SIZE, random.nextLong());
        Chains.write(parent, 0, expected);
        env.put("parent", "parent.vhd");
      } else {
        env.putAll(Map.of("size", Integer.toString(SIZE), "exactSize", "true"));
        if (type.equals("dynamic")) {
          env.put("blockSize", Integer.toString(BLOCK));
        }
      }
      byte[] disk = expected;
      sweep(jimfs, new Sweep() {
        @Override
        public void reset() throws IOException {
          Files.deleteIfExists(image);
        }

        @Override
        public void run(ForwardingHostFileSystem host) throws IOException {
          Chains.vhd().newFileSystem(host.wrap(image), env).close();
        }

        @Override
        public void verify(ForwardingHostFileSystem host, HostFaults plan, IOException failure,
            int n) throws IOException {
          String what = "create of a " + type + " image under " + plan;
          if (Files.exists(parent)) {
            assertFalse(OpenDisks.isOpen(host.wrap(parent).toRealPath()), "the parent is still"
                + " open after the " + what);
          }
          if (failure != null) {
            assertFalse(Files.exists(image), "the failed " + what + " left " + image + " ("
                + failure + ")");
            return;
          }
          try (FileSystem made = Chains.open(image)) {
            assertEquals(type, Files.getAttribute(made.getPath("/disk"), "vhd:diskType"),
                "type of the image the " + what + " made");
          }
          assertSameBytes(disk, Chains.readDisk(image), 0, "the image the " + what + " made");
          assertEquals(List.of(), findings(image), "findings in the image the " + what + " made");
          if (sampled(n) && !type.equals("differencing")) {
            assertQemuReads(image, disk, "the image the " + what + " made");
          }
        }
      });
    }
  }

  // ---------------------------------------------------------------------------- commit

  @Test
  void commitFailingAtAnyHostCallLeavesAValidParentAndTheChainAsBefore(SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path parent = dir.resolve("parent.vhd");
      Path child = dir.resolve("child.vhd");
      Chains.createDynamic(parent, SIZE, BLOCK);
      writeRandomly(parent, random, 8, 20 * KIB);
      Chains.createChild(child, "parent.vhd", BLOCK);
      writeRandomly(child, random, 10, 30 * KIB);
      byte[] parentBefore = Files.readAllBytes(parent);
      byte[] childBefore = Files.readAllBytes(child);
      byte[] parentView = Chains.readDisk(parent);
      byte[] chainView = Chains.readDisk(child);
      sweep(jimfs, new Sweep() {
        @Override
        public void reset() throws IOException {
          Files.write(parent, parentBefore);
          Files.write(child, childBefore);
        }

        @Override
        public void run(ForwardingHostFileSystem host) throws IOException {
          VhdImages.commit(host.wrap(child), Map.of());
        }

        @Override
        public void verify(ForwardingHostFileSystem host, HostFaults plan, IOException failure,
            int n) throws IOException {
          String what = "the parent after a commit under " + plan
              + (failure == null ? "" : " failed with " + failure);
          assertFalse(OpenDisks.isOpen(host.wrap(parent).toRealPath())
              || OpenDisks.isOpen(host.wrap(child).toRealPath()),
              "an image is still open in this JVM: " + what);
          assertArrayEquals(childBefore, Files.readAllBytes(child), "the child changed: " + what);
          byte[] now = Chains.readDiskOrFail(parent, what);
          ChainCommitTest.assertEachSectorOldOrNew(parentView, chainView, now, what);
          if (failure == null) {
            assertSameBytes(chainView, now, 0, what);
          }
          assertSameBytes(chainView, Chains.readDisk(child), 0, "the chain over " + what);
          assertEquals(List.of(), withoutOrphanSpace(codes(findings(parent))), "findings in "
              + what);
          if (sampled(n)) {
            assertQemuReads(parent, now, what);
          }
          VhdImages.commit(child, Map.of());
          assertSameBytes(chainView, Chains.readDisk(parent), 0, "the commit run again on "
              + what);
        }
      });
    }
  }

  // ---------------------------------------------------------------------------- convert

  @ParameterizedTest(name = "to {0}")
  @EnumSource(ConvertOptions.Format.class)
  void convertFailingAtAnyHostCallLeavesNoDestinationAndNoTemporaryFile(
      ConvertOptions.Format format, SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path source = dir.resolve("source.vhd");
      Path dst = dir.resolve("out.img");
      Chains.createDynamic(source, SIZE, BLOCK);
      writeRandomly(source, random, 8, 40 * KIB);
      byte[] sourceBytes = Files.readAllBytes(source);
      byte[] disk = Chains.readDisk(source);
      // A VHDX's blocks are 1 MiB at the least.
      int blockSize = format.name().startsWith("VHDX") ? 1 << 20 : BLOCK;
      ConvertOptions options = new ConvertOptions(format, blockSize, false, false);
      sweep(jimfs, new Sweep() {
        @Override
        public void reset() throws IOException {
          Files.deleteIfExists(dst);
        }

        @Override
        public void run(ForwardingHostFileSystem host) throws IOException {
          VhdImages.convert(host.wrap(source), host.wrap(dst), options, Map.of(),
              VhdImages.Progress.NONE);
        }

        @Override
        public void verify(ForwardingHostFileSystem host, HostFaults plan, IOException failure,
            int n) throws IOException {
          String what = "a conversion to " + format + " under " + plan
              + (failure == null ? "" : " that failed with " + failure);
          assertFalse(OpenDisks.isOpen(host.wrap(source).toRealPath()), "the source is still"
              + " open after " + what);
          assertArrayEquals(sourceBytes, Files.readAllBytes(source), "the source changed in "
              + what);
          try (Stream<Path> files = Files.list(dir)) {
            List<String> left = files.map(p -> p.getFileName().toString())
                .filter(name -> name.contains(".part-")).toList();
            assertEquals(List.of(), left, "temporary files left by " + what);
          }
          if (failure != null) {
            assertFalse(Files.exists(dst), "the destination exists after " + what);
            return;
          }
          byte[] made = format == ConvertOptions.Format.RAW ? Files.readAllBytes(dst)
              : Chains.readDiskOrFail(dst, "the destination of " + what);
          assertSameBytes(disk, made, 0, "the destination of " + what);
          if (format != ConvertOptions.Format.RAW) {
            assertEquals(List.of(), findings(dst), "findings in the destination of " + what);
            if (sampled(n)) {
              assertQemuReads(dst, disk, "the destination of " + what);
            }
          }
        }
      });
    }
  }

  // ---------------------------------------------------------------------------- repair

  /** Damage a repair fixes. */
  enum Damage {
    /** The end footer zeroed: the image opens through the copy at offset 0. */
    LOST_END_FOOTER,
    /**
     * A 511-byte end footer, a BAT entry past the end of the file, and a copy at offset 0 with a
     * bad checksum: all three kinds of repair write, in order. Opening refuses the image.
     */
    SHORT_FOOTER_ENTRY_PAST_END_AND_BAD_COPY
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Damage.class)
  void repairFailingAtAnyHostCallLeavesTheImageReadingAsBefore(Damage damage,
      SeededRandom random) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path image = dir.resolve("damaged.vhd");
      VhdImageBuilder b = VhdImageBuilder.dynamic(CHS_SIZE).blockSize(BLOCK)
          .block(0, Chains.randomBytes(BLOCK, random.nextLong()))
          .block(5, Chains.randomBytes(BLOCK, random.nextLong()))
          .write(CHS_SIZE - 3000, Chains.randomBytes(2000, random.nextLong()))
          .shortFooter(damage == Damage.SHORT_FOOTER_ENTRY_PAST_END_AND_BAD_COPY);
      Layout l = b.writeTo(image);
      byte[] repairedDisk = b.expectedDisk();
      if (damage == Damage.LOST_END_FOOTER) {
        HostBytes.write(image, l.footerOffset(), new byte[512]);
      } else {
        HostBytes.writeInt(image, l.batEntryOffset(5), (int) (l.fileSize() / 512 + 100));
        HostBytes.writeInt(image, VhdImageBuilder.F_CHECKSUM,
            HostBytes.readInt(image, VhdImageBuilder.F_CHECKSUM) ^ 0x100);
        java.util.Arrays.fill(repairedDisk, 5 * BLOCK, 6 * BLOCK, (byte) 0);
      }
      byte[] damaged = Files.readAllBytes(image);
      List<String> foundBefore = codes(findings(image));
      byte[] diskBefore = damage == Damage.LOST_END_FOOTER ? Chains.readDisk(image) : null;
      sweep(jimfs, new Sweep() {
        @Override
        public void reset() throws IOException {
          Files.write(image, damaged);
        }

        @Override
        public void run(ForwardingHostFileSystem host) throws IOException {
          VhdImages.check(host.wrap(image), true, Map.of(), VhdImages.Progress.NONE);
        }

        @Override
        public void verify(ForwardingHostFileSystem host, HostFaults plan, IOException failure,
            int n) throws IOException {
          String what = "the image after a repair under " + plan
              + (failure == null ? "" : " that failed with " + failure);
          List<String> found = codes(findings(image));
          assertTrue(foundBefore.containsAll(found), "new findings " + found + " (before: "
              + foundBefore + ") in " + what);
          byte[] now = null;
          try {
            now = Chains.readDisk(image);
          } catch (VhdFormatException refused) {
            assertNull(diskBefore, what + " is refused, though it opened before: " + refused);
            assertNotNull(failure, "the repair succeeded, but " + what + " is refused: "
                + refused);
          }
          if (now != null) {
            assertSameBytes(diskBefore != null ? diskBefore : repairedDisk, now, 0, what);
            // QEMU refused the damaged image too; it must agree once the image is sound.
            if (sampled(n) && withoutOrphanSpace(found).isEmpty()) {
              assertQemuReads(image, now, what);
            }
          }
          VhdImages.Check again = VhdImages.check(image, true, Map.of(), VhdImages.Progress.NONE);
          assertEquals(List.of(), withoutOrphanSpace(again.remaining().stream()
              .map(VhdImages.Finding::code).toList()), "left after repairing again " + what);
          assertSameBytes(repairedDisk, Chains.readDisk(image), 0, "the repair run again on "
              + what);
        }
      });
    }
  }

  // ---------------------------------------------------------------------------- the sweep

  /** One operation swept over its host calls. */
  private interface Sweep {
    /** Puts the files back as they were before the operation. */
    void reset() throws IOException;

    /** The operation, on paths of {@code host}. */
    void run(ForwardingHostFileSystem host) throws IOException;

    /**
     * Checks what the operation left, on the unfaulted host; {@code failure} is what it threw,
     * or null; {@code n} numbers the plan, for sampling.
     */
    void verify(ForwardingHostFileSystem host, HostFaults plan, IOException failure, int n)
        throws IOException;
  }

  /**
   * Runs {@code s} without faults to count its calls, then once per plan: every call failing
   * once, for good, or torn then full; every force also dropping the writes not forced; every
   * write also returning a short count, which must not fail the operation.
   */
  private static void sweep(FileSystem jimfs, Sweep s) throws IOException {
    s.reset();
    HostFaults counting = HostFaults.none();
    ForwardingHostFileSystem clean = hostOf(jimfs, counting);
    s.run(clean);
    s.verify(clean, counting, null, 1);
    List<Call> calls = counting.calls();
    assertTrue(calls.size() >= 2, "the operation made " + calls + " host calls");
    List<HostFaults> plans = new ArrayList<>();
    for (int k = 0; k < calls.size(); k++) {
      for (Mode m : List.of(Mode.FAILS_ONCE, Mode.DIES, Mode.TORN_THEN_FAILS)) {
        plans.add(HostFaults.at(k, m));
      }
      if (calls.get(k) == Call.FORCE) {
        plans.add(HostFaults.at(k, Mode.FORCE_LOSES_UNFORCED));
      }
      if (calls.get(k) == Call.WRITE) {
        plans.add(HostFaults.at(k, Mode.SHORT_COUNT));
      }
    }
    for (int n = 0; n < plans.size(); n++) {
      HostFaults plan = plans.get(n);
      s.reset();
      ForwardingHostFileSystem host = hostOf(jimfs, plan);
      IOException failure = null;
      try {
        s.run(host);
      } catch (IOException e) {
        failure = e;
      }
      assertNotNull(plan.fired(), "the plan never fired: the operation is not deterministic ("
          + plan + ", " + calls.size() + " calls without faults)");
      if (plan.toString().startsWith(Mode.SHORT_COUNT.name()) && failure != null) {
        fail("a short write count failed the operation (" + plan + ")", failure);
      }
      s.verify(host, plan, failure, n);
    }
  }

  private static ForwardingHostFileSystem hostOf(FileSystem jimfs, HostFaults plan) {
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
    host.injectFaults(plan);
    return host;
  }

  /** One plan in six gets qemu-img's reading too. */
  private static boolean sampled(int n) {
    return n % 6 == 1 && QEMU.isPresent();
  }

  /** {@code count} writes of random bytes, up to {@code max} bytes each, at random offsets. */
  private static void writeRandomly(Path image, Random random, int count, int max)
      throws IOException {
    for (int i = 0; i < count; i++) {
      byte[] b = new byte[1 + random.nextInt(max)];
      random.nextBytes(b);
      Chains.write(image, random.nextInt(SIZE - b.length), b);
    }
  }

  private static List<VhdImages.Finding> findings(Path image) throws IOException {
    return VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE).findings();
  }

  private static List<String> codes(List<VhdImages.Finding> findings) {
    return findings.stream().map(VhdImages.Finding::code).toList();
  }

  private static List<String> withoutOrphanSpace(List<String> codes) {
    return codes.stream().filter(c -> !c.equals("orphan-space")).toList();
  }

  /** qemu-img sees {@code disk} in {@code image} (copied off Jimfs). */
  private void assertQemuReads(Path image, byte[] disk, String what) throws IOException {
    QemuTools qemu = QEMU.orElseThrow();
    byte[] bytes = Files.readAllBytes(image);
    boolean vhdx = bytes.length >= 8 && new String(bytes, 0, 8,
        java.nio.charset.StandardCharsets.US_ASCII).equals("vhdxfile");
    Path local = Files.write(tempDir.resolve(vhdx ? "sample.vhdx" : "sample.vhd"), bytes);
    Path raw = Files.write(tempDir.resolve("sample.raw"), disk);
    QemuTools.Exit same = vhdx ? io.vhdfs.testing.VhdxTools.require().compare(local, raw)
        : qemu.compare(local, raw);
    assertEquals(0, same.code(), "qemu-img compare of " + what + " with this library's reading: "
        + same.describe());
    Files.delete(local);
    Files.delete(raw);
  }
}
