package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.HostWriteLog.Mutation;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
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
 * started before the cut put there. Bytes no write ever touched must read as zeros.
 */
@ExtendWith(SeedExtension.class)
final class CrashConsistencyTest {
  private static final int SECTOR = 512;
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final long REQUESTED_SIZE = 16L * MIB;
  private static final int GUEST_WRITES = 90;
  private static final byte[] ZEROS = new byte[MIB];

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
      Model model = new Model(run);
      int total = run.log.mutationCount();
      assertTrue(total >= run.writes.size(),
          "expected at least one host write per guest write, saw " + total + " for "
              + run.writes.size() + " guest writes");

      Path cut = jimfs.getPath("/cut.vhd");
      Files.write(cut, run.initial);
      List<Mutation> mutations = run.log.mutations();
      ForwardingHostFileSystem readOnlyHost = ForwardingHostFileSystem.over(jimfs);
      readOnlyHost.setReadOnly(true);
      byte[] observed = new byte[Math.toIntExact(run.diskSize)];
      try (FileChannel cutWriter = FileChannel.open(cut, StandardOpenOption.WRITE)) {
        for (int n = 0; n <= total; n++) {
          if (n > 0) {
            mutations.get(n - 1).applyTo(cutWriter);
          }
          readDisk(readOnlyHost.wrap(cut), observed, run, n);
          model.check(observed, n, n == total);
        }
      }
      assertEquals(0, readOnlyHost.log().mutationCount(), "read-only opens wrote to the host");
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
        assertTrue(f.hostForcedAfterLastWrite,
            "guest force #" + f.index + " returned with host writes after the last host force"
                + " (host writes so far: " + f.hostCount + ")");
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
    Assumptions.assumeTrue(QemuTools.onPath("qemu-img").isPresent()
            && QemuTools.onPath("qemu-io").isPresent(),
        "qemu-img not found on PATH: cut images are not cross-checked with QEMU (install Debian "
            + "package qemu-utils)");
    QemuTools qemu = QemuTools.require();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Run run = Run.execute(jimfs, layout, random);
      Model model = new Model(run);
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
        readDisk(onDisk, observed, run, n);
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
    Model model = new Model(run);
    int cut = 5;

    byte[] forcedOnly = new byte[64 * KIB];
    System.arraycopy(run.writes.get(0).data, 0, forcedOnly, 1000, 3000);
    byte[] both = forcedOnly.clone();
    System.arraycopy(run.writes.get(1).data, 0, both, 2500, 600);
    byte[] halfOfLater = forcedOnly.clone(); // write #1 landed in its first sector only
    System.arraycopy(run.writes.get(1).data, 0, halfOfLater, 2500, 60);
    model.check(forcedOnly, cut, false);
    model.check(both, cut, false);
    model.check(halfOfLater, cut, false);

    byte[] lost = both.clone();
    Arrays.fill(lost, 1000, 1500, (byte) 0);
    byte[] garbage = both.clone();
    garbage[3333] ^= 1;
    byte[] misplaced = new byte[64 * KIB];
    System.arraycopy(run.writes.get(0).data, 0, misplaced, 1512, 3000 - 512);
    byte[] unstarted = both.clone();
    System.arraycopy(run.writes.get(2).data, 0, unstarted, 10_000, 100);
    byte[] partialPiece = both.clone(); // half of one piece from write #1, half from #0
    System.arraycopy(run.writes.get(0).data, 1600, partialPiece, 2600, 100);
    for (byte[] bad : List.of(lost, garbage, misplaced, unstarted, partialPiece)) {
      assertThrows(AssertionError.class,
          () -> model.check(bad, cut, false));
    }
    assertThrows(AssertionError.class,
        () -> model.check(both, cut, true), "a complete run must hold every write");
    model.check(unstarted, cut, true); // holds all three writes
  }

  // ------------------------------------------------------------------------------ the workload

  /** One guest write: its number, where it went, its bytes, host writes before and after it. */
  record GuestWrite(int id, long offset, byte[] data, int hostBefore, int hostAfter, String kind) {
    long end() {
      return offset + data.length;
    }
  }

  /** One guest {@code force()}: host writes done and guest writes issued when it returned. */
  record GuestForce(int index, int hostCount, int writesBefore, boolean hostForcedAfterLastWrite) {}

  /** The recorded outcome of one workload. */
  static final class Run {
    Path image;
    byte[] initial;
    HostWriteLog log;
    long diskSize;
    final List<GuestWrite> writes = new ArrayList<>();
    final List<GuestForce> forces = new ArrayList<>();
    String seed;

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
        FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
          for (int i = 0; i < GUEST_WRITES; i++) {
            if (i == GUEST_WRITES / 2) {
              ch.close();
              ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            run.write(ch, layout, random);
            if (random.nextInt(9) == 0) {
              run.force(ch, random.nextBoolean());
            }
          }
          run.force(ch, true); // so at least one force happens, then more writes that may be lost
          for (int i = 0; i < 6; i++) {
            run.write(ch, layout, random);
          }
        } finally {
          ch.close();
        }
      }
      return run;
    }

    private static void createImage(Path image, Layout layout) throws IOException {
      // Straight to the vhd provider: FileSystems.newFileSystem(path, env) asks the JDK's zip
      // provider first, which takes "create=true" for itself and makes a zip file.
      FileSystemProvider vhd = FileSystemProvider.installedProviders().stream()
          .filter(p -> p.getScheme().equals("vhd")).findFirst().orElseThrow();
      Map<String, String> env = layout.type.equals("fixed")
          ? Map.of("create", "true", "size", Long.toString(REQUESTED_SIZE), "type", "fixed")
          : Map.of("create", "true", "size", Long.toString(REQUESTED_SIZE), "type", "dynamic",
              "blockSize", Integer.toString(layout.blockSize));
      vhd.newFileSystem(image, env).close();
    }

    private void write(FileChannel ch, Layout layout, Random random) throws IOException {
      int id = writes.size();
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
        long around = earlier == null ? 0 : earlier.offset + random.nextInt(earlier.data.length);
        offset = Math.max(0, around - random.nextInt(2 * KIB));
      }
      offset = Math.min(offset, size - length);
      boolean zero = random.nextInt(8) == 0;
      if (zero) {
        kind = "all-zero " + kind;
      }
      byte[] data = zero ? new byte[length] : stamp(id, offset, length);
      ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data)
          : ByteBuffer.allocateDirect(length).put(data).flip();
      boolean positional = random.nextBoolean();
      int hostBefore = log.mutationCount();
      if (positional) {
        long pos = offset;
        while (src.hasRemaining()) {
          pos += ch.write(src, pos);
        }
      } else {
        ch.position(offset);
        while (src.hasRemaining()) {
          ch.write(src);
        }
      }
      writes.add(new GuestWrite(id, offset, data, hostBefore, log.mutationCount(),
          kind + (positional ? ", positional" : ", relative")
              + (src.isDirect() ? ", direct buffer" : ", heap buffer")));
    }

    /** The seed, the host writes next to a cut and the guest writes they belonged to. */
    String around(int cut) {
      StringBuilder sb = new StringBuilder(seed).append("; host writes around the cut:");
      List<Mutation> all = log.mutations();
      for (int i = Math.max(0, cut - 4); i < Math.min(all.size(), cut + 2); i++) {
        sb.append("\n    #").append(i).append(i < cut ? " applied: " : " lost:    ")
            .append(all.get(i)).append(" (during ").append(guestAt(i)).append(')');
      }
      return sb.toString();
    }

    /** What the guest was doing when host write {@code i} happened. */
    private String guestAt(int i) {
      GuestWrite before = null;
      for (GuestWrite w : writes) {
        if (w.hostBefore <= i && i < w.hostAfter) {
          return "guest write #" + w.id + ", " + w.kind + ", [" + w.offset + ", " + w.end() + ")";
        }
        if (w.hostAfter <= i) {
          before = w;
        }
      }
      return before == null ? "opening, before any guest write"
          : "after guest write #" + before.id + ": a force, the channel close/reopen or the end";
    }

    private void force(FileChannel ch, boolean metaData) throws IOException {
      ch.force(metaData);
      int count = log.mutationCount();
      List<Integer> hostForces = log.forces();
      boolean forced = count == 0 || (!hostForces.isEmpty()
          && hostForces.get(hostForces.size() - 1) == count);
      forces.add(new GuestForce(forces.size(), count, writes.size(), forced));
    }
  }

  /**
   * Stamped data for write {@code id}: every 8-byte word aligned to virtual offset q holds
   * {@code 0x5A << 56 | (id + 1) << 40 | q / 8}, big-endian; the ends keep the part that falls
   * inside the write.
   */
  static byte[] stamp(int id, long offset, int length) {
    long first = offset & ~7L;
    long last = (offset + length + 7) & ~7L;
    ByteBuffer words = ByteBuffer.allocate((int) (last - first));
    for (long q = first; q < last; q += 8) {
      words.putLong(word(id, q));
    }
    return Arrays.copyOfRange(words.array(), (int) (offset - first),
        (int) (offset - first) + length);
  }

  private static long word(int id, long q) {
    return 0x5AL << 56 | (long) ((id + 1) & 0xFFFF) << 40 | (q >>> 3);
  }

  /** What the stamped word at {@code q} of {@code disk} says, for messages. */
  static String decode(byte[] disk, long q) {
    if (q + 8 > disk.length) {
      return "";
    }
    long w = ByteBuffer.wrap(disk, (int) q, 8).getLong();
    if (w == 0) {
      return " (zeros)";
    }
    if ((w >>> 56) != 0x5A) {
      return " (not guest data: " + String.format("%016x", w) + ")";
    }
    long at = (w & 0xFF_FFFF_FFFFL) << 3;
    return " (word of guest write #" + (((w >>> 40) & 0xFFFF) - 1) + " for virtual offset " + at
        + (at == q ? ")" : ", at the WRONG offset " + q + ")");
  }

  // ------------------------------------------------------------------------------ reading cuts

  /** Opens the host image read-only through the provider and reads the whole disk. */
  private static void readDisk(Path hostImage, byte[] into, Run run, int cut) {
    try (FileSystem vhd = FileSystems.newFileSystem(hostImage,
        Map.of("accessMode", "readOnly"))) {
      Path disk = vhd.getPath("/disk");
      try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
        assertEquals(run.diskSize, ch.size(), "disk size of the image cut after " + cut + " host"
            + " writes");
        for (int off = 0; off < into.length; off += MIB) {
          // The buffer's position is the virtual offset it is filled from.
          ByteBuffer dst = ByteBuffer.wrap(into, off, Math.min(MIB, into.length - off));
          while (dst.hasRemaining()) {
            if (ch.read(dst, dst.position()) < 0) {
              fail("disk of the image cut after " + cut + " host writes ended at "
                  + dst.position());
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new AssertionError("the image cut after " + cut + " of " + run.log.mutationCount()
          + " host writes does not open or read: " + e + "\n" + run.around(cut), e);
    }
  }

  // ------------------------------------------------------------------------------ the model

  /** The disk cut into pieces that the same writes cover, each inside one sector. */
  static final class Model {
    private final Run run;
    private final List<long[]> pieces = new ArrayList<>(); // {start, end}
    private final List<int[]> covers = new ArrayList<>(); // write ids, ascending
    private final List<long[]> untouched = new ArrayList<>(); // {start, end}

    Model(Run run) {
      this.run = run;
      TreeSet<Long> bounds = new TreeSet<>(List.of(0L, run.diskSize));
      for (GuestWrite w : run.writes) {
        bounds.add(w.offset);
        bounds.add(w.end());
      }
      Long prev = null;
      for (long b : bounds) {
        if (prev != null) {
          addInterval(prev, b);
        }
        prev = b;
      }
    }

    private void addInterval(long start, long end) {
      int[] cover = run.writes.stream()
          .filter(w -> w.offset <= start && w.end() >= end)
          .mapToInt(GuestWrite::id).toArray();
      if (cover.length == 0) {
        if (!untouched.isEmpty() && untouched.get(untouched.size() - 1)[1] == start) {
          untouched.get(untouched.size() - 1)[1] = end;
        } else {
          untouched.add(new long[] {start, end});
        }
        return;
      }
      for (long s = start; s < end; ) {
        long e = Math.min(end, (s / SECTOR + 1) * SECTOR);
        pieces.add(new long[] {s, e});
        covers.add(cover);
        s = e;
      }
    }

    /**
     * Checks the disk read from the image cut after {@code cut} host writes. {@code complete}: the
     * cut is the whole run (channels and file system closed), so every write must read back.
     */
    void check(byte[] disk, int cut, boolean complete) {
      int durable = 0;
      GuestForce lastForce = null;
      for (GuestForce f : run.forces) {
        if (f.hostCount <= cut) {
          durable = f.writesBefore;
          lastForce = f;
        }
      }
      if (complete) {
        durable = run.writes.size();
      }
      int started = 0;
      while (started < run.writes.size() && run.writes.get(started).hostBefore < cut) {
        started++;
      }
      List<String> problems = new ArrayList<>();
      for (long[] u : untouched) {
        for (long s = u[0]; s < u[1] && problems.size() < 5; s += ZEROS.length) {
          int len = (int) Math.min(ZEROS.length, u[1] - s);
          int at = Arrays.mismatch(disk, (int) s, (int) s + len, ZEROS, 0, len);
          if (at >= 0) {
            long bad = s + at;
            problems.add("virtual offset " + bad + ", written by no guest write, reads "
                + hex(disk, bad & ~15, 16) + decode(disk, bad & ~7) + " instead of zeros");
          }
        }
      }
      for (int i = 0; i < pieces.size() && problems.size() < 5; i++) {
        long[] p = pieces.get(i);
        int[] cover = covers.get(i);
        int base = -1;
        List<Integer> allowed = new ArrayList<>();
        for (int id : cover) {
          if (id < durable) {
            base = id;
          } else if (id < started) {
            allowed.add(id);
          }
        }
        allowed.add(0, base);
        boolean ok = false;
        for (int id : allowed) {
          if (matches(disk, p[0], p[1], id)) {
            ok = true;
            break;
          }
        }
        if (!ok) {
          problems.add("virtual bytes [" + p[0] + ", " + p[1] + ") read "
              + hex(disk, p[0], (int) Math.min(16, p[1] - p[0])) + decode(disk, (p[0] + 7) & ~7L)
              + "; allowed: " + describe(allowed) + " (covered by writes "
              + Arrays.toString(cover) + ")");
        }
      }
      if (!problems.isEmpty()) {
        fail("image cut after " + cut + " of " + run.log.mutationCount() + " host writes ("
            + (complete ? "complete run: every write must read back"
                : lastForce == null ? "no force yet"
                    : "last force #" + lastForce.index + " at host write " + lastForce.hostCount
                        + " covers guest writes 0.." + (durable - 1))
            + "; guest writes started: " + started + "):\n  " + String.join("\n  ", problems)
            + "\n" + run.around(cut));
      }
    }

    private boolean matches(byte[] disk, long start, long end, int id) {
      int len = (int) (end - start);
      if (id < 0) {
        return Arrays.equals(disk, (int) start, (int) end, ZEROS, 0, len);
      }
      GuestWrite w = run.writes.get(id);
      int from = (int) (start - w.offset);
      return Arrays.equals(disk, (int) start, (int) end, w.data, from, from + len);
    }

    private String describe(List<Integer> ids) {
      List<String> out = new ArrayList<>();
      for (int id : ids) {
        out.add(id < 0 ? "zeros (nothing durable)" : "write #" + id);
      }
      return String.join(" or ", out);
    }
  }

  static String hex(byte[] b, long from, int len) {
    StringBuilder sb = new StringBuilder();
    for (int i = (int) from; i < Math.min(b.length, from + len); i++) {
      sb.append(String.format("%02x", b[i]));
    }
    return sb.toString();
  }
}
