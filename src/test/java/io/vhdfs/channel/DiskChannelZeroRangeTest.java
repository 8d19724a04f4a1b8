package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskChannel#writeZeros}: the range reads as zeros, the channel's position stays, and it
 * is refused on a channel not open for writing, on a closed one, and for negative arguments.
 */
final class DiskChannelZeroRangeTest {
  private static final int SIZE = 4 << 20;

  @TempDir Path dir;

  @Test
  void zeroRangeReadsAsZerosAndLeavesThePosition() throws IOException {
    Path image = dir.resolve("a.vhd");
    Chains.createDynamic(image, SIZE, 1 << 20);
    byte[] data = Chains.randomBytes(SIZE, 1);
    Chains.write(image, 0, data);
    try (FileSystem fs = Chains.open(image);
        DiskChannel ch = (DiskChannel) FileChannel.open(fs.getPath("/disk"),
            StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.position(12345);

      ch.writeZeros(1000, 2 << 20);

      assertEquals(12345, ch.position());
      Arrays.fill(data, 1000, 1000 + (2 << 20), (byte) 0);
      assertArrayEquals(data, Chains.readAll(ch));
      assertThrows(IllegalArgumentException.class, () -> ch.writeZeros(-1, 1));
      assertThrows(IllegalArgumentException.class, () -> ch.writeZeros(0, -1));
      assertThrows(IOException.class, () -> ch.writeZeros(SIZE - 1, 2));
      ch.close();
      assertThrows(ClosedChannelException.class, () -> ch.writeZeros(0, 1));
    }
  }

  @Test
  void zeroRangeNeedsAChannelOpenForWriting() throws IOException {
    Path image = dir.resolve("b.vhd");
    Chains.createDynamic(image, SIZE, 1 << 20);
    try (FileSystem fs = Chains.open(image);
        DiskChannel ch = (DiskChannel) FileChannel.open(fs.getPath("/disk"))) {
      assertThrows(NonWritableChannelException.class, () -> ch.writeZeros(0, 1));
    }
  }
}
