package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/**
 * The write contract on a dynamic image (2 MiB blocks) that the library created and wrote, used
 * through {@code Path.of(vhd URI)}.
 */
final class CreatedDynamicImageWritableContractTest extends WritableFileChannelContract {
  private Path image;
  private Path disk;

  @Override
  protected Path create(byte[] content) throws IOException {
    Path[] made = WritableImageSupport.created(tempDir, content, "dynamic", null);
    image = made[0];
    disk = made[1];
    return disk;
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    WritableImageSupport.checkStored(image, expected, tempDir);
  }

  /** Issue 3 contract: all-zero buffers are written too, so they allocate. */
  @Test
  void allZeroWriteIntoAnUnallocatedBlockAllocatesIt() throws IOException {
    long before = allocatedBlocks(disk);
    assertEquals(2, before, "fixture: blocks 0 and 2 hold data, block 1 is all zeros");
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
      assertEquals(SECTOR, ch.write(ByteBuffer.allocate(SECTOR), ZEROS_START + 8 * SECTOR));
      assertEquals(before + 1, allocatedBlocks(disk), "vhd:allocatedBlocks while the channel is open");
    }
    assertEquals(before + 1, allocatedBlocks(disk), "vhd:allocatedBlocks after close");
  }

  static long allocatedBlocks(Path disk) throws IOException {
    return ((Number) Files.getAttribute(disk, "vhd:allocatedBlocks")).longValue();
  }
}
