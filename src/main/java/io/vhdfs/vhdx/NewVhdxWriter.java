package io.vhdfs.vhdx;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes the disk of a new VHDX that no one else sees yet, such as a conversion's staged result:
 * payload blocks appended 1 MiB-aligned after the BAT, BAT entries FULLY_PRESENT, all made durable
 * by {@link #finish}. It does not go through the log: a file that is thrown away unless it is
 * finished needs no crash safety of its own, so its headers stay as created (no log GUID). Bytes
 * not handed over read as zeros; a dynamic image allocates only the blocks written to, whole.
 * Its methods may be called from several threads.
 */
public interface NewVhdxWriter extends Closeable {
  /**
   * Creates {@code file}, which must not exist, as a VHDX of {@code size} bytes with 512-byte
   * logical sectors, and opens it for writing.
   *
   * @param fixed every block allocated, in order (the data area sparse), rather than only those
   *     written
   * @param blockSize a power of two from 1 MiB to 256 MiB
   * @throws IllegalArgumentException if {@code size} is not a positive multiple of 512 of at most
   *     64 TiB, or the block size is not one a VHDX has; before {@code file} is created
   * @throws java.nio.file.FileAlreadyExistsException if {@code file} exists
   */
  static NewVhdxWriter create(Path file, boolean fixed, long size, int blockSize)
      throws IOException {
    return NewVhdxFile.create(file, fixed, size, blockSize, true);
  }

  /**
   * As {@link #create(Path, boolean, long, int)}; with {@code sync} false the file is not forced
   * as it fills, for a result that {@link #finish(boolean)} will not make durable either.
   */
  static NewVhdxWriter create(Path file, boolean fixed, long size, int blockSize, boolean sync)
      throws IOException {
    return NewVhdxFile.create(file, fixed, size, blockSize, sync);
  }

  /** Checks {@code size} and {@code blockSize} as {@link #create} does, creating nothing. */
  static void checkParameters(long size, int blockSize) {
    NewVhdxFile.geometry(size, blockSize);
  }

  /**
   * Writes all of {@code src} at disk offset {@code position}; a dynamic image's block is
   * allocated at its first write, the rest of it reading as zeros.
   *
   * @throws IllegalArgumentException if the bytes reach past the disk's end
   */
  void write(ByteBuffer src, long position) throws IOException;

  /** The file being written, for a caller that puts a block's bytes there itself. */
  Path file();

  /**
   * Where in {@link #file} disk offset {@code position} lies, its block allocated now (to be
   * written whole, as by {@link #write}) if it has none; the caller then puts bytes there itself,
   * up to the block's end, and counts them with {@link #copied}. A block's file offset is a
   * whole MiB, so a disk offset and its file offset lie alike within a page.
   *
   * @throws IllegalArgumentException if {@code position} is not inside the disk
   */
  long fileOffset(long position) throws IOException;

  /** The disk offset where the block holding {@code position} ends. */
  long blockEnd(long position);

  /** Counts {@code length} bytes the caller put into the file (for the background write-back). */
  void copied(long length);

  /** Writes the file's last bytes and makes all of it durable. */
  default void finish() throws IOException {
    finish(true);
  }

  /** Writes the file's last bytes, and with {@code sync} makes all of it durable. */
  void finish(boolean sync) throws IOException;
}
