package io.vhdfs.channel;

import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The byte-range locks held on one image by the channels of this JVM. As with the JDK's own
 * channels, locks belong to the file, not to whoever opened it: a lock overlapping one held through
 * any channel of any file system on the same image is an {@link OverlappingFileLockException}. The
 * locks are advisory and JVM-local: nothing is locked on the host file.
 */
public final class DiskLocks {
  /** Held locks by image key; an image appears only while it has locks. */
  private static final Map<Object, List<FileLock>> HELD = new HashMap<>();

  private final Object image;

  /**
   * @param image what identifies the image file, equal for every way of opening it (its real path)
   */
  public DiskLocks(Object image) {
    this.image = image;
  }

  void add(FileLock lock) {
    synchronized (HELD) {
      for (FileLock l : HELD.getOrDefault(image, List.of())) {
        if (l.overlaps(lock.position(), lock.size())) {
          throw new OverlappingFileLockException();
        }
      }
      HELD.computeIfAbsent(image, k -> new ArrayList<>()).add(lock);
    }
  }

  void remove(FileLock lock) {
    synchronized (HELD) {
      List<FileLock> held = HELD.get(image);
      if (held != null && held.remove(lock) && held.isEmpty()) {
        HELD.remove(image);
      }
    }
  }

  List<FileLock> heldBy(DiskChannel channel) {
    synchronized (HELD) {
      List<FileLock> mine = new ArrayList<>();
      for (FileLock l : HELD.getOrDefault(image, List.of())) {
        if (l.acquiredBy() == channel) {
          mine.add(l);
        }
      }
      return mine;
    }
  }
}
