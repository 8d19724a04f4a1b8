package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scratch files that exist for a moment beside a user's images (the in-place probe's), deleted
 * by their user and, should the JVM be stopped while one exists (Ctrl-C, {@code kill}), by a
 * shutdown hook: a stopped conversion or tool must not leave files of ours in the user's
 * directory. Only a kill that runs no hooks can.
 */
final class ScratchFiles {
  private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

  static {
    try {
      Thread hook = new Thread(ScratchFiles::deleteAll, "vhdfs-scratch-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException | SecurityException e) {
      // Already shutting down, or not allowed: files are still deleted by their users.
    }
  }

  private ScratchFiles() {}

  /** Notes {@code file}, about to be created, for deletion at shutdown. */
  static void created(Path file) {
    LIVE.add(file);
  }

  /** Deletes {@code file} if it exists; a file that cannot be deleted is left, harmless. */
  static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException | RuntimeException e) {
      // A scratch file left behind is harmless; the caller's verdict stands.
    }
    LIVE.remove(file);
  }

  private static void deleteAll() {
    for (Path file : LIVE) {
      delete(file);
    }
  }
}
