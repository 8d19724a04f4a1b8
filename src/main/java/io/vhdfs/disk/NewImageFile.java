package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes a new image file whole or not at all, for every format's creator: the file must not
 * exist, its content is forced once written, and a failure part way deletes it again, so no
 * half-made image is ever left under the user's name.
 */
public final class NewImageFile {
  private NewImageFile() {}

  /** What fills a new image file, written through its channel. */
  @FunctionalInterface
  public interface Content {
    /** Writes the image into {@code ch}, a new empty file. */
    void writeTo(SeekableByteChannel ch) throws IOException;
  }

  /**
   * Writes all of {@code src} at {@code at} of a new image file's channel: at that offset of a
   * {@link FileChannel} (which leaves its position, so writers on several threads need no lock),
   * else from its position set to {@code at} (the caller keeps other writers out).
   */
  public static void writeAt(SeekableByteChannel ch, ByteBuffer src, long at)
      throws IOException {
    if (ch instanceof FileChannel fc) {
      long p = at;
      while (src.hasRemaining()) {
        p += fc.write(src, p);
      }
      return;
    }
    ch.position(at);
    while (src.hasRemaining()) {
      ch.write(src);
    }
  }

  /** Creates {@code image} with {@code content}, durably; deleted again if that fails. */
  public static void write(Path image, Content content) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(image, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      boolean done = false;
      try {
        content.writeTo(ch);
        if (ch instanceof FileChannel fc) {
          fc.force(true);
        }
        done = true;
      } finally {
        if (!done) {
          ch.close();
          Files.deleteIfExists(image);
        }
      }
    }
  }
}
