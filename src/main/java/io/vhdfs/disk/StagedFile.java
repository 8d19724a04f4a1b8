package io.vhdfs.disk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A new file written under a temporary name beside its destination ({@code .NAME.part-<random>})
 * and given the destination's name only once complete, so that name never holds a half-written
 * file. An exception, an interrupt or a JVM shutdown (Ctrl-C) before {@link #commit} deletes the
 * temporary file; only a killed process leaves it behind, and never under the destination's name.
 */
final class StagedFile implements Closeable {
  /** Keeps temporary names within the 255 bytes most file systems allow for a name. */
  private static final int MAX_NAME_PART = 200;

  private final Path target;
  private final Path temp;
  private final boolean replace;
  private final Thread onShutdown;
  private boolean committed;

  private StagedFile(Path target, Path temp, boolean replace) {
    this.target = target;
    this.temp = temp;
    this.replace = replace;
    this.onShutdown = new Thread(this::deleteTemp, "vhdfs: delete " + temp.getFileName());
  }

  /**
   * Stages a new file for {@code target}; the caller creates {@link #temp()} itself.
   *
   * @param replace whether an existing {@code target} is replaced; if not, it is refused now and
   *     again when the file is moved into place
   * @throws FileAlreadyExistsException if {@code target} exists and {@code replace} is false
   */
  static StagedFile begin(Path target, boolean replace) throws IOException {
    if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString());
    }
    Path dir = target.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      // Said of the destination: the temporary name would mean nothing to the caller.
      throw new NoSuchFileException(target.toString(), null, "no such directory: " + dir);
    }
    String name = target.getFileName().toString();
    if (name.length() > MAX_NAME_PART) {
      name = name.substring(0, MAX_NAME_PART);
    }
    byte[] random = new byte[8];
    ThreadLocalRandom.current().nextBytes(random);
    Path temp = target.resolveSibling("." + name + ".part-" + HexFormat.of().formatHex(random));
    StagedFile staged = new StagedFile(target, temp, replace);
    Runtime.getRuntime().addShutdownHook(staged.onShutdown);
    return staged;
  }

  /** Where the file is written until it is complete; it does not exist yet. */
  Path temp() {
    return temp;
  }

  /**
   * Gives the complete, durable temporary file the destination's name, atomically: readers see
   * either no file (or the file it replaces) or the whole new one.
   *
   * @throws FileAlreadyExistsException if the destination appeared meanwhile and is not to be
   *     replaced (it is left as it is)
   */
  void commit() throws IOException {
    if (replace) {
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      committed = true;
    } else {
      moveWithoutReplacing();
    }
  }

  /**
   * A rename replaces what it finds, so a destination created after {@link #begin} would be lost;
   * a hard link, where the host has them, fails instead, atomically.
   */
  private void moveWithoutReplacing() throws IOException {
    try {
      Files.createLink(target, temp);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      // No hard links here: check and rename, which leaves a moment for a race.
      Files.move(temp, target);
      committed = true;
      return;
    }
    committed = true;
    try {
      Files.delete(temp);
    } catch (IOException e) {
      // The destination is complete; a second name for it is left, not worth failing over.
    }
  }

  /** Deletes the temporary file unless it was committed, and stops watching for shutdown. */
  @Override
  public void close() throws IOException {
    try {
      Runtime.getRuntime().removeShutdownHook(onShutdown);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or will; it deletes the file too.
    }
    if (!committed) {
      Files.deleteIfExists(temp);
    }
  }

  private void deleteTemp() {
    if (committed) {
      return;
    }
    try {
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      // Nothing can be reported while the JVM shuts down.
    }
  }
}
