package io.vhdfs.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Copies a disk out the two standard ways, in a JVM of the caller's choosing (a newer JDK than
 * the build's): {@code Files.copy(disk, out1)} and {@code InputStream.transferTo} from
 * {@code Files.newInputStream(disk)} into {@code Files.newOutputStream(out2)}. Arguments: the
 * image, then the two output files, which must not exist.
 */
public final class SparseCopyMain {
  private SparseCopyMain() {}

  public static void main(String[] args) throws Exception {
    Path image = Path.of(args[0]);
    Path disk = Path.of(URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath()));
    try {
      Files.copy(disk, Path.of(args[1]));
      try (InputStream in = Files.newInputStream(disk);
          OutputStream out = Files.newOutputStream(Path.of(args[2]))) {
        in.transferTo(out);
      }
    } finally {
      disk.getFileSystem().close();
    }
  }
}
