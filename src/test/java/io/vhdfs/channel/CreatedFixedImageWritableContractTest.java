package io.vhdfs.channel;

import java.io.IOException;
import java.nio.file.Path;

/** The write contract on a fixed image that the library created and wrote. */
final class CreatedFixedImageWritableContractTest extends WritableFileChannelContract {
  private Path image;

  @Override
  protected Path create(byte[] content) throws IOException {
    Path[] made = WritableImageSupport.created(tempDir, content, "fixed", null);
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
