package io.vhdfs.channel;

import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Builds the contract's fixtures with qemu-img rather than with the library, so the channel
 * contract can run against real VHD channels before the library can write images, and so a
 * fixture bug in the library's own writer cannot hide a reader bug.
 */
final class QemuImageContractSupport {
  private QemuImageContractSupport() {}

  /**
   * Converts {@code content} to a vpc image ({@code force_size} keeps the size to the byte) and
   * opens its whole disk through the public {@code vhd:} URI.
   */
  static FileChannel open(Path dir, byte[] content, String subformat) throws IOException {
    Path image = convert(dir, content, subformat);
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    return FileChannel.open(disk, StandardOpenOption.READ);
  }

  /** A new vpc image in {@code dir} whose disk is exactly {@code content}. */
  static Path convert(Path dir, byte[] content, String subformat) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path raw = Files.createTempFile(dir, "content-", ".raw");
    Files.write(raw, content);
    Path image = raw.resolveSibling(raw.getFileName().toString().replace(".raw", ".vhd"));
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=" + subformat
        + ",force_size=on", raw.toString(), image.toString());
    Files.delete(raw);
    return image;
  }
}
