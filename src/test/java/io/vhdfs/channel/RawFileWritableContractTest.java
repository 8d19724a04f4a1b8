package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the write contract against the JDK's own {@link java.nio.channels.FileChannel} over a
 * plain file. This is the reference: every test must pass here, or the test (not the library) is
 * wrong.
 */
final class RawFileWritableContractTest extends WritableFileChannelContract {
  private int files;

  @Override
  protected Path create(byte[] content) throws IOException {
    return Files.write(tempDir.resolve("raw-" + files++ + ".bin"), content);
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    assertArrayEquals(expected, Files.readAllBytes(file));
  }
}
