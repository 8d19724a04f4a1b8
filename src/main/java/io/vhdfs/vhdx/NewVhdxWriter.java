package io.vhdfs.vhdx;

import io.vhdfs.disk.NewImageWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes the disk of a new VHDX that no one else sees yet, such as a conversion's staged result:
 * payload blocks appended 1 MiB-aligned after the BAT, BAT entries FULLY_PRESENT, all made durable
 * by {@link #finish}. It does not go through the log: a file that is thrown away unless it is
 * finished needs no crash safety of its own, so its headers stay as created (no log GUID). Bytes
 * not handed over read as zeros; a dynamic image allocates only the blocks written to, whole.
 * Its methods may be called from several threads. A block's file offset is a whole MiB, so a
 * disk offset and its file offset lie alike within a page.
 */
public interface NewVhdxWriter extends NewImageWriter {
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

  /** Writes the file's last bytes and makes all of it durable. */
  default void finish() throws IOException {
    finish(true);
  }

}
