package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The write contract on a dynamic image with 4 KiB blocks that the library created and wrote:
 * the zero regions are hundreds of unallocated blocks, so almost every write crosses block
 * boundaries and allocates several blocks in one call.
 */
final class SmallBlockDynamicImageWritableContractTest extends WritableFileChannelContract {
  private static final int BLOCK = 4 * KIB;
  private Path image;
  private Path disk;

  @Override
  protected Path create(byte[] content) throws IOException {
    Path[] made = WritableImageSupport.created(tempDir, content, "dynamic", "4K");
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

  @Test
  void fixtureLeavesTheZeroRegionsUnallocated() throws IOException {
    long blocks = (LENGTH + BLOCK - 1) / BLOCK;
    long zeroBlocks = (HOLE_END - HOLE_START) / BLOCK + (ZEROS_END - ZEROS_START) / BLOCK;
    assertEquals(blocks - zeroBlocks, CreatedDynamicImageWritableContractTest.allocatedBlocks(disk));
  }

  /** A write allocates exactly the blocks it touches, once each, also across many blocks. */
  @Test
  void writeAcrossManyUnallocatedBlocksAllocatesEachTouchedBlockOnce() throws IOException {
    long before = CreatedDynamicImageWritableContractTest.allocatedBlocks(disk);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      byte[] bytes = randomBytes(40_000, 1);
      assertEquals(40_000, ch.write(ByteBuffer.wrap(bytes), ZEROS_START + 100)); // blocks 0..9
      assertEquals(before + 10, CreatedDynamicImageWritableContractTest.allocatedBlocks(disk));
      assertEquals(40_000, ch.write(ByteBuffer.wrap(bytes), ZEROS_START + 100)); // same blocks
      assertEquals(1, ch.write(ByteBuffer.wrap(new byte[] {1}), ZEROS_START + 10 * BLOCK - 1));
      assertEquals(before + 10, CreatedDynamicImageWritableContractTest.allocatedBlocks(disk),
          "rewriting allocated blocks allocated more");
      ByteBuffer back = ByteBuffer.allocate(11 * BLOCK);
      assertEquals(back.capacity(), ch.read(back, ZEROS_START));
      byte[] expected = new byte[11 * BLOCK];
      System.arraycopy(bytes, 0, expected, 100, bytes.length);
      expected[10 * BLOCK - 1] = 1;
      assertEquals(-1, Arrays.mismatch(expected, back.array()),
          "unwritten sectors of the new blocks must read as zeros");
    }
  }
}
