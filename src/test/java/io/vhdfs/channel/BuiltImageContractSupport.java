package io.vhdfs.channel;

import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Images for the channel contract made by the test-side builder, so the contract runs where no
 * qemu-img is installed too. Dynamic images leave all-zero blocks unallocated and give one block a
 * partial bitmap, so every kind of run is exercised.
 */
final class BuiltImageContractSupport {
  private BuiltImageContractSupport() {}

  static FileChannel open(Path dir, byte[] content, boolean fixed) throws IOException {
    int blockSize = 64 * 1024;
    VhdImageBuilder image;
    if (fixed) {
      image = VhdImageBuilder.fixed(content.length).write(0, content);
    } else {
      image = VhdImageBuilder.dynamic(content.length).blockSize(blockSize);
      for (int start = 0; start < content.length; start += blockSize) {
        int end = Math.min(content.length, start + blockSize);
        if (!isZero(content, start, end)) {
          image.write(start, java.util.Arrays.copyOfRange(content, start, end));
        }
      }
    }
    Path file = Files.createTempFile(dir, fixed ? "fixed" : "dynamic", ".vhd");
    image.writeTo(file);
    Path disk = Path.of(URI.create("vhd:" + file.toUri().getRawPath()));
    return FileChannel.open(disk);
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
