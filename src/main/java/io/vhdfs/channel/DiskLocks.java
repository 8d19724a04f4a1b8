package io.vhdfs.channel;

import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte-range locks held on one image by the channels of this JVM. As with the JDK's own
 * channels, a second lock overlapping a held one is an {@link OverlappingFileLockException}. The
 * locks are advisory and JVM-local: nothing is locked on the host file.
 */
public final class DiskLocks {
  private final List<FileLock> held = new ArrayList<>();

  synchronized void add(FileLock lock) {
    for (FileLock l : held) {
      if (l.overlaps(lock.position(), lock.size())) {
        throw new OverlappingFileLockException();
      }
    }
    held.add(lock);
  }

  synchronized void remove(FileLock lock) {
    held.remove(lock);
  }

  synchronized List<FileLock> heldBy(DiskChannel channel) {
    List<FileLock> mine = new ArrayList<>();
    for (FileLock l : held) {
      if (l.acquiredBy() == channel) {
        mine.add(l);
      }
    }
    return mine;
  }
}
