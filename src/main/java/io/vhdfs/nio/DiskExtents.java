package io.vhdfs.nio;

import io.vhdfs.channel.DiskChannel;
import io.vhdfs.disk.ExtentCursor;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the bytes of a virtual disk, or of one partition on it, are: stored in the image, stored
 * in a parent (at a depth), or nowhere (they read as zeros). Made for backup and copy loops. It
 * takes the {@code vhd:} path the caller already holds, and works a range out a block at a time
 * as the caller moves on, so a 2 TiB disk with a million extents costs no more memory than an
 * empty one.
 *
 * <pre>{@code
 * Path disk = Path.of(URI.create("vhd:/backups/server.vhd"));
 * try (DiskExtents extents = DiskExtents.open(disk)) {
 *   // a sparse copy loop, as SEEK_DATA / SEEK_HOLE
 *   long p = extents.nextData(0);
 *   while (p >= 0) {
 *     long end = extents.nextHole(p);
 *     copy(p, end);
 *     p = extents.nextData(end);
 *   }
 *   // incremental backup of a differencing child: only the sectors it holds itself
 *   try (Stream<VhdImages.Extent> changed = extents.changed(0, extents.size())) {
 *     changed.forEach(e -> copy(e.offset(), e.end()));
 *   }
 * }
 * }</pre>
 *
 * <p>Offsets are those of the path's own bytes: of the disk for {@code /disk}, from the start of
 * the partition for a partition. {@link VhdImages.Extent#hostOffset()} is where the bytes lie in
 * {@link VhdImages.Extent#file()}, the image (or parent) file that stores them. Extents of equal
 * kind that continue one another are merged, as {@code qemu-img map} shows them. An instance keeps
 * the image open until {@link #close}; it is safe for use from several threads. Errors name the
 * image file.
 *
 * <p>The incremental-backup recipe: take a differencing child of the disk (Hyper-V checkpoint,
 * {@code type=differencing}), let the guest write to the child, then back up
 * {@link #changed changed(0, size)}, the sectors the child holds, to sector precision; merge the
 * child into its parent ({@link VhdImages#commit}) and start again.
 */
public final class DiskExtents implements Closeable {
  private final Path path;
  private final DiskChannel channel;

  private DiskExtents(Path path, DiskChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /**
   * Opens the extents of {@code path}, the {@code vhd:} path of a disk or partition, for reading.
   *
   * @throws ProviderMismatchException if {@code path} is not a {@code vhd:} path
   */
  public static DiskExtents open(Path path) throws IOException {
    if (!(path instanceof VhdPath)) {
      throw new ProviderMismatchException("not a vhd: path: " + path + "; the disk of an image "
          + "file is Path.of(URI.create(\"vhd:\" + image.toUri().getRawPath()))");
    }
    return new DiskExtents(path, (DiskChannel) path.getFileSystem().provider()
        .newFileChannel(path, Set.of(StandardOpenOption.READ)));
  }

  /**
   * The extents of {@code [from, to)} of {@code path}, the {@code vhd:} path of a disk or
   * partition; the stream holds the image open until it is closed, so close it
   * (try-with-resources), as {@link java.nio.file.Files#lines}.
   */
  public static Stream<VhdImages.Extent> stream(Path path, long from, long to) throws IOException {
    DiskExtents extents = open(path);
    try {
      return ExtentStream.of(extents.channel.extents(from, to), extents);
    } catch (IOException | RuntimeException e) {
      extents.close();
      throw e;
    }
  }

  /** The size of the disk or partition in bytes. */
  public long size() throws IOException {
    return channel.size();
  }

  /**
   * The extents of {@code [from, to)}, clipped to the size, in order, worked out as the stream is
   * consumed. An {@link IOException} while reading the image's tables reaches the consumer as an
   * {@link UncheckedIOException}.
   */
  public Stream<VhdImages.Extent> extents(long from, long to) throws IOException {
    return ExtentStream.of(channel.extents(from, to), () -> { });
  }

  /**
   * The extents of {@code [from, to)} that the image itself stores ({@link
   * VhdImages.Extent.Kind#DATA}): for a differencing child, the sectors it changed since it was
   * made from its parent; for any other image, all its stored data.
   */
  public Stream<VhdImages.Extent> changed(long from, long to) throws IOException {
    return extents(from, to).filter(e -> e.kind() == VhdImages.Extent.Kind.DATA);
  }

  /**
   * As {@code lseek(SEEK_DATA)}: the first offset at or after {@code position} whose bytes are
   * stored (here or in a parent), or -1 if none is, or {@code position} is at or past the end.
   */
  public long nextData(long position) throws IOException {
    checkPosition(position);
    ExtentCursor cursor = channel.extents(position, Long.MAX_VALUE);
    for (io.vhdfs.disk.Extent e = cursor.next(); e != null; e = cursor.next()) {
      if (e.data()) {
        return e.offset();
      }
    }
    return -1;
  }

  /**
   * As {@code lseek(SEEK_HOLE)}: the first offset at or after {@code position} whose bytes are
   * stored nowhere, or the size if there is none before the end (the end counts as a hole); -1
   * if {@code position} is at or past the end.
   */
  public long nextHole(long position) throws IOException {
    checkPosition(position);
    long size = channel.size();
    if (position >= size) {
      return -1;
    }
    ExtentCursor cursor = channel.extents(position, size);
    for (io.vhdfs.disk.Extent e = cursor.next(); e != null; e = cursor.next()) {
      if (!e.data()) {
        return e.offset();
      }
    }
    return size;
  }

  private static void checkPosition(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("negative position: " + position);
    }
  }

  /** Lets go of the image. */
  @Override
  public void close() throws IOException {
    channel.close();
  }

  @Override
  public String toString() {
    return "DiskExtents[" + path.toUri() + "]";
  }
}
