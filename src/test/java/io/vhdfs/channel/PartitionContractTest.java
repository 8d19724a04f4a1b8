package io.vhdfs.channel;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The channel contract on a partition: logical partition 5 of a dynamic image (64 KiB blocks)
 * written by the test-side builder, starting inside a block, between bytes the tests must never
 * see.
 */
final class PartitionContractTest extends FileChannelContract {
  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    Path image = BuiltImageContractSupport.write(tempDir,
        PartitionContractSupport.disk(content, false), false, 64 * 1024);
    return FileChannel.open(Path.of(URI.create("vhd:" + image.toUri().getRawPath() + "#/p5")));
  }

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected boolean supportsMap() {
    return false;
  }
}
