package io.vhdfs.channel;

import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Images for the channel contract made by the test-side builder, so the contract runs where no
 * qemu-img is installed too, and a fixture bug in the library's own writer cannot hide a reader
 * bug. Dynamic images leave all-zero blocks unallocated.
 */
final class BuiltImageContractSupport {
  private BuiltImageContractSupport() {}

  /** A builder-made image of {@code content} (64 KiB blocks if dynamic), opened by its URI. */
  static FileChannel open(Path dir, byte[] content, boolean fixed) throws IOException {
    Path file = write(dir, content, fixed, 64 * 1024);
    Path disk = Path.of(URI.create("vhd:" + file.toUri().getRawPath()));
    return FileChannel.open(disk);
  }

  /**
   * A new image file in {@code dir} whose disk is exactly {@code content}: fixed, or dynamic with
   * {@code blockSize} blocks.
   */
  static Path write(Path dir, byte[] content, boolean fixed, int blockSize) throws IOException {
    VhdImageBuilder image;
    if (fixed) {
      image = VhdImageBuilder.fixed(content.length).write(0, content);
    } else {
      image = VhdImageBuilder.dynamic(content.length).blockSize(blockSize);
      for (int start = 0; start < content.length; start += blockSize) {
        int end = Math.min(content.length, start + blockSize);
        if (!isZero(content, start, end)) {
          image.write(start, Arrays.copyOfRange(content, start, end));
        }
      }
    }
    Path file = Files.createTempFile(dir, fixed ? "fixed" : "dynamic", ".vhd");
    image.writeTo(file);
    return file;
  }

  private static boolean isZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
