package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which host call of a {@link ForwardingHostFileSystem} fails, and how: a fault plan shared by
 * every channel the host opens, counting their {@code write}, {@code force} and {@code size}
 * calls (numbered from 0, in the order they reach the host, over all files).
 *
 * <p>A run with {@link #none()} counts the calls of a workload; a sweep then runs the same
 * workload once per call number with {@link #at(int, Mode)}. The modes are what hosts do:
 * <ul>
 *   <li>{@link Mode#FAILS_ONCE}: the call throws (ENOSPC for a write, EIO otherwise) and writes
 *       nothing; later calls work, as after space was freed or a transient error.
 *   <li>{@link Mode#DIES}: the call and every later write, force and size throw EIO: the disk
 *       went away.
 *   <li>{@link Mode#TORN_THEN_FAILS}: a write lands in part, up to a 512-byte boundary of the
 *       file inside it (where a file system runs out of blocks), returns that short count, and
 *       the next write throws ENOSPC; with no boundary inside, it throws at once. A force or
 *       size call at that number fails once.
 *   <li>{@link Mode#SHORT_COUNT}: a write writes about half its bytes and returns that count,
 *       which the channel contract allows; nothing fails. Other calls at that number go through.
 *   <li>{@link Mode#FORCE_LOSES_UNFORCED}: a force throws EIO and the host drops every write to
 *       that file since its last successful force, as Linux does when write-back fails (the
 *       pages are marked clean; a later force succeeds without them). Other calls at that number
 *       fail once.
 * </ul>
 */
public final class HostFaults {
  /** The host calls that are counted and can fail. */
  public enum Call { WRITE, FORCE, SIZE }

  /** What the chosen call does; see the class comment. */
  public enum Mode { FAILS_ONCE, DIES, TORN_THEN_FAILS, SHORT_COUNT, FORCE_LOSES_UNFORCED }

  private static final int SECTOR = 512;

  private final int target;
  private final Mode mode;
  private final List<Call> calls = new ArrayList<>();
  /** Per host file (its {@code toString()}): its bytes at its last successful force, or null. */
  private final Map<String, byte[]> lastForced = new HashMap<>();
  private boolean dead;
  private boolean failNextWrite;
  private String fired;

  private HostFaults(int target, Mode mode) {
    this.target = target;
    this.mode = mode;
  }

  /** Counts calls and fails none. */
  public static HostFaults none() {
    return new HostFaults(-1, Mode.FAILS_ONCE);
  }

  /** Fails call number {@code call} (from 0) as {@code mode} says. */
  public static HostFaults at(int call, Mode mode) {
    if (call < 0) {
      throw new IllegalArgumentException("call " + call);
    }
    return new HostFaults(call, mode);
  }

  /** The kind of each call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** What the fault did, for messages; null if the run never reached the chosen call. */
  public synchronized String fired() {
    return fired;
  }

  /** This plan, for messages. */
  @Override
  public synchronized String toString() {
    return target < 0 ? "no fault" : mode + " at host call #" + target
        + (fired == null ? " (not reached)" : ": " + fired);
  }

  /**
   * Before a channel on {@code file} opens: remembers its bytes as the last forced state if no
   * earlier channel did, when a failed force is to drop what was not forced since.
   */
  synchronized void opening(Path file) throws IOException {
    String key = file.toString();
    if (mode == Mode.FORCE_LOSES_UNFORCED && target >= 0 && !lastForced.containsKey(key)) {
      lastForced.put(key, Files.exists(file) ? Files.readAllBytes(file) : new byte[0]);
    }
  }

  /**
   * Before a write of {@code length} bytes at {@code position} of {@code file}: how many of them
   * the host takes (all, unless this is the short or torn write), or the failure.
   */
  synchronized int write(String file, long position, int length) throws IOException {
    int n = calls.size();
    calls.add(Call.WRITE);
    String what = "write of " + length + " bytes at " + position + " of " + file;
    if (dead) {
      throw eio(n, what);
    }
    if (failNextWrite) {
      failNextWrite = false;
      throw enospc(n, what + ", after a torn write");
    }
    if (n != target) {
      return length;
    }
    switch (mode) {
      case DIES -> {
        dead = true;
        fired = what + " failed with EIO; every later call fails";
        throw eio(n, what);
      }
      case TORN_THEN_FAILS -> {
        long mid = (position + length / 2) / SECTOR * SECTOR;
        long tear = mid > position ? mid : (position / SECTOR + 1) * SECTOR;
        if (length <= 1 || tear >= position + length) {
          fired = what + " failed with ENOSPC (no sector boundary inside to tear at)";
          throw enospc(n, what);
        }
        failNextWrite = true;
        fired = what + " landed " + (tear - position) + " bytes, then the next write failed";
        return (int) (tear - position);
      }
      case SHORT_COUNT -> {
        int part = Math.max(1, length / 2);
        fired = what + " returned a short count of " + part;
        return part;
      }
      default -> {
        fired = what + " failed with ENOSPC";
        throw enospc(n, what);
      }
    }
  }

  /**
   * Around a force of {@code file} through {@code channel} (the host's own, not recorded): fails
   * it as planned, dropping unforced writes in {@link Mode#FORCE_LOSES_UNFORCED}; {@code force}
   * runs the real force.
   */
  synchronized void force(Path file, FileChannel channel, IoAction force) throws IOException {
    int n = calls.size();
    calls.add(Call.FORCE);
    String what = "force of " + file;
    if (isPlannedFailure(n, what) && mode == Mode.FORCE_LOSES_UNFORCED) {
      byte[] kept = lastForced.get(file.toString());
      channel.truncate(kept.length);
      ByteBuffer b = ByteBuffer.wrap(kept);
      while (b.hasRemaining()) {
        channel.write(b, b.position());
      }
      fired = what + " failed with EIO and dropped every write since the last good force";
    }
    failIfPlanned(n, what);
    force.run();
    if (mode == Mode.FORCE_LOSES_UNFORCED && target >= 0) {
      lastForced.put(file.toString(), Files.readAllBytes(file));
    }
  }

  /** Before a size call on {@code file}: the failure, if this is the call to fail. */
  synchronized void size(String file) throws IOException {
    int n = calls.size();
    calls.add(Call.SIZE);
    failIfPlanned(n, "size of " + file);
  }

  /** Whether call {@code n} (a force or size call, which have no short count) is to fail. */
  private boolean isPlannedFailure(int n, String what) throws IOException {
    if (dead) {
      throw eio(n, what);
    }
    return n == target && mode != Mode.SHORT_COUNT;
  }

  /**
   * Fails force or size call {@code n} with EIO when the disk is dead or the plan says so, saying
   * what happened unless the caller already did.
   */
  private void failIfPlanned(int n, String what) throws IOException {
    if (!isPlannedFailure(n, what)) {
      return;
    }
    if (mode == Mode.DIES) {
      dead = true;
      fired = what + " failed with EIO; every later call fails";
    } else if (mode != Mode.FORCE_LOSES_UNFORCED) {
      fired = what + " failed with EIO";
    }
    throw eio(n, what);
  }

  private static IOException enospc(int n, String what) {
    return new IOException("No space left on device (test host, call #" + n + ": " + what + ")");
  }

  private static IOException eio(int n, String what) {
    return new IOException("Input/output error (test host, call #" + n + ": " + what + ")");
  }

  /** An I/O action without a result. */
  @FunctionalInterface
  interface IoAction {
    void run() throws IOException;
  }
}
