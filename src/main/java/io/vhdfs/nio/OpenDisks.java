package io.vhdfs.nio;

import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The disks open in this JVM: one per image (and size rule), shared by every file system on it.
 * Two file systems on one image, say one from {@code Path.of(uri)} and one from
 * {@code newFileSystem(path)}, must not each keep their own block table and allocator, or both
 * would put new blocks at the same end of the file.
 */
final class OpenDisks {
  /** Opens the disk when no file system has it open. */
  @FunctionalInterface
  interface Opener {
    VirtualDisk open() throws IOException;
  }

  private record Key(Path image, SizeRule sizeRule) {}

  private static final class Entry {
    final VirtualDisk disk;
    int users;

    Entry(VirtualDisk disk) {
      this.disk = disk;
    }
  }

  /** Guarded by itself; opening and closing happen under it, so a disk is never open twice. */
  private static final Map<Key, Entry> OPEN = new HashMap<>();

  private OpenDisks() {}

  /** The open disk of {@code imageKey}, opened with {@code opener} if no one has it open. */
  static VirtualDisk acquire(Path imageKey, SizeRule sizeRule, Opener opener) throws IOException {
    Key key = new Key(imageKey, sizeRule);
    synchronized (OPEN) {
      Entry e = OPEN.get(key);
      if (e == null) {
        e = new Entry(opener.open());
        OPEN.put(key, e);
      }
      e.users++;
      return e.disk;
    }
  }

  /** Gives {@code disk} back; the last user closes it (writing what it holds in memory). */
  static void release(Path imageKey, SizeRule sizeRule, VirtualDisk disk) throws IOException {
    Key key = new Key(imageKey, sizeRule);
    synchronized (OPEN) {
      Entry e = OPEN.get(key);
      if (e == null || e.disk != disk) {
        throw new IllegalStateException("disk of " + imageKey + " released but not held");
      }
      if (--e.users > 0) {
        return;
      }
      OPEN.remove(key);
      disk.close();
    }
  }
}
