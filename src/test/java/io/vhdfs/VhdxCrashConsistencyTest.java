package io.vhdfs;

import static io.vhdfs.CrashModel.SECTOR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.CrashModel.GuestForce;
import io.vhdfs.CrashModel.GuestWrite;
import io.vhdfs.CrashModel.OldContent;
import io.vhdfs.CrashModel.Recording;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog.Mutation;
import io.vhdfs.testing.HostWriteLog.Write;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxHeaders;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash consistency of VHDX writes (issue 13 item 2), after {@link CrashConsistencyTest} and
 * {@link ChildCrashConsistencyTest} and with their model, {@link CrashModel}: a seeded workload
 * writes stamped data through the provider while a {@link ForwardingHostFileSystem} records every
 * host write; the image cut after N host writes (its bytes before the workload plus the first N
 * host writes) is rebuilt for every N and read back read-only, which replays a dirty log in
 * memory. Every write completed before the last {@code force()} must read back; every other
 * sector reads its old content (zeros, or the parent's bytes under a child) or what a write that
 * had started put there; bytes no write touched read their old content.
 *
 * <p>The workloads write unaligned and partial sectors, straddle block boundaries, force with and
 * without metadata, close and reopen the channel (which ends the write session: LogGuid cleared,
 * a new one at the next write), and in one layout allocate blocks under so many BAT sectors
 * between two forces that the batching bound of {@code LoggedMetadata} flushes in the middle of a
 * guest write, then force so often in one session (as long as it takes) that its entries fill the
 * 1 MiB log ring and the log starts again (under a new LogGuid, which QEMU needs). That layout's
 * disk is 68 GiB, so it is read and checked in windows around the writes (and at both ends)
 * rather than whole.
 *
 * <p>For a sample of cuts per layout, among them the cut just after the first header write of a
 * session and cuts just after log entries, the cut image goes to the default file system and real
 * peers read it: {@code qemu-img check -r all} (which replays a dirty log) must pass, then
 * {@code qemu-img convert -O raw} and libvhdi must read what this provider read from the cut.
 * QEMU opens neither differencing VHDX nor 4096-byte sectors: such a cut is instead opened for
 * writing by this provider (which replays a dirty log onto the file, both headers without a
 * LogGuid afterwards, and leaves a clean one as it was), then read by libvhdi (a child with its
 * parent) and by this provider again. {@link #writableOpenReplaysADirtyLogOntoTheFile} checks the
 * replay onto the file for every cut just after a log entry and a share of the other dirty cuts.
 */
@ExtendWith(SeedExtension.class)
final class VhdxCrashConsistencyTest {
  private static final int KIB = 1024;
  private static final int MIB = 1 << 20;
  private static final long HEADER1 = 0x10000;
  private static final long HEADER2 = 0x20000;
  private static final UUID NO_GUID = new UUID(0, 0);
  /** BAT entries in one 4 KiB sector of the BAT: the log's unit, the batching bound's unit. */
  private static final int ENTRIES_PER_BAT_SECTOR = 512;
  /** Payload blocks per chunk at 1 MiB blocks and 512-byte sectors: 2^23 * 512 / 2^20. */
  private static final int CHUNK_RATIO_1M = 4096;
  /**
   * BAT sectors the spread layout's disk covers: more than one log entry carries (126, the
   * descriptors of one descriptor sector, all QEMU can replay), so more than the bound, whatever
   * share of them it keeps for one step's changes.
   */
  private static final int SPREAD_BAT_SECTORS = 136;
  /** Writes under distinct BAT sectors before the first force of the spread layout. */
  private static final int SPREAD_FIRST_WRITES = 130;
  /**
   * Most forced steps of the spread layout's one long session; the ring fills well before (about
   * 100), and {@link #assertLogRestartsUnderANewGuid} fails a workload that never fills it.
   */
  private static final int MAX_FORCED_SPREAD_STEPS = 400;
  /** Descriptors in an entry's first sector, after its 64-byte header: all QEMU 7.2 reads. */
  private static final int MAX_DESCRIPTORS_QEMU_REPLAYS = 126;
  /** Cuts per layout that go to the peers, besides the chosen ones. */
  private static final int PEER_SAMPLE = 8;

  /** Who makes the image and how it is read. */
  enum Kind { DYNAMIC, FIXED, SPREAD, CHILD }

  /** The images the workload runs on. */
  enum Layout {
    DYNAMIC_1M(Kind.DYNAMIC, 16L * MIB, MIB, 512, 60),
    DYNAMIC_32M(Kind.DYNAMIC, 64L * MIB, 32 * MIB, 512, 24),
    /** 4096-byte logical sectors: qemu-img refuses them, libvhdi reads them. */
    DYNAMIC_1M_4K_SECTORS(Kind.DYNAMIC, 16L * MIB, MIB, 4096, 40),
    FIXED(Kind.FIXED, 16L * MIB, MIB, 512, 50),
    /** 1 MiB blocks under 136 BAT sectors, about 68 GiB: the bound is reached. */
    SPREAD_1M(Kind.SPREAD, 0, MIB, 512, 0),
    CHILD_1M(Kind.CHILD, 16L * MIB, MIB, 512, 60),
    CHILD_32M(Kind.CHILD, 64L * MIB, 32 * MIB, 512, 24);

    final Kind kind;
    final long size;
    /** The block size, or for the fixed image the stride the straddling writes aim at. */
    final int blockSize;
    final int logicalSectorSize;
    final int guestWrites;

    Layout(Kind kind, long size, int blockSize, int logicalSectorSize, int guestWrites) {
      this.kind = kind;
      this.size = kind == Kind.SPREAD ? spreadSize() : size;
      this.blockSize = blockSize;
      this.logicalSectorSize = logicalSectorSize;
      this.guestWrites = guestWrites;
    }

    /** qemu-img opens neither differencing VHDX nor 4096-byte logical sectors. */
    boolean qemuOpens() {
      return kind != Kind.CHILD && logicalSectorSize == 512;
    }

    /** Enough 1 MiB blocks that their BAT entries (a bitmap slot per chunk) fill 136 sectors. */
    private static long spreadSize() {
      long entries = (long) SPREAD_BAT_SECTORS * ENTRIES_PER_BAT_SECTOR;
      return entries * CHUNK_RATIO_1M / (CHUNK_RATIO_1M + 1) * MIB;
    }
  }

  @TempDir Path tempDir;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Layout.class)
  void cutAfterAnyHostWriteOpensKeepsForcedDataAndReadsTheSameInQemuAndLibvhdi(Layout layout,
      SeededRandom random) throws IOException {
    VhdxTools qemu = layout.qemuOpens() ? VhdxTools.require() : null;
    Libvhdi libvhdi = Libvhdi.require();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      // The spread layout's image grows by 1 MiB a block, some 180 times: a sparse host file.
      FileSystem host = layout.kind == Kind.SPREAD ? FileSystems.getDefault() : jimfs;
      Path workDir = layout.kind == Kind.SPREAD ? Files.createDirectory(tempDir.resolve("work"))
          : Files.createDirectories(jimfs.getPath("/images"));
      Run run = Run.execute(host, workDir, layout, random);
      checkRecording(run);
      if (layout.kind == Kind.SPREAD) {
        assertBoundReachedInAGuestWrite(run);
        assertLogRestartsUnderANewGuid(run);
      }
      if (layout.kind == Kind.CHILD) {
        Files.write(tempDir.resolve("parent.vhdx"), run.parentBytes);
      }
      CrashModel model = new CrashModel(run, run.old);
      TreeSet<Integer> sample = peerSample(run);
      Peers peers = new Peers(qemu, libvhdi, run, model);
      Path cut = workDir.resolve("cut.vhdx");
      Files.write(cut, run.initial);
      ForwardingHostFileSystem readOnlyHost = ForwardingHostFileSystem.over(host);
      readOnlyHost.setReadOnly(true);
      List<Mutation> mutations = run.log.mutations();
      int total = mutations.size();
      try (FileChannel cutWriter = FileChannel.open(cut, StandardOpenOption.WRITE)) {
        for (int n = 0; n <= total; n++) {
          if (n > 0) {
            mutations.get(n - 1).applyTo(cutWriter);
          }
          byte[][] observed = run.readWindows(readOnlyHost.wrap(cut), n);
          for (int w = 0; w < observed.length; w++) {
            model.check(observed[w], run.windows.get(w)[0], n, n == total);
          }
          if (sample.contains(n)) {
            peers.check(n, observed);
          }
        }
      }
      assertEquals(0, readOnlyHost.log().mutationCount(), "read-only opens wrote to the host");
      if (layout.kind == Kind.CHILD) {
        assertArrayEquals(run.parentBytes, Files.readAllBytes(run.parent),
            "the parent file changed");
      }
    }
  }

  /**
   * A writable open of a cut whose headers name a LogGuid replays the log onto the file: both
   * headers are valid and name no LogGuid afterwards, and the disk reads what the read-only open
   * of the same cut read through its replay in memory. Checked for every cut just after a log
   * entry (its sectors not yet in place) and every third other cut with a dirty log.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(value = Layout.class, names = {"DYNAMIC_1M", "CHILD_1M"})
  void writableOpenReplaysADirtyLogOntoTheFile(Layout layout, SeededRandom random)
      throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path workDir = Files.createDirectories(jimfs.getPath("/images"));
      Run run = Run.execute(jimfs, workDir, layout, random);
      Path cut = workDir.resolve("cut.vhdx");
      Path replayed = workDir.resolve("replayed.vhdx");
      Files.write(cut, run.initial);
      List<Mutation> mutations = run.log.mutations();
      int afterEntries = 0;
      int dirty = 0;
      try (FileChannel cutWriter = FileChannel.open(cut, StandardOpenOption.WRITE)) {
        for (int n = 1; n <= mutations.size(); n++) {
          mutations.get(n - 1).applyTo(cutWriter);
          if (NO_GUID.equals(VhdxHeaders.read(cut).current().logGuid())) {
            continue;
          }
          boolean afterEntry = isLogEntry(mutations.get(n - 1));
          if (!afterEntry && dirty++ % 3 != 0) {
            continue;
          }
          afterEntries += afterEntry ? 1 : 0;
          Files.copy(cut, replayed, StandardCopyOption.REPLACE_EXISTING);
          byte[] inMemory = readDisk(replayed, n, run);
          openForWritingAndClose(replayed);
          VhdxHeaders headers = VhdxHeaders.read(replayed);
          String where = "cut after " + n + " of " + mutations.size() + " host writes, " + run.seed
              + ": " + headers;
          assertNull(headers.one().problem(), "header 1, " + where);
          assertNull(headers.two().problem(), "header 2, " + where);
          assertEquals(NO_GUID, headers.one().logGuid(), "LogGuid of header 1, " + where);
          assertEquals(NO_GUID, headers.two().logGuid(), "LogGuid of header 2, " + where);
          byte[] onFile = readDisk(replayed, n, run);
          int at = Arrays.mismatch(inMemory, onFile);
          assertEquals(-1, at, "the disk after the replay onto the file differs from the replay in"
              + " memory at virtual offset " + at + ", " + where);
        }
      }
      assertTrue(afterEntries > 0, "no cut just after a log entry with the LogGuid set; "
          + run.seed);
    }
  }

  // ------------------------------------------------------------------------ checks and peers

  private static void checkRecording(Run run) throws IOException {
    int total = run.log.mutationCount();
    assertTrue(total >= run.writes.size(), "expected at least one host write per guest write, saw "
        + total + " for " + run.writes.size());
    for (Mutation m : run.log.mutations()) {
      assertEquals(run.image.toString(), m.file(), "a host write of the workload touched another"
          + " file than the image: " + m);
    }
    for (GuestForce f : run.forces) {
      assertTrue(f.hostForcedAfterLastWrite(), "guest force #" + f.index() + " returned with host"
          + " writes after the last host force (host writes so far: " + f.hostCount() + ")");
    }
    VhdxHeaders.read(run.image).assertClosedCleanly();
    assertEntriesQemuCanReplay(run);
  }

  /**
   * The bound flushed in the middle of a guest write: a log entry written between the start and
   * the end of one, not at a force or a close.
   */
  private static void assertBoundReachedInAGuestWrite(Run run) {
    List<Mutation> all = run.log.mutations();
    boolean found = false;
    for (GuestWrite w : run.writes) {
      for (int i = w.hostBefore(); i < w.hostAfter(); i++) {
        found |= isLogEntry(all.get(i));
      }
    }
    assertTrue(found, "no log entry was written during a guest write: the batching bound was"
        + " never reached; " + run.seed);
  }

  /**
   * Host writes of the first entry of a log that starts again at the ring's start within a
   * session, its ring full (an entry with descriptors there, where a session's first is empty):
   * the first such write's index, or -1.
   */
  private static int logRestart(Run run) {
    List<Mutation> all = run.log.mutations();
    long ringStart = -1;
    for (int i = 0; i < all.size(); i++) {
      if (isLogEntry(all.get(i))) {
        Write w = (Write) all.get(i);
        ringStart = ringStart < 0 ? w.position() : ringStart;
        if (w.position() == ringStart && descriptors(w) > 0) {
          return i;
        }
      }
    }
    return -1;
  }

  /**
   * The log ring filled within a session, and the log started again under a new LogGuid: with
   * the old one, the entries after the new first one would still be valid, and QEMU 7.2, which
   * ignores the Tail, would take them for one sequence with it (and refuse the file).
   */
  private static void assertLogRestartsUnderANewGuid(Run run) {
    int restart = logRestart(run);
    assertTrue(restart > 0, "the log ring never filled within a session; " + run.seed);
    List<Mutation> all = run.log.mutations();
    int before = restart - 1;
    while (!isLogEntry(all.get(before))) {
      before--;
    }
    assertNotEquals(logGuid((Write) all.get(before)), logGuid((Write) all.get(restart)),
        "the log started again at the ring's start (host write #" + restart + ") under the"
            + " LogGuid of the entries before it; " + run.seed);
  }

  private static String logGuid(Write entry) {
    return HexFormat.of().formatHex(entry.bytes(), 32, 48);
  }

  private static int descriptors(Write entry) {
    return ByteBuffer.wrap(entry.bytes(), 24, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  /**
   * Every log entry has its descriptors in its first sector: QEMU 7.2 misreads further descriptor
   * sectors and refuses the file, even to repair it.
   */
  private static void assertEntriesQemuCanReplay(Run run) {
    for (Mutation m : run.log.mutations()) {
      if (isLogEntry(m)) {
        int count = descriptors((Write) m);
        assertTrue(count <= MAX_DESCRIPTORS_QEMU_REPLAYS, m + ": an entry of " + count
            + " descriptors, more than one descriptor sector holds; " + run.seed);
      }
    }
  }

  /** Whether {@code m} writes a log entry: an entry header's signature, whole sectors. */
  private static boolean isLogEntry(Mutation m) {
    return m instanceof Write w && w.bytes().length % 4096 == 0 && w.bytes().length > 0
        && w.bytes()[0] == 'l' && w.bytes()[1] == 'o' && w.bytes()[2] == 'g'
        && w.bytes()[3] == 'e';
  }

  private static boolean isHeader(Mutation m) {
    return m instanceof Write w && (w.position() == HEADER1 || w.position() == HEADER2);
  }

  /**
   * The cuts the peers see: just after the first header write of the run and of the second
   * session, just after the first and the last log entries and one between, and enough cuts
   * spread over the run to make {@link #PEER_SAMPLE}; for the spread layout, whose disk takes
   * qemu-img seconds to convert, only the cuts just after the entry the bound wrote and just after
   * the first header naming the log started again when the ring was full, and the end.
   */
  private static TreeSet<Integer> peerSample(Run run) {
    List<Mutation> all = run.log.mutations();
    int total = all.size();
    TreeSet<Integer> sample = new TreeSet<>();
    if (run.layout.kind == Kind.SPREAD) {
      for (int i = 0; i < total; i++) {
        if (isLogEntry(all.get(i)) && ((Write) all.get(i)).bytes().length > 64 * 4096) {
          sample.add(i + 1);
        }
      }
      int restart = logRestart(run);
      for (int i = restart; restart >= 0 && i < total; i++) {
        if (isHeader(all.get(i))) {
          // The headers clear the LogGuid before the restart and name the new log after it.
          if (i > restart) {
            sample.add(i + 1);
            break;
          }
        }
      }
      sample.add(total);
      return sample;
    }
    List<Integer> headers = new ArrayList<>();
    List<Integer> entries = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      if (isHeader(all.get(i))) {
        headers.add(i + 1);
      }
      if (isLogEntry(all.get(i))) {
        entries.add(i + 1);
      }
    }
    if (!headers.isEmpty()) {
      sample.add(headers.get(0));
      // Headers come in pairs; the session after the channel's reopen starts with the fifth.
      if (headers.size() > 4) {
        sample.add(headers.get(4));
      }
    }
    if (!entries.isEmpty()) {
      sample.add(entries.get(0));
      sample.add(entries.get(entries.size() / 2));
      sample.add(entries.get(entries.size() - 1));
    }
    int spread = Math.max(2, PEER_SAMPLE - sample.size());
    for (int i = 1; i <= spread; i++) {
      sample.add((int) Math.round((double) total * i / spread));
    }
    return sample;
  }

  /** What the real peers read from a sampled cut, compared with what this provider read. */
  private final class Peers {
    private final VhdxTools qemu;
    private final Libvhdi libvhdi;
    private final Run run;
    private final CrashModel model;

    Peers(VhdxTools qemu, Libvhdi libvhdi, Run run, CrashModel model) {
      this.qemu = qemu;
      this.libvhdi = libvhdi;
      this.run = run;
      this.model = model;
    }

    void check(int n, byte[][] observed) throws IOException {
      int total = run.log.mutationCount();
      String where = "the " + run.subject + " cut after " + n + " of " + total + " host writes";
      Path copy = tempDir.resolve("cut-" + n + ".vhdx");
      writeCut(copy, n);
      Path raw = tempDir.resolve("cut-" + n + ".raw");
      List<Libvhdi.Window> windows = new ArrayList<>();
      for (long[] w : run.windows) {
        windows.addAll(run.layout.kind == Kind.SPREAD ? List.of(new Libvhdi.Window(w[0], w[1]))
            : Libvhdi.chunks(run.diskSize, MIB));
      }
      Libvhdi.Reading reading;
      if (!run.layout.qemuOpens()) {
        boolean dirty = !NO_GUID.equals(VhdxHeaders.read(copy).current().logGuid());
        String before = Chains.sha256(copy);
        openForWritingAndClose(copy);
        VhdxHeaders headers = VhdxHeaders.read(copy);
        if (dirty) {
          assertEquals(NO_GUID, headers.one().logGuid(), "LogGuid of header 1 after a writable"
              + " open of " + where + ": " + headers + "\n" + run.around(n));
          assertEquals(NO_GUID, headers.two().logGuid(), "LogGuid of header 2 after a writable"
              + " open of " + where + ": " + headers + "\n" + run.around(n));
        } else {
          // The current header names no log (the other may still name the session's): nothing
          // to replay, and a writable open that writes nothing leaves the file as it was.
          assertEquals(before, Chains.sha256(copy), "a writable open of " + where + ", whose"
              + " current header names no log, changed the file\n" + run.around(n));
        }
        byte[][] again = run.readWindows(copy, n);
        for (int w = 0; w < again.length; w++) {
          int at = Arrays.mismatch(observed[w], again[w]);
          assertEquals(-1, at, where + ": after a writable open (replay onto the file: " + dirty
              + ") this provider reads differently at virtual offset "
              + (run.windows.get(w)[0] + at) + "\n" + run.around(n));
        }
        writeWindows(raw, observed);
        List<Path> chain = run.layout.kind == Kind.CHILD
            ? List.of(copy, tempDir.resolve("parent.vhdx")) : List.of(copy);
        reading = libvhdi.readChain(chain, windows, run.layout.blockSize, tempDir);
      } else {
        QemuTools.Exit repaired = qemu.check(copy, true);
        assertEquals(0, repaired.code(), "qemu-img check -r all of " + where + ": "
            + repaired.describe() + "\n" + run.around(n));
        qemu.convertToRaw(copy, raw);
        assertEquals(run.diskSize, Files.size(raw), "qemu-img convert: disk size of " + where);
        byte[][] theirs = readRawWindows(raw);
        for (int w = 0; w < theirs.length; w++) {
          long base = run.windows.get(w)[0];
          try {
            model.check(theirs[w], base, n, n == total);
          } catch (AssertionError e) {
            throw new AssertionError("qemu-img convert of " + where + " after qemu-img check -r"
                + " all (this provider read it correctly):\n" + e.getMessage(), e);
          }
          int at = Arrays.mismatch(observed[w], theirs[w]);
          assertEquals(-1, at, where + ": qemu-img (after check -r all) reads "
              + (at < 0 ? "" : CrashModel.hex(theirs[w], at & ~15, 16)) + " at virtual offset "
              + (base + (at & ~15)) + " where this provider reads "
              + (at < 0 ? "" : CrashModel.hex(observed[w], at & ~15, 16)) + "\n" + run.around(n));
        }
        reading = libvhdi.read(copy, windows, run.layout.blockSize, tempDir);
      }
      assertEquals(run.diskSize, reading.mediaSize(), "libvhdi: media size of " + where);
      try (FileChannel expected = FileChannel.open(raw)) {
        List<String> ours = Libvhdi.hashes(expected, windows);
        for (int i = 0; i < ours.size(); i++) {
          assertEquals(ours.get(i), reading.lines().get(i), "libvhdi reads " + where
              + " differently in window " + windows.get(i) + " (line: offset, sha256 prefix)\n"
              + run.around(n));
        }
      }
      Files.delete(raw);
      Files.delete(copy);
    }

    /** The image's bytes before the workload and the first {@code n} host writes, sparse. */
    private void writeCut(Path target, int n) throws IOException {
      Files.write(target, run.initial);
      try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
        for (Mutation m : run.log.mutations().subList(0, n)) {
          m.applyTo(ch);
        }
      }
    }

    /** Our windows into a raw file (sparse between them) for libvhdi's hashes. */
    private void writeWindows(Path raw, byte[][] observed) throws IOException {
      try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        for (int w = 0; w < observed.length; w++) {
          Chains.writeFully(ch, run.windows.get(w)[0], observed[w]);
        }
      }
    }

    private byte[][] readRawWindows(Path raw) throws IOException {
      byte[][] out = new byte[run.windows.size()][];
      try (FileChannel ch = FileChannel.open(raw)) {
        for (int w = 0; w < out.length; w++) {
          long[] win = run.windows.get(w);
          out[w] = Chains.read(ch, win[0], Math.toIntExact(win[1]));
        }
      }
      return out;
    }
  }

  private static void openForWritingAndClose(Path image) throws IOException {
    try (FileSystem fs = Chains.vhd().newFileSystem(image, Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      assertTrue(ch.isOpen());
    }
  }

  private static byte[] readDisk(Path image, int n, Run run) throws IOException {
    byte[][] windows = run.readWindows(image, n);
    assertEquals(1, windows.length, "a small layout is read whole");
    return windows[0];
  }

  // ------------------------------------------------------------------------------ the workload

  /** The recorded outcome of one workload. */
  static final class Run extends Recording {
    Layout layout;
    Path image;
    /** The image file before the workload. */
    byte[] initial;
    OldContent old;
    Path parent;
    byte[] parentBytes;
    /** What is read of each cut: {start, length}, ascending, sector aligned. */
    List<long[]> windows = new ArrayList<>();
    /** Child blocks written before the workload. */
    final TreeSet<Long> held = new TreeSet<>();
    /** Child blocks partly written before the workload. */
    final List<Long> partial = new ArrayList<>();

    Run(String subject) {
      super(subject);
    }

    static Run execute(FileSystem host, Path dir, Layout layout, SeededRandom random)
        throws IOException {
      Run run = new Run(layout.kind == Kind.CHILD ? "child" : "image");
      run.seed = random.toString();
      run.layout = layout;
      run.image = dir.resolve(layout.kind == Kind.CHILD ? "child.vhdx" : "image.vhdx");
      run.diskSize = layout.size;
      if (layout.kind == Kind.CHILD) {
        run.parent = dir.resolve("parent.vhdx");
        makeParent(run.parent, layout, random);
        VhdImages.create(run.image, Map.of("type", "differencing", "parent", "parent.vhdx",
            "blockSize", Integer.toString(layout.blockSize)));
        run.prewrite(random);
        run.parentBytes = Files.readAllBytes(run.parent);
        run.old = OldContent.of(Chains.readDisk(run.image));
      } else {
        VhdImages.create(run.image, Map.of("type",
            layout.kind == Kind.FIXED ? "fixed" : "dynamic", "size", Long.toString(layout.size),
            "blockSize", Integer.toString(layout.blockSize),
            "logicalSectorSize", Integer.toString(layout.logicalSectorSize)));
        run.old = OldContent.zeros();
      }
      run.initial = Files.readAllBytes(run.image);
      ForwardingHostFileSystem recording = ForwardingHostFileSystem.over(host);
      run.log = recording.log();
      try (FileSystem vhd = Chains.vhd().newFileSystem(recording.wrap(run.image), Map.of())) {
        Path disk = vhd.getPath("/disk");
        assertEquals(run.diskSize, Files.size(disk), "disk size");
        if (layout.kind == Kind.SPREAD) {
          run.driveSpread(disk, random);
        } else {
          run.drive(disk, layout.guestWrites, 9, random, ch -> run.write(ch, random));
        }
      }
      run.windows = run.layout.kind == Kind.SPREAD ? run.spreadWindows()
          : List.of(new long[] {0, run.diskSize});
      return run;
    }

    /** Random bytes in 3 of every 4 pieces of 512 KiB (the rest: zeros, unallocated). */
    private static void makeParent(Path parent, Layout layout, Random random) throws IOException {
      VhdImages.create(parent, Map.of("type", "dynamic", "size", Long.toString(layout.size),
          "blockSize", Integer.toString(layout.blockSize)));
      try (FileSystem fs = Chains.open(parent);
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        byte[] b = new byte[512 * KIB];
        for (int i = 0; i < layout.size / b.length; i++) {
          if (i % 4 != 3) {
            random.nextBytes(b);
            Chains.writeFully(ch, (long) i * b.length, b);
          }
        }
      }
    }

    /** A few sectors (some in part) into 2 child blocks, so the workload meets partial blocks. */
    private void prewrite(Random random) throws IOException {
      int block = layout.blockSize;
      long blocks = diskSize / block;
      try (FileSystem fs = Chains.open(image);
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        while (partial.size() < 2) {
          long b = random.nextInt((int) blocks);
          if (held.add(b)) {
            partial.add(b);
            for (int k = 0; k < 3; k++) {
              int length = 1 + random.nextInt(3 * KIB);
              long at = b * block + random.nextInt(block - length + 1);
              byte[] data = new byte[length];
              random.nextBytes(data);
              Chains.writeFully(ch, at, data);
            }
          }
        }
      }
    }

    /** One step of the small layouts' workloads. */
    private void write(FileChannel ch, Random random) throws IOException {
      int block = layout.blockSize;
      long size = diskSize;
      int blocks = (int) (size / block);
      long offset;
      int length;
      String kind;
      int pick = random.nextInt(100);
      if (pick < 15) {
        kind = "small unaligned";
        length = 1 + random.nextInt(6 * KIB);
        offset = (long) (random.nextDouble() * (size - length));
      } else if (pick < 30) {
        kind = "partial sector";
        int start = random.nextInt(SECTOR - 1);
        length = 1 + random.nextInt(SECTOR - 1 - start);
        offset = (long) random.nextInt((int) (size / SECTOR)) * SECTOR + start;
      } else if (pick < 50) {
        kind = "block-straddling";
        long boundary = (long) block * (1 + random.nextInt(blocks - 1));
        int before = 1 + random.nextInt(48 * KIB);
        length = before + 1 + random.nextInt(48 * KIB);
        offset = boundary - before;
      } else if (pick < 58) {
        kind = "large unaligned";
        length = 256 * KIB + random.nextInt(1024 * KIB);
        offset = (long) (random.nextDouble() * (size - length));
      } else if (pick < 70 && !partial.isEmpty()) {
        kind = "into a partly written block";
        long b = partial.get(random.nextInt(partial.size()));
        length = 1 + random.nextInt(16 * KIB);
        offset = b * block + random.nextInt(block - length + 1);
      } else if (pick < 85) {
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
      offset = Math.max(0, Math.min(offset, size - length));
      write(ch, offset, length, random.nextInt(8) == 0, kind, random);
    }

    /**
     * The spread layout's workload: first one small write (unaligned, a partial sector or
     * straddling two blocks) under each of 130 BAT sectors in random order with no force between,
     * so the pending sectors reach the bound; a force without metadata; steps (new blocks,
     * overwrites of written blocks, straddling writes) each followed by a force, at least 100 and
     * until the session's entries have filled the 1 MiB log ring and it has started again, and 8
     * more; the channel closed and reopened; 8 steps with a force one time in 4; a force with
     * metadata; 6 steps that may be lost.
     */
    private void driveSpread(Path disk, Random random) throws IOException {
      List<Integer> order = new ArrayList<>();
      for (int s = 0; s < SPREAD_BAT_SECTORS; s++) {
        order.add(s);
      }
      Collections.shuffle(order, random);
      int next = 0;
      FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        for (; next < SPREAD_FIRST_WRITES; next++) {
          spreadStep(ch, order.get(next), random, false);
        }
        force(ch, false);
        // How many forced steps fill the ring depends on the steps the seed picks (an overwrite
        // in a written block allocates nothing, and a force then logs nothing): at least 100,
        // and on until the log has started again and 8 more entries may follow it.
        int restartedAt = -1;
        for (int i = 0; i < MAX_FORCED_SPREAD_STEPS
            && (i < 100 || restartedAt < 0 || i < restartedAt + 8); i++) {
          spreadStep(ch, order.get(next++ % order.size()), random, true);
          force(ch, random.nextBoolean());
          if (restartedAt < 0 && logRestart(this) >= 0) {
            restartedAt = i;
          }
        }
        ch.close();
        ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
        for (int i = 0; i < 8; i++) {
          spreadStep(ch, order.get(next++ % order.size()), random, true);
          if (random.nextInt(4) == 0) {
            force(ch, random.nextBoolean());
          }
        }
        force(ch, true);
        for (int i = 0; i < 6; i++) {
          spreadStep(ch, order.get(next++ % order.size()), random, true);
        }
      } finally {
        ch.close();
      }
    }

    private void spreadStep(FileChannel ch, int batSector, Random random, boolean overwrites)
        throws IOException {
      long block = blockUnder(batSector, random);
      int pick = random.nextInt(100);
      long offset;
      int length;
      String kind;
      if (overwrites && pick < 30 && !writes.isEmpty()) {
        kind = "overwrite in a written block";
        GuestWrite earlier = writes.get(random.nextInt(writes.size()));
        length = 1 + random.nextInt(6 * KIB);
        offset = Math.min(earlier.offset() + random.nextInt(earlier.data().length),
            diskSize - length);
      } else if (pick < 50) {
        kind = "block-straddling";
        int before = 1 + random.nextInt(6 * KIB);
        length = before + 1 + random.nextInt(6 * KIB);
        offset = (block + 1) * MIB - before;
      } else if (pick < 70) {
        kind = "partial sector";
        int start = random.nextInt(SECTOR - 1);
        length = 1 + random.nextInt(SECTOR - 1 - start);
        offset = block * MIB + (long) random.nextInt(MIB / SECTOR) * SECTOR + start;
      } else {
        kind = "small unaligned";
        length = 1 + random.nextInt(6 * KIB);
        offset = block * MIB + random.nextInt(MIB - length);
      }
      offset = Math.max(0, Math.min(offset, diskSize - length));
      write(ch, offset, length, random.nextInt(10) == 0, kind, random);
    }

    /**
     * A block whose BAT entry lies in BAT sector {@code s} (spec 2.5: a chunk's payload entries,
     * then its bitmap entry), and not its last, so that a write straddling into the next block
     * stays under the same sector.
     */
    private long blockUnder(int s, Random random) {
      long firstIndex = (long) s * ENTRIES_PER_BAT_SECTOR;
      long first = (firstIndex * CHUNK_RATIO_1M + CHUNK_RATIO_1M) / (CHUNK_RATIO_1M + 1);
      long block = first + random.nextInt(400);
      long index = block + block / CHUNK_RATIO_1M;
      assertEquals(s, index / ENTRIES_PER_BAT_SECTOR, "block " + block + " not under sector " + s);
      return Math.min(block, diskSize / MIB - 2);
    }

    /** Around every write 4 KiB more on each side, and the disk's first and last 64 KiB. */
    private List<long[]> spreadWindows() {
      List<long[]> ranges = new ArrayList<>();
      ranges.add(new long[] {0, 64 * KIB});
      ranges.add(new long[] {diskSize - 64 * KIB, diskSize});
      for (GuestWrite w : writes) {
        ranges.add(new long[] {Math.max(0, (w.offset() & ~4095L) - 4096),
            Math.min(diskSize, ((w.end() + 4095) & ~4095L) + 4096)});
      }
      ranges.sort((a, b) -> Long.compare(a[0], b[0]));
      List<long[]> merged = new ArrayList<>();
      for (long[] r : ranges) {
        long[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
        if (last != null && r[0] <= last[1]) {
          last[1] = Math.max(last[1], r[1]);
        } else {
          merged.add(r.clone());
        }
      }
      List<long[]> out = new ArrayList<>();
      for (long[] m : merged) {
        out.add(new long[] {m[0], m[1] - m[0]});
      }
      return out;
    }

    /** Reads the windows of the cut read-only through the provider. */
    byte[][] readWindows(Path hostImage, int cut) {
      byte[][] out = new byte[windows.size()][];
      try (FileSystem vhd = Chains.vhd().newFileSystem(hostImage,
          Map.of("accessMode", "readOnly"))) {
        try (FileChannel ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ)) {
          assertEquals(diskSize, ch.size(), "disk size of the cut after " + cut);
          for (int w = 0; w < out.length; w++) {
            long[] win = windows.get(w);
            out[w] = Chains.read(ch, win[0], Math.toIntExact(win[1]));
          }
        }
      } catch (IOException | RuntimeException e) {
        throw new AssertionError("the " + subject + " cut after " + cut + " of "
            + log.mutationCount() + " host writes does not open or read: " + e + "\n"
            + around(cut), e);
      }
      return out;
    }
  }
}
