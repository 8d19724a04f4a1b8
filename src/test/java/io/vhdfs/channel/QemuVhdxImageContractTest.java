package io.vhdfs.channel;

import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The read-only channel contract on a dynamic VHDX that qemu-img converted from the content. */
final class QemuVhdxImageContractTest extends FileChannelContract {
  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    VhdxTools vhdx = VhdxTools.require();
    Path raw = Files.createTempFile(tempDir, "content-", ".raw");
    Files.write(raw, content);
    Path image = raw.resolveSibling(raw.getFileName().toString().replace(".raw", ".vhdx"));
    vhdx.convertFromRaw(raw, image, "block_size=1M");
    Files.delete(raw);
    return FileChannel.open(Path.of(URI.create("vhd:" + image.toUri().getRawPath())),
        StandardOpenOption.READ);
  }

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected boolean supportsMap() {
    return false;
  }
}
