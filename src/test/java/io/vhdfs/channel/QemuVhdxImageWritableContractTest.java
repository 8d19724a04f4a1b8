package io.vhdfs.channel;

import static io.vhdfs.testing.Chains.assertSameBytes;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The write contract on a dynamic VHDX that qemu-img converted from the content (1 MiB blocks):
 * what a test wrote is read back by a new file system and by {@code qemu-img convert}.
 */
final class QemuVhdxImageWritableContractTest extends WritableFileChannelContract {
  private Path image;

  @Override
  protected Path create(byte[] content) throws IOException {
    Path raw = Files.write(Files.createTempFile(tempDir, "content-", ".raw"), content);
    image = raw.resolveSibling(raw.getFileName().toString().replace(".raw", ".vhdx"));
    VhdxTools.require().convertFromRaw(raw, image, "block_size=1M");
    Files.delete(raw);
    return Path.of(Chains.uriOf(image));
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    assertSameBytes(expected, Chains.readDisk(image), 0, "a new file system on " + image);
    Path raw = Files.createTempFile(tempDir, "qemu-", ".raw");
    Files.delete(raw);
    VhdxTools.require().convertToRaw(image, raw);
    assertSameBytes(expected, Files.readAllBytes(raw), 0, "qemu-img convert of " + image);
  }
}
