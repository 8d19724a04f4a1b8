package io.vhdfs.channel;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Runs the contract against the JDK's own {@link FileChannel} over a plain file. This is the
 * reference: every test must pass here, or the test (not the library) is wrong.
 */
final class RawFileChannelContractTest extends FileChannelContract {
  private int files;

  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    Path raw = Files.write(tempDir.resolve("raw-" + files++ + ".bin"), content);
    return FileChannel.open(raw, StandardOpenOption.READ);
  }
}
