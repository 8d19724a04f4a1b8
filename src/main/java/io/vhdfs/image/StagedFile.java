package io.vhdfs.image;

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
 *
 * <p>A destination that is a symbolic link is written through, as {@code cp} and
 * {@code qemu-img} write through one: the file is staged beside the link's final target (a chain
 * of links followed to its end, a dangling link to the file it names) and renamed onto that
 * target, so the link stays and leads to the new file.
 */
final class StagedFile implements Closeable {
  /** Keeps temporary names within the 255 bytes most file systems allow for a name. */
  private static final int MAX_NAME_PART = 200;
  /** Links followed before giving up on a loop, as Linux's 40. */
  private static final int MAX_LINKS = 40;

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
   * @param destination the file to make, or a symbolic link to it
   * @param replace whether an existing file is replaced; if not, it is refused now and again when
   *     the file is moved into place
   * @throws FileAlreadyExistsException if the file exists and {@code replace} is false (the file
   *     is the link's target where {@code destination} is a link to an existing file)
   */
  static StagedFile begin(Path destination, boolean replace) throws IOException {
    Path target = finalTarget(destination);
    if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw target == destination ? new FileAlreadyExistsException(target.toString())
          : new FileAlreadyExistsException(target.toString(), destination.toString(),
              "the target of the link");
    }
    Path dir = target.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      // Said of the destination: the temporary name would mean nothing to the caller.
      throw new NoSuchFileException(destination.toString(), null, "no such directory: " + dir);
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

  /**
   * {@code path} with its symbolic links followed to a path that is not a link; {@code path}
   * itself where it is none. A relative link is resolved from its own directory.
   */
  private static Path finalTarget(Path path) throws IOException {
    Path p = path;
    for (int links = 0; Files.isSymbolicLink(p); links++) {
      if (links == MAX_LINKS) {
        throw new FileSystemException(path.toString(), null, "more than " + MAX_LINKS
            + " symbolic links in a row: a loop");
      }
      Path link = p.toAbsolutePath();
      p = link.resolveSibling(Files.readSymbolicLink(link));
    }
    if (p == path) {
      return path;
    }
    // The target's directory as it really is, so messages and the temporary name say where.
    Path dir = p.getParent();
    return dir != null && Files.isDirectory(dir) ? dir.toRealPath().resolve(p.getFileName()) : p;
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
