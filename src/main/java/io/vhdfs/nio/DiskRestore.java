package io.vhdfs.nio;

import io.vhdfs.channel.DiskChannel;
import io.vhdfs.disk.ProgressListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;

/**
 * Puts a backup back: writes the bytes of a source (any readable file, or an image's disk) onto
 * a disk or partition of an image from its start, then zeros to its end.
 *
 * <p>The source is read in chunks, each split into 4 KiB grains. Runs of grains that are not all
 * zero are written as they are; runs that are go to {@link DiskChannel#writeZeros}, coalesced,
 * which stores nothing where the disk reads as zeros already. So a sparse source allocates no
 * block of a dynamic image for its holes, and a block that held data and now reads as zeros can
 * be given back. Zero ranges reach the disk in pieces that never cross a multiple of 256 MiB, the
 * largest block of VHD and VHDX, so that every block a zero range covers whole is covered by one
 * call and known to hold only zeros.
 */
final class DiskRestore {
  private static final int CHUNK = 1 << 20;
  private static final int GRAIN = 4096;
  private static final long ZERO_PIECE = 256L << 20;
  private static final byte[] ZEROS = new byte[GRAIN];

  /**
   * What a restore did.
   *
   * @param sourceSize bytes of the source, written onto the start of the target
   * @param targetSize the target's size
   * @param bytesWritten bytes written as data: the source's, less the grains that are zeros
   */
  record Result(long sourceSize, long targetSize, long bytesWritten) {}

  private final SeekableByteChannel in;
  private final DiskChannel out;
  private final long targetSize;
  private final ProgressListener progress;
  /** Zeros not yet handed to the disk: {@code [zeroFrom, zeroTo)}. */
  private long zeroFrom;
  private long zeroTo;

  private DiskRestore(SeekableByteChannel in, DiskChannel out, long targetSize,
      ProgressListener progress) {
    this.in = in;
    this.out = out;
    this.targetSize = targetSize;
    this.progress = progress;
  }

  /**
   * Restores {@code source} onto {@code target}, a {@code vhd:} path.
   *
   * @throws ProviderMismatchException if {@code target} is not a {@code vhd:} path
   * @throws FileSystemException if the source is larger than the target, before the image is
   *     opened for writing
   */
  static Result restore(Path source, Path target, ProgressListener progress) throws IOException {
    if (!(target instanceof VhdPath t)) {
      throw new ProviderMismatchException("the target of a restore is the vhd: path of a disk or "
          + "partition, not " + target);
    }
    long size = Files.size(t);
    try (SeekableByteChannel in = Files.newByteChannel(source, StandardOpenOption.READ)) {
      long sourceSize = in.size();
      refuseLarger(source, sourceSize, t, size);
      try (FileChannel ch = t.getFileSystem().provider().newFileChannel(t,
          Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE))) {
        if (!(ch instanceof DiskChannel out)) {
          // Every entry's channel is one over a VirtualDisk, which knows how to keep zeros sparse.
          throw new IllegalStateException("the channel of " + named(t) + " is a "
              + ch.getClass().getName() + ", not a DiskChannel");
        }
        refuseLarger(source, sourceSize, t, out.size()); // the image may have changed meanwhile
        DiskRestore r = new DiskRestore(in, out, out.size(), progress);
        long written = r.copy(source, sourceSize);
        out.force(true);
        return new Result(sourceSize, out.size(), written);
      }
    }
  }

  private static void refuseLarger(Path source, long sourceSize, VhdPath target, long size)
      throws FileSystemException {
    if (sourceSize > size) {
      throw new FileSystemException(named(source), named(target), "the source's " + sourceSize
          + " bytes do not fit the target's " + size + "; nothing was written");
    }
  }

  /** An image's entry as its file and, for other entries than the disk, the entry. */
  static String named(Path p) {
    if (!(p instanceof VhdPath v)) {
      return p.toString();
    }
    VhdFileSystem fs = v.getFileSystem();
    Path abs = v.toAbsolutePath().normalize();
    return abs.equals(fs.diskPath()) ? fs.image().toString() : fs.image() + "#" + abs;
  }

  /** Copies the source's bytes, then zeros to the end; returns the bytes written as data. */
  private long copy(Path source, long sourceSize) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(sourceSize, 1)));
    byte[] b = buf.array();
    long written = 0;
    for (long pos = 0; pos < sourceSize; ) {
      int n = (int) Math.min(buf.capacity(), sourceSize - pos);
      buf.clear().limit(n);
      while (buf.hasRemaining()) {
        if (in.read(buf) < 0) {
          throw new IOException(named(source) + ": ended at byte " + (pos + buf.position())
              + " of the " + sourceSize + " it had when the restore began");
        }
      }
      written += copyChunk(b, n, pos);
      pos += n;
      progress.advanced(pos, targetSize);
    }
    for (long at = sourceSize; at < targetSize; ) {
      long next = Math.min(targetSize, (at / ZERO_PIECE + 1) * ZERO_PIECE);
      zeros(at, next);
      at = next;
      progress.advanced(at, targetSize);
    }
    flushZeros();
    return written;
  }

  /** Writes the grains of {@code b[0, n)}, read at {@code pos}, that are not zero. */
  private long copyChunk(byte[] b, int n, long pos) throws IOException {
    long written = 0;
    for (int i = 0; i < n; ) {
      int grainEnd = Math.min(n, i + GRAIN);
      if (isZero(b, i, grainEnd)) {
        zeros(pos + i, pos + grainEnd);
        i = grainEnd;
        continue;
      }
      int runEnd = grainEnd;
      while (runEnd < n && !isZero(b, runEnd, Math.min(n, runEnd + GRAIN))) {
        runEnd = Math.min(n, runEnd + GRAIN);
      }
      flushZeros();
      ByteBuffer src = ByteBuffer.wrap(b, i, runEnd - i);
      while (src.hasRemaining()) {
        out.write(src, pos + src.position());
      }
      written += runEnd - i;
      i = runEnd;
    }
    return written;
  }

  /** Adds {@code [from, to)} to the zeros to come, handing full pieces to the disk. */
  private void zeros(long from, long to) throws IOException {
    if (from != zeroTo) {
      flushZeros();
      zeroFrom = from;
    }
    zeroTo = to;
    for (long boundary = (zeroFrom / ZERO_PIECE + 1) * ZERO_PIECE; zeroTo >= boundary;
        boundary += ZERO_PIECE) {
      out.writeZeros(zeroFrom, boundary - zeroFrom);
      zeroFrom = boundary;
    }
  }

  private void flushZeros() throws IOException {
    if (zeroTo > zeroFrom) {
      out.writeZeros(zeroFrom, zeroTo - zeroFrom);
    }
    zeroFrom = zeroTo;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    return Arrays.mismatch(b, from, to, ZEROS, 0, to - from) < 0;
  }
}
