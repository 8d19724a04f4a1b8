package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Copies ranges of host files into one new host file with the host's own file-to-file copy
 * ({@code FileChannel.transferTo}: {@code sendfile} on Java 17, {@code copy_file_range} on later
 * Linux JDKs), so the bytes never pass through the JVM. Each instance has channels of its own, on
 * the target and on every source it reads, so that several copy at once: {@code transferTo}
 * writes at its target channel's position, which no other thread may move meanwhile.
 *
 * <p>A source may be an image file that {@link ImageLock} holds QEMU's locks on: closing any
 * channel of a file drops every POSIX lock this process has on it, so {@link #close} reports each
 * source channel it closes and the locks are taken again, as {@link HostFile} does.
 *
 * <p>Only for files of the platform's own file system ({@link #supports}); not safe for use by
 * several threads at once (use one instance per thread).
 */
public final class KernelCopy implements Closeable {
  private final FileChannel target;
  private final Map<Path, FileChannel> sources = new LinkedHashMap<>();

  /** Opens {@code target}, an existing file this JVM writes alone (a staged result), to copy into. */
  public KernelCopy(Path target) throws IOException {
    this.target = FileChannel.open(target, StandardOpenOption.WRITE);
  }

  /** Whether files at {@code path} can be copied from or into by the host. */
  public static boolean supports(Path path) {
    return path.getFileSystem() == FileSystems.getDefault();
  }

  /**
   * Copies the {@code length} bytes at {@code from} in {@code source} to {@code to} in the target.
   *
   * @throws VhdFormatException if the source ends first (it was truncated)
   */
  public void copy(Path source, long from, long length, long to) throws IOException {
    FileChannel in = sources.get(source);
    if (in == null) {
      in = FileChannel.open(source, StandardOpenOption.READ);
      sources.put(source, in);
    }
    target.position(to);
    long done = 0;
    while (done < length) {
      long n = in.transferTo(from + done, length - done, target);
      if (n <= 0) {
        throw new VhdFormatException(source.toString(), from + done, "image truncated: "
            + "unexpected end of file while copying " + (length - done) + " bytes");
      }
      done += n;
    }
  }

  /** Closes the channels; sources' image locks, if held in this JVM, are taken again. */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    try {
      target.close();
    } catch (IOException e) {
      failure = e;
    }
    for (Map.Entry<Path, FileChannel> e : sources.entrySet()) {
      try {
        e.getValue().close();
      } catch (IOException x) {
        failure = failure == null ? x : failure;
      } finally {
        ImageLock.channelClosed(e.getKey());
      }
    }
    sources.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
