package io.vhdfs.channel;

import java.io.IOException;
import java.nio.channels.FileChannel;

/** The channel contract on a dynamic VHD that qemu-img converted from the content. */
final class QemuDynamicImageContractTest extends FileChannelContract {
  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    return QemuImageContractSupport.open(tempDir, content, "dynamic");
  }

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected boolean supportsMap() {
    return false;
  }
}
