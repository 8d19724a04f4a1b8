package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Byte-level edits of an image file on any provider, so a test can damage one field of an image
 * the builder wrote correctly. All numbers are big-endian, as in the format.
 */
public final class HostBytes {
  private HostBytes() {}

  public static byte[] read(Path file, long offset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
      ch.position(offset);
      while (buf.hasRemaining()) {
        if (ch.read(buf) < 0) {
          throw new IOException(file + ": only " + buf.position() + " of " + length
              + " bytes at offset " + offset);
        }
      }
    }
    return buf.array();
  }

  public static void write(Path file, long offset, byte[] bytes) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
      writeFully(ch, offset, ByteBuffer.wrap(bytes));
    }
  }

  public static int readInt(Path file, long offset) throws IOException {
    return ByteBuffer.wrap(read(file, offset, 4)).getInt();
  }

  public static long readLong(Path file, long offset) throws IOException {
    return ByteBuffer.wrap(read(file, offset, 8)).getLong();
  }

  /** The unique id in the footer at the end of {@code image}, read from its bytes. */
  public static UUID footerUniqueId(Path image) throws IOException {
    ByteBuffer id = ByteBuffer.wrap(read(image, Files.size(image) - VhdImageBuilder.FOOTER_SIZE
        + VhdImageBuilder.F_UNIQUE_ID, 16));
    return new UUID(id.getLong(), id.getLong());
  }

  public static void writeInt(Path file, long offset, int value) throws IOException {
    write(file, offset, ByteBuffer.allocate(4).putInt(value).array());
  }

  public static void writeLong(Path file, long offset, long value) throws IOException {
    write(file, offset, ByteBuffer.allocate(8).putLong(value).array());
  }

  /** Cuts the file to {@code size} bytes (works on providers without FileChannel too). */
  public static void truncate(Path file, long size) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    }
  }

  static void writeFully(SeekableByteChannel ch, long offset, ByteBuffer src) throws IOException {
    ch.position(offset);
    while (src.hasRemaining()) {
      ch.write(src);
    }
  }
}
