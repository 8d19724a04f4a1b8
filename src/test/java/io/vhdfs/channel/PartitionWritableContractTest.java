package io.vhdfs.channel;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The write contract on a partition: primary partition 2 of a dynamic image (2 MiB blocks) the
 * library created, starting inside a block, used through its {@code vhd:...#/p2} URI. What is
 * stored is checked on the whole disk, so a write that strays out of the window fails too.
 */
final class PartitionWritableContractTest extends WritableFileChannelContract {
  private Path image;
  private byte[] disk;

  @Override
  protected Path create(byte[] content) throws IOException {
    disk = PartitionContractSupport.disk(content, true);
    image = WritableImageSupport.created(tempDir, disk, "dynamic", null)[0];
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath() + "#/p2"));
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    WritableImageSupport.checkStored(image, PartitionContractSupport.withContent(disk, expected),
        tempDir);
  }
}
