package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The disks open in this JVM: one per image (and size rule), shared by every file system on it and
 * by every open child whose parent it is. Two file systems on one image, say one from
 * {@code Path.of(uri)} and one from {@code newFileSystem(path)}, must not each keep their own block
 * table and allocator, or both would put new blocks at the same end of the file.
 *
 * <p>It also keeps parents still under their children, as the format requires: an image that is
 * the parent of an open child takes no writer, and an image with a writer is not taken as a parent.
 */
public final class OpenDisks {
  /** Opens the disk when no one has it open. */
  @FunctionalInterface
  public interface Opener {
    VirtualDisk open() throws IOException;
  }

  private record Key(Path image, SizeRule sizeRule) {
    // Written out: a record's generated equals and hashCode are bound through method handles on
    // first use, tens of milliseconds of a short run of the tool (issue 14).
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && image.equals(k.image) && sizeRule == k.sizeRule;
    }

    @Override
    public int hashCode() {
      return image.hashCode() * 31 + sizeRule.hashCode();
    }
  }

  private static final class Entry {
    final VirtualDisk disk;
    final ChainOptions options;
    /** QEMU's locks on the image, or null where it is not locked. */
    ImageLock lock;
    int users;
    int children;
    int writers;

    Entry(VirtualDisk disk, ChainOptions options, ImageLock lock) {
      this.disk = disk;
      this.options = options;
      this.lock = lock;
    }
  }

  /** Guarded by itself; opening and closing happen under it, so a disk is never open twice. */
  private static final Map<Key, Entry> OPEN = new HashMap<>();

  private OpenDisks() {}

  /**
   * The open disk of the image whose real path is {@code imageKey}, opened with {@code opener} if
   * no one has it open.
   *
   * @param options the chain options it must have been opened with, if it has parents
   */
  public static VirtualDisk acquire(Path imageKey, SizeRule sizeRule, ChainOptions options,
      Opener opener) throws IOException {
    Key key = new Key(imageKey, sizeRule);
    synchronized (OPEN) {
      Entry e = OPEN.get(key);
      if (e == null) {
        e = open(key, options, opener);
      } else {
        checkOptions(e, options, imageKey);
        lockIfUnlocked(e, key, options);
      }
      e.users++;
      return e.disk;
    }
  }

  /**
   * The parent at {@code realPath}, shared with every other user of that image, opened read-only
   * with its own parents if no one has it open; a {@link ParentChain.ParentSource}.
   */
  public static ParentChain.Lease acquireParent(Path realPath, ParentChain chain)
      throws IOException {
    Key key = new Key(realPath, SizeRule.AUTO);
    VirtualDisk disk;
    synchronized (OPEN) {
      if (writers(realPath) > 0) {
        throw new FileSystemException(realPath.toString(), null, "open for writing in this JVM; "
            + "a parent must not change under its children, so close its writable channels "
            + "before opening a child");
      }
      Entry e = OPEN.get(key);
      if (e == null) {
        e = open(key, chain.options(), () -> DiskOpener.open(realPath, SizeRule.AUTO, chain));
      } else {
        checkOptions(e, chain.options(), realPath);
        lockIfUnlocked(e, key, chain.options());
      }
      e.users++;
      e.children++;
      disk = e.disk;
    }
    return new ParentChain.Lease(disk, () -> release(key, disk, true));
  }

  /**
   * Opens the disk under QEMU's reader locks, taken before a byte is read so that no one writes
   * what is being validated, and registers it.
   */
  private static Entry open(Key key, ChainOptions options, Opener opener) throws IOException {
    ImageLock lock = ImageLock.acquire(key.image(), options.locking());
    try {
      Entry e = new Entry(opener.open(), options, lock);
      OPEN.put(key, e);
      return e;
    } catch (IOException | RuntimeException e) {
      if (lock != null) {
        lock.release();
      }
      throw e;
    }
  }

  /** A disk opened with locking off, now wanted by someone who locks: lock it for all. */
  private static void lockIfUnlocked(Entry e, Key key, ChainOptions options) throws IOException {
    if (e.lock != null) {
      return;
    }
    ImageLock lock = ImageLock.acquire(key.image(), options.locking());
    if (lock == null) {
      return;
    }
    int started = 0;
    try {
      for (; started < e.writers; started++) {
        lock.startWriting();
      }
    } catch (IOException | RuntimeException ex) {
      for (; started > 0; started--) {
        lock.stopWriting();
      }
      lock.release();
      throw ex;
    }
    e.lock = lock;
  }

  /**
   * Records a writer on the image: refused while it is the parent of an open child, and a parent
   * is refused while it has one; and while another process has the image open (QEMU's locks).
   */
  public static void startWriting(Path imageKey, SizeRule sizeRule) throws IOException {
    synchronized (OPEN) {
      Key key = new Key(imageKey, sizeRule);
      for (Map.Entry<Key, Entry> e : OPEN.entrySet()) {
        if (!e.getKey().image().equals(imageKey)) {
          continue;
        }
        if (e.getValue().children > 0) {
          throw new FileSystemException(imageKey.toString(), null, "the parent of an open "
              + "differencing image, which must not change under its children: close them "
              + "first (or commit them into it)");
        }
        if (e.getValue().writers > 0 && !e.getKey().equals(key)) {
          // Another size rule is another open disk, with its own allocator.
          throw new FileSystemException(imageKey.toString(), null, "open for writing in this "
              + "JVM with sizeFrom " + e.getKey().sizeRule() + "; close that first");
        }
      }
      Entry e = entry(key);
      if (e.lock != null) {
        e.lock.startWriting();
      }
      e.writers++;
    }
  }

  /** Ends what {@link #startWriting} began. */
  public static void stopWriting(Path imageKey, SizeRule sizeRule) {
    synchronized (OPEN) {
      Entry e = entry(new Key(imageKey, sizeRule));
      e.writers--;
      if (e.lock != null) {
        e.lock.stopWriting();
      }
    }
  }

  /** Whether any disk of the image at real path {@code imageKey} is open in this JVM. */
  public static boolean isOpen(Path imageKey) {
    synchronized (OPEN) {
      return OPEN.keySet().stream().anyMatch(k -> k.image().equals(imageKey));
    }
  }

  /** Gives {@code disk} back; the last user closes it (writing what it holds in memory). */
  public static void release(Path imageKey, SizeRule sizeRule, VirtualDisk disk)
      throws IOException {
    release(new Key(imageKey, sizeRule), disk, false);
  }

  private static void release(Key key, VirtualDisk disk, boolean asParent) throws IOException {
    synchronized (OPEN) {
      Entry e = OPEN.get(key);
      if (e == null || e.disk != disk) {
        throw new IllegalStateException("disk of " + key.image() + " released but not held");
      }
      if (asParent) {
        e.children--;
      }
      if (--e.users > 0) {
        return;
      }
      OPEN.remove(key);
      try {
        disk.close();
      } finally {
        // Only now: closing writes what the disk still held in memory.
        if (e.lock != null) {
          e.lock.release();
        }
      }
    }
  }

  private static Entry entry(Key key) {
    Entry e = OPEN.get(key);
    if (e == null) {
      throw new IllegalStateException("disk of " + key.image() + " is not open");
    }
    return e;
  }

  private static int writers(Path image) {
    int n = 0;
    for (Map.Entry<Key, Entry> e : OPEN.entrySet()) {
      if (e.getKey().image().equals(image)) {
        n += e.getValue().writers;
      }
    }
    return n;
  }

  /**
   * A chain checked under other options (a looser {@code parentRoot}, ids ignored) must not be
   * handed to someone who asked for stricter ones.
   */
  private static void checkOptions(Entry e, ChainOptions options, Path image)
      throws FileSystemException {
    if (!e.disk.parents().isEmpty() && !e.options.sameAs(options, image.getFileSystem())) {
      throw new FileSystemException(image.toString(), null, "already open in this JVM with "
          + "parentRoot=" + e.options.parentRoot() + " and ignoreParentId="
          + e.options.ignoreParentId() + ", so its parent chain was checked under other "
          + "settings than these; close it first");
    }
  }
}
