package io.vhdfs.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A destination that is neither a regular file nor a directory, reached directly or through
 * symbolic links: a FIFO, a character or block device. Renaming a finished file onto it would
 * take the pipe or device node away, so it is written where it is, in order, as a pipe needs.
 */
final class SpecialFile {
  /** The file-type bits of a Unix mode and their values. */
  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFSOCK = 0140000;

  /** What the file is. */
  enum Kind {
    FIFO("a FIFO"),
    CHARACTER_DEVICE("a character device"),
    BLOCK_DEVICE("a block device"),
    SOCKET("a socket"),
    /** Not a regular file or directory, on a host that does not say what it is. */
    OTHER("a special file");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** "a FIFO", "a block device", ...: for messages. */
    String label() {
      return label;
    }
  }

  private final Path path;
  private final Kind kind;

  private SpecialFile(Path path, Kind kind) {
    this.path = path;
    this.kind = kind;
  }

  /**
   * {@code path} as a special file, its links followed; null where it is a regular file, a
   * directory, or nothing (a missing file, a dangling link).
   */
  static SpecialFile of(Path path) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return null;
    }
    return attributes.isOther() ? new SpecialFile(path, kindOf(path)) : null;
  }

  private static Kind kindOf(Path path) {
    int mode;
    try {
      mode = (Integer) Files.getAttribute(path, "unix:mode");
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
      return Kind.OTHER; // a host without Unix modes: written in order all the same
    }
    return switch (mode & S_IFMT) {
      case S_IFIFO -> Kind.FIFO;
      case S_IFCHR -> Kind.CHARACTER_DEVICE;
      case S_IFBLK -> Kind.BLOCK_DEVICE;
      case S_IFSOCK -> Kind.SOCKET;
      default -> Kind.OTHER;
    };
  }

  /** The path as the caller gave it. */
  Path path() {
    return path;
  }

  Kind kind() {
    return kind;
  }

  /**
   * Opens the file for writing from its start, without creating or truncating it. A FIFO's open
   * waits until a reader has it open, as every writer of a FIFO does.
   *
   * @throws FileSystemException for a socket, which is not opened as a file
   */
  SeekableByteChannel openForWriting() throws IOException {
    if (kind == Kind.SOCKET) {
      throw new FileSystemException(path.toString(), null,
          "is a socket, which cannot be written as a file");
    }
    return Files.newByteChannel(path, StandardOpenOption.WRITE);
  }

  /**
   * Refuses a block device smaller than {@code bytes}, before anything is written to it; other
   * kinds take any number of bytes.
   */
  void checkRoom(SeekableByteChannel channel, long bytes) throws IOException {
    if (kind != Kind.BLOCK_DEVICE) {
      return;
    }
    long capacity = channel.size();
    if (capacity < bytes) {
      throw new FileSystemException(path.toString(), null, "the block device holds " + capacity
          + " bytes, too few for the " + bytes + "-byte result; nothing was written");
    }
  }

  /** Makes a block device's writes durable; a pipe or character device has nothing to force. */
  void force(SeekableByteChannel channel) throws IOException {
    if (kind == Kind.BLOCK_DEVICE && channel instanceof FileChannel fc) {
      fc.force(true);
    }
  }
}
