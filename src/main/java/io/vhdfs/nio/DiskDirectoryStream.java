package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The listing of the root directory: the disk and the partitions, as {@code DirectoryStream}
 * wants it (one iterator), taken when the stream is opened.
 */
final class DiskDirectoryStream implements DirectoryStream<Path> {
  private final List<Path> entries;
  private boolean iterated;
  private boolean closed;

  /**
   * @param dir the directory as the caller named it; entries are resolved against it
   * @param names the entries' names, in order
   */
  DiskDirectoryStream(Path dir, List<String> names, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    entries = new ArrayList<>();
    for (String name : names) {
      Path entry = dir.resolve(name);
      if (filter == null || filter.accept(entry)) {
        entries.add(entry);
      }
    }
  }

  @Override
  public synchronized Iterator<Path> iterator() {
    if (closed) {
      throw new IllegalStateException("directory stream is closed");
    }
    if (iterated) {
      throw new IllegalStateException("iterator already obtained");
    }
    iterated = true;
    Iterator<Path> it = entries.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        synchronized (DiskDirectoryStream.this) {
          return !closed && it.hasNext();
        }
      }

      @Override
      public Path next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return it.next();
      }
    };
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}
