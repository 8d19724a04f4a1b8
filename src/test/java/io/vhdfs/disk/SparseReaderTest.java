package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.testing.ByteArrayDisk;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path every sparse format shares, over an in-memory block map of every state with
 * 4096-byte sectors and a parent: reads, transfers and extents agree on where each byte comes
 * from; a block marked as zeros reads as zeros although the parent holds data there.
 */
class SparseReaderTest {
  private static final int BLOCK = 8192;
  private static final int SECTOR = 4096;

  @TempDir Path dir;

  /** Block 0 full at 16384, 1 zeros, 2 not held, 3 holding its second sector only, at 4096. */
  private static final class FourBlocks implements BlockMap {
    @Override
    public int blockSize() {
      return BLOCK;
    }

    @Override
    public int sectorSize() {
      return SECTOR;
    }

    @Override
    public long blockCount() {
      return 4;
    }

    @Override
    public State state(long block) {
      return new State[] {State.FULL, State.ZERO, State.ABSENT, State.PARTIAL}[(int) block];
    }

    @Override
    public long dataOffset(long block) {
      return block == 0 ? 16384 : 4096;
    }

    @Override
    public SectorPresence sectors(long block) {
      return new SectorPresence() {
        @Override
        public boolean isSet(int sector) {
          return sector == 1;
        }

        @Override
        public int runEnd(int from, int limit) {
          return Math.min(from + 1, limit);
        }
      };
    }
  }

  @Test
  void readTransferAndExtentsTakeEachBlockFromWhereItsStateSays() throws Exception {
    byte[] file = new byte[32768];
    new Random(7).nextBytes(file);
    Path image = Files.write(dir.resolve("image"), file);
    byte[] parentBytes = new byte[4 * BLOCK];
    Arrays.fill(parentBytes, (byte) 'P');
    ByteArrayDisk parent = new ByteArrayDisk(parentBytes);
    byte[] expected = new byte[4 * BLOCK];
    System.arraycopy(file, 16384, expected, 0, BLOCK);
    System.arraycopy(parentBytes, 2 * BLOCK, expected, 2 * BLOCK, BLOCK + SECTOR);
    System.arraycopy(file, 4096 + SECTOR, expected, 3 * BLOCK + SECTOR, SECTOR);

    try (HostFile host = HostFile.openForReading(image);
        Backing backing = Backing.parent(parent, dir.resolve("parent"), () -> { })) {
      SparseReader reader = new SparseReader(host, new FourBlocks(), backing, 4 * BLOCK);

      ByteBuffer all = ByteBuffer.allocate(4 * BLOCK);
      assertEquals(4 * BLOCK, reader.read(all, 0));
      assertArrayEquals(expected, all.array());

      ByteArrayOutputStream sent = new ByteArrayOutputStream();
      assertEquals(4 * BLOCK, reader.transferTo(0, 4 * BLOCK, Channels.newChannel(sent)));
      assertArrayEquals(expected, sent.toByteArray());

      List<Extent> extents = new ArrayList<>();
      ExtentCursor cursor = reader.extents(0, 4 * BLOCK);
      for (Extent e = cursor.next(); e != null; e = cursor.next()) {
        extents.add(e);
      }
      assertEquals(List.of(
          new Extent(0, BLOCK, true, 0, image, 16384),
          Extent.zeros(BLOCK, BLOCK, 0),
          new Extent(2 * BLOCK, BLOCK + SECTOR, true, 1, null, 2 * BLOCK),
          new Extent(3 * BLOCK + SECTOR, SECTOR, true, 0, image, 4096 + SECTOR)), extents);
    }
  }
}
