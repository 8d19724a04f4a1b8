package io.vhdfs.disk;

import java.io.IOException;
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
