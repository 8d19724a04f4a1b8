package io.vhdfs.disk;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * QEMU's image locks on one image file, so that QEMU (qemu-img, qemu-io, qemu-nbd, a VM) and
 * vhdfs in any number of JVMs never write an image at once, and no one reads an image another
 * process is writing unless told to ({@link Locking#OFF}, {@code qemu-img -U}).
 *
 * <p>QEMU's file driver marks what an opener does with one-byte shared locks: byte 100 + p while
 * it holds permission p, byte 200 + p while it refuses to share p with others. Before it goes on,
 * it checks that no one else holds byte 200 + p for a permission p it holds, nor byte 100 + p for
 * a permission it refuses to share. A reader holds "consistent read" (bit 0) and refuses to share
 * "write" (bit 1) and "resize" (bit 3); a writer holds all three and refuses to share the same
 * two. This class takes the same bytes for the same reasons, so readers coexist and a writer
 * excludes everyone else, in both directions.
 *
 * <p>QEMU takes these as open-file-description locks; Java's {@link FileLock}s are POSIX record
 * locks, and the kernel checks each kind against the other. POSIX locks belong to the process,
 * and closing any descriptor of the file, through any channel, drops them all; the JVM also
 * refuses a lock that overlaps one it holds. Hence one holder per file in the JVM, with a channel
 * of its own, counting its users; {@link HostFile} reports every channel of an image it closes,
 * and the locks are taken again at once ({@link #channelClosed}).
 *
 * <p>Only the platform's own file system has locks that other processes see; images on other
 * providers (Jimfs, zip, object stores) are not locked ({@link Locking#ON} refuses them).
 */
public final class ImageLock {
  private static final int PERM_BASE = 100;
  private static final int SHARED_BASE = 200;
  /** QEMU's permission bits: BLK_PERM_CONSISTENT_READ, BLK_PERM_WRITE, BLK_PERM_RESIZE. */
  private static final int CONSISTENT_READ = 0;
  private static final int WRITE = 1;
  private static final int RESIZE = 3;
  /**
   * A shared lock is refused, and a test finds a byte taken, while vhdfs in another JVM tests it
   * with an exclusive lock of its own for a moment (QEMU tests without locking). A real holder
   * stays; such a test is gone within a few scheduling slices.
   */
  private static final int LOCK_ATTEMPTS = 200;
  private static final int TEST_ATTEMPTS = 5;
  private static final long RETRY_NANOS = 1_000_000;

  /** Every holder, by file key; guards all state of all holders. */
  private static final Map<Object, ImageLock> HELD = new HashMap<>();

  private final Object key;
  private final Path image;
  private final Map<Integer, FileLock> held = new TreeMap<>();
  private FileChannel channel;
  private boolean canTest;
  private int users;
  private int writers;

  private ImageLock(Object key, Path image) {
    this.key = key;
    this.image = image;
  }

  /**
   * Takes a reader's locks on {@code image} for one more user, or shares the ones this JVM
   * holds; null when {@code locking} is off, or where the host has no locks and it is auto.
   *
   * @throws FileSystemException if another process holds the image in a way a reader must not
   *     share (it is writing it), or {@code locking} is on and the host cannot be locked
   */
  public static ImageLock acquire(Path image, Locking locking) throws IOException {
    if (locking == Locking.OFF) {
      return null;
    }
    // The host first: on an object store each look at the file is a request.
    if (image.getFileSystem() != FileSystems.getDefault()) {
      if (locking == Locking.ON) {
        throw new FileSystemException(image.toString(), null, "locking=on, but the image lies on "
            + image.getFileSystem().provider().getClass().getName() + ", whose locks other "
            + "processes do not see; use locking=auto (or off) for images on such hosts");
      }
      return null;
    }
    if (!Files.isRegularFile(image)) {
      return null; // a device or a pipe: QEMU locks those, but opening one here could block
    }
    synchronized (HELD) {
      Object key = keyOf(image);
      ImageLock lock = HELD.get(key);
      if (lock == null) {
        lock = new ImageLock(key, image);
        if (!lock.lockAsReader(locking)) {
          return null;
        }
        HELD.put(key, lock);
      }
      lock.users++;
      return lock;
    }
  }

  /** The first reader's locks: false where they cannot be taken and locking is only auto. */
  private boolean lockAsReader(Locking locking) throws IOException {
    boolean done = false;
    try (Uninterrupted u = new Uninterrupted()) {
      openChannel();
      take(PERM_BASE + CONSISTENT_READ);
      take(SHARED_BASE + WRITE);
      take(SHARED_BASE + RESIZE);
      refuseIfHeld(PERM_BASE + WRITE);
      refuseIfHeld(PERM_BASE + RESIZE);
      refuseIfHeld(SHARED_BASE + CONSISTENT_READ);
      done = true;
      return true;
    } catch (ImageInUse e) {
      throw e.toException(image, false);
    } catch (NoSuchFileException e) {
      throw e;
    } catch (IOException e) {
      if (locking == Locking.ON) {
        throw new FileSystemException(image.toString(), null,
            "locking=on, but the host refuses file locks: " + e);
      }
      // The logger is looked up only here, when there is something to say: the lookup starts
      // java.util.logging, some 25 ms that a run of the tool with nothing to log should not pay.
      System.getLogger("io.vhdfs").log(System.Logger.Level.WARNING,
          "{0}: not locked, the host refuses file locks: {1}",
          image, e.toString());
      return false;
    } finally {
      if (!done) {
        closeChannel();
      }
    }
  }

  /**
   * Takes a reader's locks on {@code image} as {@link #acquire} does, for a try-with-resources
   * block: {@link Hold#writing} turns them into a writer's for a piece of work, and closing the
   * hold lets go of everything it still has, a writer's locks first. Where {@link #acquire} takes
   * none (locking off, a host without locks), the hold takes nothing and the work runs all the
   * same.
   *
   * @throws FileSystemException as {@link #acquire}
   */
  public static Hold hold(Path image, Locking locking) throws IOException {
    return new Hold(acquire(image, locking));
  }

  /** Work done under a hold's locks. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws IOException;
  }

  /**
   * One user's hold on an image's locks, from {@link #hold} to {@link #close}: the sequence
   * "acquire, start writing, work, stop writing, release" of the operations that change an image
   * file outside an open disk (compact, resize, reparent, merge, repair), in one place.
   */
  public static final class Hold implements AutoCloseable {
    private final ImageLock lock;
    /** Writers this hold started and has not stopped. */
    private int writers;

    private Hold(ImageLock lock) {
      this.lock = lock;
    }

    /**
     * Runs {@code work} as the image's writer: a writer's locks are taken before it and turned
     * back into a reader's after it, whatever it does.
     *
     * @throws FileSystemException if another process has the image open (see
     *     {@link ImageLock#startWriting}); the work is not run
     */
    public <T> T writing(Work<T> work) throws IOException {
      startWriting();
      try {
        return work.run();
      } finally {
        stopWriting();
      }
    }

    /**
     * Becomes the image's writer until {@link #close}, for writes that span more than one call
     * (a merge's run of images, a repair).
     */
    public void startWriting() throws IOException {
      if (lock != null) {
        lock.startWriting();
        writers++;
      }
    }

    private void stopWriting() {
      if (lock != null && writers > 0) {
        writers--;
        lock.stopWriting();
      }
    }

    /** Stops the writers this hold started, then lets go of its reader's locks. */
    @Override
    public void close() {
      if (lock == null) {
        return;
      }
      while (writers > 0) {
        stopWriting();
      }
      lock.release();
    }
  }

  /**
   * Turns this JVM's hold into a writer's, for the first writer.
   *
   * @throws FileSystemException if another process has the image open (QEMU's readers refuse to
   *     share writing, as do its writers)
   */
  public void startWriting() throws IOException {
    synchronized (HELD) {
      if (writers > 0) {
        writers++;
        return;
      }
      boolean done = false;
      try (Uninterrupted u = new Uninterrupted()) {
        // Test the perm bytes before taking them (no window); then our unshare bytes, which we
        // hold and must let go of for a moment to test, once our write byte already shuts out
        // every QEMU opener that refuses to share writing.
        refuseIfHeld(PERM_BASE + WRITE);
        refuseIfHeld(PERM_BASE + RESIZE);
        take(PERM_BASE + WRITE);
        take(PERM_BASE + RESIZE);
        refuseIfHeld(SHARED_BASE + WRITE);
        refuseIfHeld(SHARED_BASE + RESIZE);
        refuseIfHeld(SHARED_BASE + CONSISTENT_READ);
        writers = 1;
        done = true;
      } catch (ImageInUse e) {
        throw e.toException(image, true);
      } finally {
        if (!done) {
          untake(PERM_BASE + WRITE);
          untake(PERM_BASE + RESIZE);
        }
      }
    }
  }

  /** Ends one writer; the last one turns the hold back into a reader's. */
  public void stopWriting() {
    synchronized (HELD) {
      if (writers == 0) {
        throw new IllegalStateException("no writer holds " + image);
      }
      if (--writers == 0) {
        try (Uninterrupted u = new Uninterrupted()) {
          untake(PERM_BASE + WRITE);
          untake(PERM_BASE + RESIZE);
        }
      }
    }
  }

  /** Ends one user; the last one lets go of every lock. */
  public void release() {
    synchronized (HELD) {
      if (--users > 0) {
        return;
      }
      HELD.remove(key, this);
      try (Uninterrupted u = new Uninterrupted()) {
        closeChannel();
      }
    }
  }

  /**
   * Called after a channel of {@code path} was closed in this JVM: that dropped every POSIX lock
   * this process had on the file, so the holder takes its locks again.
   */
  static void channelClosed(Path path) {
    if (path.getFileSystem() != FileSystems.getDefault()) {
      return;
    }
    synchronized (HELD) {
      if (HELD.isEmpty()) {
        return;
      }
      ImageLock lock;
      try {
        lock = HELD.get(keyOf(path));
      } catch (IOException e) {
        return; // gone or unreadable: nothing of ours to restore
      }
      if (lock != null) {
        try (Uninterrupted u = new Uninterrupted()) {
          lock.retake();
        } catch (IOException e) {
          System.getLogger("io.vhdfs").log(System.Logger.Level.WARNING,
              "{0}: image locks lost and not taken again: {1}",
              lock.image, e.toString());
        }
      }
    }
  }

  private void retake() throws IOException {
    if (!channel.isOpen()) {
      openChannel(); // closed by an interrupt: its locks went with it
    }
    for (Map.Entry<Integer, FileLock> e : held.entrySet()) {
      FileLock old = e.getValue();
      if (old.isValid()) {
        old.release(); // the JVM still counts it; the kernel has forgotten it
      }
      e.setValue(lockShared(e.getKey()));
    }
  }

  private void take(int at) throws IOException {
    if (!held.containsKey(at)) {
      held.put(at, lockShared(at));
    }
  }

  private void untake(int at) {
    FileLock l = held.remove(at);
    if (l != null && l.isValid()) {
      try {
        l.release();
      } catch (IOException e) {
        // The channel is gone, and the lock with it.
      }
    }
  }

  private FileLock lockShared(int at) throws IOException {
    for (int attempt = 0; ; attempt++) {
      FileLock l = channel.tryLock(at, 1, true);
      if (l != null) {
        return l;
      }
      if (attempt == LOCK_ATTEMPTS) {
        throw new IOException(image + ": byte " + at + " stays locked exclusively by another "
            + "process, which neither QEMU nor vhdfs does for longer than a test");
      }
      LockSupport.parkNanos(RETRY_NANOS);
    }
  }

  /**
   * Refuses when another process holds a lock on byte {@code at}: as QEMU does, by asking for an
   * exclusive lock there, which any other holder's shared lock denies. A byte this JVM holds is
   * let go of for the test. Without a writable channel no such test exists in Java, and the
   * check is skipped: the locks taken still keep QEMU's writers out.
   */
  private void refuseIfHeld(int at) throws IOException {
    if (!canTest) {
      return;
    }
    FileLock mine = held.remove(at);
    if (mine != null) {
      mine.release();
    }
    try {
      for (int attempt = 1; ; attempt++) {
        FileLock probe;
        try {
          probe = channel.tryLock(at, 1, false);
        } catch (OverlappingFileLockException e) {
          throw new ImageInUse(at); // someone in this JVM locked the image file outside vhdfs
        }
        if (probe != null) {
          probe.release();
          break;
        }
        if (attempt == TEST_ATTEMPTS) {
          throw new ImageInUse(at);
        }
        LockSupport.parkNanos(RETRY_NANOS);
      }
    } finally {
      if (mine != null) {
        held.put(at, lockShared(at));
      }
    }
  }

  private void openChannel() throws IOException {
    try {
      // Writable only so that conflicts can be tested for; nothing is written through it.
      channel = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE);
      canTest = true;
    } catch (IOException e) {
      channel = FileChannel.open(image, StandardOpenOption.READ);
      canTest = false;
    }
  }

  private void closeChannel() {
    held.clear();
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // Closing drops the locks whatever else goes wrong.
      }
    }
  }

  /** What identifies the file however it is named: its file key (device and inode). */
  private static Object keyOf(Path image) throws IOException {
    Object key = Files.readAttributes(image, BasicFileAttributes.class).fileKey();
    return key != null ? key : image.toRealPath();
  }

  /**
   * Lock calls on a thread whose interrupt flag is set close the channel (and drop every lock),
   * so the flag is cleared for their duration and set again afterwards.
   */
  private static final class Uninterrupted implements AutoCloseable {
    private final boolean interrupted = Thread.interrupted();

    @Override
    public void close() {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Another process holds lock byte {@code at}. */
  private static final class ImageInUse extends IOException {
    private final int at;

    ImageInUse(int at) {
      super("lock byte " + at + " is held by another process");
      this.at = at;
    }

    FileSystemException toException(Path image, boolean writing) {
      String why = switch (at) {
        case PERM_BASE + WRITE -> "another process has the image open for writing (it holds "
            + "QEMU's \"write\" lock)";
        case PERM_BASE + RESIZE -> "another process has the image open to resize it (it holds "
            + "QEMU's \"resize\" lock)";
        case SHARED_BASE + WRITE -> "another process has the image open and does not share "
            + "writing (qemu-img, qemu-io, qemu-nbd or a VM reading or writing it, or vhdfs in "
            + "another JVM)";
        case SHARED_BASE + RESIZE -> "another process has the image open and does not share "
            + "resizing";
        default -> "another process has the image open and does not share consistent reads";
      };
      return new FileSystemException(image.toString(), null, why + (writing
          ? "; close it first: two writers would overwrite each other's blocks"
          : "; close it first, or open it read-only with locking=off to read it anyway (what "
              + "qemu-img -U does), at the risk of reading data in the middle of a change"));
    }
  }

  @Override
  public String toString() {
    return "ImageLock[" + image + ", users=" + users + ", writers=" + writers + ", bytes="
        + held.keySet() + "]";
  }
}
