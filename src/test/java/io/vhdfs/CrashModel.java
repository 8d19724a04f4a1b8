package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.HostWriteLog.Mutation;
import java.io.IOException;
import java.nio.ByteBuffer;
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
import java.util.TreeSet;

/**
 * The crash-consistency model of {@link CrashConsistencyTest} (a dynamic or fixed image),
 * {@link ChildCrashConsistencyTest} (a differencing child) and {@link VhdxCrashConsistencyTest}
 * (VHDX, some disks checked in windows): what a disk read from an image cut after N host writes
 * may hold.
 *
 * <p>A workload ({@link Recording}) writes stamped guest data through the provider while a
 * {@link ForwardingHostFileSystem} records every host write in order; a crash after N host writes
 * is the image's bytes before the workload plus the first N recorded host writes. The disk is cut
 * into pieces, each inside one sector, over which the same guest writes apply. A piece must equal,
 * whole, one of: what the last write before the last completed {@code force()} put there (the old
 * content if none), or what a write after that force that had started before the cut put there.
 * A write that failed (a host fault, {@link HostFaultWriteTest}) is never durable, even before a
 * later force, but a piece it covers may hold its bytes unless a later completed write covers it.
 * Bytes no write ever touched must read as the old content. The old content is what a byte read
 * before the workload ({@link OldContent}): zeros on a new dynamic or fixed image, the parent's
 * (or pre-written) bytes in a differencing child.
 *
 * <p>Guest data is stamped: every aligned 8-byte word a write puts at virtual offset q holds
 * {@code 0x5A}, the write's number and q / 8, so a read of another write's data, of data meant for
 * another offset, or of metadata shows which it is.
 */
final class CrashModel {
  static final int SECTOR = 512;
  private static final int MIB = 1 << 20;
  /** How many problems one failure lists. */
  private static final int MAX_PROBLEMS = 5;

  /**
   * One guest write: its number, where it went, its bytes, host writes before and after it, and
   * whether it failed (threw): a failed write may have landed in part, so it is never durable,
   * but each of its pieces may hold its bytes.
   */
  record GuestWrite(int id, long offset, byte[] data, int hostBefore, int hostAfter, String kind,
      boolean failed) {
    GuestWrite(int id, long offset, byte[] data, int hostBefore, int hostAfter, String kind) {
      this(id, offset, data, hostBefore, hostAfter, kind, false);
    }

    long end() {
      return offset + data.length;
    }
  }

  /** One guest {@code force()}: host writes done and guest writes issued when it returned. */
  record GuestForce(int index, int hostCount, int writesBefore, boolean hostForcedAfterLastWrite) {}

  /** What a byte that no durable write covers must read as: the disk before the workload. */
  static final class OldContent {
    private static final byte[] ZEROS = new byte[MIB];

    private final byte[] before; // null: zeros everywhere

    private OldContent(byte[] before) {
      this.before = before;
    }

    /** A disk that read as zeros before the workload: a new dynamic or fixed image. */
    static OldContent zeros() {
      return new OldContent(null);
    }

    /** A disk that read as {@code before}: a child over its parent, partly pre-written. */
    static OldContent of(byte[] before) {
      return new OldContent(before);
    }

    /**
     * Where the {@code length} bytes of {@code disk} from index {@code at}, the disk's bytes from
     * virtual offset {@code virtual}, differ from this, relative, or -1.
     */
    int mismatch(byte[] disk, int at, long virtual, int length) {
      if (before == null) {
        return Arrays.mismatch(disk, at, at + length, ZEROS, 0, length);
      }
      int v = Math.toIntExact(virtual);
      return Arrays.mismatch(disk, at, at + length, before, v, v + length);
    }

    /** What the disk should read at {@code from} instead, for messages. */
    String instead(long from, int length) {
      return before == null ? "zeros" : "its old content " + hex(before, from, length);
    }

    /** The old content at {@code from} as a note ending in "; ", for messages (none for zeros). */
    String note(long from, int length) {
      return before == null ? "" : "old content " + hex(before, from, length) + "; ";
    }

    /** This as one of the allowed contents of a piece, for messages. */
    String allowed() {
      return before == null ? "zeros (nothing durable)"
          : "the old content (parent's or pre-written)";
    }
  }

  /** One write a workload chooses and makes through {@link Recording#write}. */
  interface GuestStep {
    void write(FileChannel ch) throws IOException;
  }

  /** The recorded outcome of one workload: its guest writes and forces, the host writes below. */
  static class Recording {
    /** What is cut, for messages: "image" or "child". */
    final String subject;
    HostWriteLog log;
    long diskSize;
    String seed;
    final List<GuestWrite> writes = new ArrayList<>();
    final List<GuestForce> forces = new ArrayList<>();

    Recording(String subject) {
      this.subject = subject;
    }

    /**
     * Runs a workload on {@code disk}: {@code guestWrites} steps with a channel close and reopen
     * halfway, a force after one step in {@code forceOneIn}, then a force so that at least one
     * happens, and 6 more steps that may be lost.
     */
    void drive(Path disk, int guestWrites, int forceOneIn, Random random, GuestStep step)
        throws IOException {
      FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        for (int i = 0; i < guestWrites; i++) {
          if (i == guestWrites / 2) {
            ch.close();
            ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE);
          }
          step.write(ch);
          if (random.nextInt(forceOneIn) == 0) {
            force(ch, random.nextBoolean());
          }
        }
        force(ch, true);
        for (int i = 0; i < 6; i++) {
          step.write(ch);
        }
      } finally {
        ch.close();
      }
    }

    /**
     * Writes {@code length} stamped bytes (zeros if {@code zero}) at {@code offset} from a heap or
     * direct buffer, positionally or at the channel's position, and records the write; a write
     * that throws is recorded as failed before the exception goes on.
     */
    GuestWrite write(FileChannel ch, long offset, int length, boolean zero, String kind,
        Random random) throws IOException {
      int id = writes.size();
      byte[] data = zero ? new byte[length] : stamp(id, offset, length);
      ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data)
          : ByteBuffer.allocateDirect(length).put(data).flip();
      boolean positional = random.nextBoolean();
      String how = (zero ? "all-zero " : "") + kind + (positional ? ", positional" : ", relative")
          + (src.isDirect() ? ", direct buffer" : ", heap buffer");
      int hostBefore = log.mutationCount();
      try {
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
      } catch (IOException | RuntimeException e) {
        writes.add(new GuestWrite(id, offset, data, hostBefore, log.mutationCount(),
            how + ", FAILED: " + e, true));
        throw e;
      }
      GuestWrite w = new GuestWrite(id, offset, data, hostBefore, log.mutationCount(), how);
      writes.add(w);
      return w;
    }

    /** Forces the channel and records whether the host was forced after its last write. */
    void force(FileChannel ch, boolean metaData) throws IOException {
      ch.force(metaData);
      int count = log.mutationCount();
      List<Integer> hostForces = log.forces();
      boolean forced = count == 0 || (!hostForces.isEmpty()
          && hostForces.get(hostForces.size() - 1) == count);
      forces.add(new GuestForce(forces.size(), count, writes.size(), forced));
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

    /** Opens the host image read-only through the provider and reads the whole disk. */
    void readCut(Path hostImage, byte[] into, int cut) {
      try (FileSystem vhd = Chains.vhd().newFileSystem(hostImage,
          Map.of("accessMode", "readOnly"))) {
        try (FileChannel ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ)) {
          assertEquals(diskSize, ch.size(), "disk size of the " + subject + " cut after " + cut
              + " host writes");
          for (int off = 0; off < into.length; off += MIB) {
            // The buffer's position is the virtual offset it is filled from.
            ByteBuffer dst = ByteBuffer.wrap(into, off, Math.min(MIB, into.length - off));
            while (dst.hasRemaining()) {
              if (ch.read(dst, dst.position()) < 0) {
                fail("disk of the " + subject + " cut after " + cut + " host writes ended at "
                    + dst.position());
              }
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        throw new AssertionError("the " + subject + " cut after " + cut + " of "
            + log.mutationCount() + " host writes does not open or read: " + e + "\n"
            + around(cut), e);
      }
    }
  }

  private final Recording run;
  private final OldContent old;
  private final List<long[]> pieces = new ArrayList<>(); // {start, end}
  private final List<int[]> covers = new ArrayList<>(); // write ids, ascending
  private final List<long[]> untouched = new ArrayList<>(); // {start, end}

  /** The disk of {@code run} cut into pieces that the same writes cover, each inside one sector. */
  CrashModel(Recording run, OldContent old) {
    this.run = run;
    this.old = old;
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
   * Rebuilds the image cut after every number of host writes from none to all, as {@code cut}
   * (which starts as {@code imageBefore}), and reads and checks each through a read-only host
   * over {@code host}, which must never be written.
   */
  void checkEveryCut(FileSystem host, Path cut, byte[] imageBefore) throws IOException {
    int total = run.log.mutationCount();
    Files.write(cut, imageBefore);
    List<Mutation> mutations = run.log.mutations();
    ForwardingHostFileSystem readOnlyHost = ForwardingHostFileSystem.over(host);
    readOnlyHost.setReadOnly(true);
    byte[] observed = new byte[Math.toIntExact(run.diskSize)];
    try (FileChannel cutWriter = FileChannel.open(cut, StandardOpenOption.WRITE)) {
      for (int n = 0; n <= total; n++) {
        if (n > 0) {
          mutations.get(n - 1).applyTo(cutWriter);
        }
        run.readCut(readOnlyHost.wrap(cut), observed, n);
        check(observed, n, n == total);
      }
    }
    assertEquals(0, readOnlyHost.log().mutationCount(), "read-only opens wrote to the host");
  }

  /**
   * Checks the disk read from the image cut after {@code cut} host writes. {@code complete}: the
   * cut is the whole run (channels and file system closed), so every write must read back.
   */
  void check(byte[] disk, int cut, boolean complete) {
    check(disk, 0, cut, complete);
  }

  /**
   * Checks a window of the disk read from the image cut after {@code cut} host writes:
   * {@code window} holds the virtual bytes from {@code windowStart}, a multiple of
   * {@link #SECTOR}, as is the window's end unless it is the disk's end. Only pieces and untouched
   * bytes inside the window are checked: for disks too large to read whole, read around the
   * writes.
   */
  void check(byte[] window, long windowStart, int cut, boolean complete) {
    long windowEnd = windowStart + window.length;
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
    for (int k = firstEndingAfter(untouched, windowStart); k < untouched.size()
        && untouched.get(k)[0] < windowEnd; k++) {
      long[] u = untouched.get(k);
      long uEnd = Math.min(u[1], windowEnd);
      for (long s = Math.max(u[0], windowStart); s < uEnd && problems.size() < MAX_PROBLEMS;
          s += MIB) {
        int len = (int) Math.min(MIB, uEnd - s);
        int at = old.mismatch(window, (int) (s - windowStart), s, len);
        if (at >= 0) {
          long bad = s + at;
          long row = Math.max(windowStart, bad & ~15);
          problems.add("virtual offset " + bad + ", written by no guest write, reads "
              + hex(window, row - windowStart, (int) Math.min(16, windowEnd - row))
              + decode(window, windowStart, bad & ~7) + " instead of " + old.instead(row, 16));
        }
      }
    }
    for (int i = firstEndingAfter(pieces, windowStart); i < pieces.size()
        && pieces.get(i)[0] < windowEnd && problems.size() < MAX_PROBLEMS; i++) {
      long[] p = pieces.get(i);
      if (p[0] < windowStart || p[1] > windowEnd) {
        continue;
      }
      int[] cover = covers.get(i);
      int base = -1;
      for (int id : cover) {
        if (id < durable && !run.writes.get(id).failed()) {
          base = id;
        }
      }
      List<Integer> allowed = new ArrayList<>();
      allowed.add(base);
      for (int id : cover) {
        // A failed write after the durable one may have landed; one that started after the last
        // force may have landed or not. Nothing else can be there.
        boolean failedAfterBase = run.writes.get(id).failed() && id > base;
        if (id < started && (failedAfterBase || id >= durable)) {
          allowed.add(id);
        }
      }
      boolean ok = false;
      for (int id : allowed) {
        if (matches(window, windowStart, p[0], p[1], id)) {
          ok = true;
          break;
        }
      }
      if (!ok) {
        int shown = (int) Math.min(16, p[1] - p[0]);
        problems.add("virtual bytes [" + p[0] + ", " + p[1] + ") read "
            + hex(window, p[0] - windowStart, shown) + decode(window, windowStart, (p[0] + 7) & ~7L)
            + "; allowed: " + describe(allowed) + " ("
            + old.note(p[0], shown) + "covered by writes " + Arrays.toString(cover) + ")");
      }
    }
    if (!problems.isEmpty()) {
      fail(run.subject + " cut after " + cut + " of " + run.log.mutationCount() + " host writes ("
          + (complete ? "complete run: every write must read back"
              : lastForce == null ? "no force yet"
                  : "last force #" + lastForce.index + " at host write " + lastForce.hostCount
                      + " covers guest writes 0.." + (durable - 1))
          + "; guest writes started: " + started + "):\n  " + String.join("\n  ", problems)
          + "\n" + run.around(cut));
    }
  }

  /** The first of {@code ranges} ({start, end}, ascending, disjoint) that ends after {@code at}. */
  private static int firstEndingAfter(List<long[]> ranges, long at) {
    int lo = 0;
    int hi = ranges.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ranges.get(mid)[1] <= at) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private boolean matches(byte[] window, long base, long start, long end, int id) {
    int len = (int) (end - start);
    int at = (int) (start - base);
    if (id < 0) {
      return old.mismatch(window, at, start, len) < 0;
    }
    GuestWrite w = run.writes.get(id);
    int from = (int) (start - w.offset);
    return Arrays.equals(window, at, at + len, w.data, from, from + len);
  }

  private String describe(List<Integer> ids) {
    List<String> out = new ArrayList<>();
    for (int id : ids) {
      out.add(id < 0 ? old.allowed() : "write #" + id);
    }
    return String.join(" or ", out);
  }

  // ------------------------------------------------------------------------------ stamped data

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
    return decode(disk, 0, q);
  }

  /** What the stamped word at virtual offset {@code q} says, in a window read from {@code base}. */
  static String decode(byte[] window, long base, long q) {
    long i = q - base;
    if (i < 0 || i + 8 > window.length) {
      return "";
    }
    long w = ByteBuffer.wrap(window, (int) i, 8).getLong();
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

  /** Up to {@code len} bytes of {@code b} from {@code from} in hex. */
  static String hex(byte[] b, long from, int len) {
    return Chains.hex(b, Math.toIntExact(from), len);
  }
}
