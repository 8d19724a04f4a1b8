package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** The listing of the root directory: the disk, as {@code DirectoryStream} wants it (one iterator). */
final class DiskDirectoryStream implements DirectoryStream<Path> {
  private final List<Path> entries;
  private boolean iterated;
  private boolean closed;

  DiskDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    entries = new ArrayList<>();
    Path disk = dir.resolve(VhdFileSystem.DISK_NAME);
    if (filter == null || filter.accept(disk)) {
      entries.add(disk);
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
