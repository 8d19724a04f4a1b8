package io.vhdfs.channel;

import java.io.IOException;
import java.nio.file.Path;

/** The write contract on a dynamic image that qemu-img converted from the content. */
final class QemuDynamicImageWritableContractTest extends WritableFileChannelContract {
  private Path image;

  @Override
  protected Path create(byte[] content) throws IOException {
    Path[] made = WritableImageSupport.qemuMade(tempDir, content, "dynamic");
    image = made[0];
    return made[1];
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    WritableImageSupport.checkStored(image, expected, tempDir);
  }
}
