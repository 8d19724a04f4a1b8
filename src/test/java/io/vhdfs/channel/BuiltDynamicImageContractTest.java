package io.vhdfs.channel;

import java.io.IOException;
import java.nio.channels.FileChannel;

/** The channel contract on a dynamic VHD written by the test-side builder. */
final class BuiltDynamicImageContractTest extends FileChannelContract {
  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    return BuiltImageContractSupport.open(tempDir, content, false);
  }

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected boolean supportsMap() {
    return false;
  }
}
