package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the one sector mapper turns any format's block map into runs, tested over an in-memory map:
 * a block that is not held reads from the backing, one marked as zeros reads as zeros whatever
 * the backing holds, held sectors are data, and neighbours served alike merge.
 */
class SectorMapperTest {
  private static final int BLOCK = 8192;

  /** Blocks as a test lays them out; a partial block's sectors as a bit set. */
  private static final class ArrayBlockMap implements BlockMap {
    private final int sectorSize;
    private final State[] states;
    private final long[] offsets;
    private final BitSet[] held;

    ArrayBlockMap(int sectorSize, int blocks) {
      this.sectorSize = sectorSize;
      this.states = new State[blocks];
      this.offsets = new long[blocks];
      this.held = new BitSet[blocks];
      java.util.Arrays.fill(states, State.ABSENT);
    }

    ArrayBlockMap set(int block, State state, long offset, int... sectors) {
      states[block] = state;
      offsets[block] = offset;
      BitSet bits = new BitSet();
      for (int s : sectors) {
        bits.set(s);
      }
      held[block] = state == State.PARTIAL && sectors.length * sectorSize == BLOCK ? null : bits;
      return this;
    }

    @Override
    public int blockSize() {
      return BLOCK;
    }

    @Override
    public int sectorSize() {
      return sectorSize;
    }

    @Override
    public long blockCount() {
      return states.length;
    }

    @Override
    public State state(long block) {
      return states[(int) block];
    }

    @Override
    public long dataOffset(long block) {
      return offsets[(int) block];
    }

    @Override
    public SectorPresence sectors(long block) {
      BitSet bits = held[(int) block];
      if (bits == null) {
        return null;
      }
      return new SectorPresence() {
        @Override
        public boolean isSet(int sector) {
          return bits.get(sector);
        }

        @Override
        public int runEnd(int from, int limit) {
          int end = bits.get(from) ? bits.nextClearBit(from) : bits.nextSetBit(from);
          return end < 0 ? limit : Math.min(end, limit);
        }
      };
    }
  }

  private static Run data(long at, int length) {
    return new Run(Run.Kind.DATA, at, length);
  }

  private static Run zeros(int length) {
    return new Run(Run.Kind.ZERO, -1, length);
  }

  private static Run backing(int length) {
    return new Run(Run.Kind.BACKING, -1, length);
  }

  @Test
  void absentBlocksReadFromTheBackingAndZeroBlocksReadAsZeros() throws Exception {
    ArrayBlockMap map = new ArrayBlockMap(512, 4)
        .set(1, BlockMap.State.ZERO, 0)
        .set(2, BlockMap.State.ZERO, 0);
    assertEquals(List.of(backing(BLOCK), zeros(2 * BLOCK), backing(BLOCK)),
        new SectorMapper(map).map(0, 4 * BLOCK));
  }

  @Test
  void fullBlocksBackToBackInTheFileAreOneDataRun() throws Exception {
    ArrayBlockMap map = new ArrayBlockMap(512, 3)
        .set(0, BlockMap.State.FULL, 65536)
        .set(1, BlockMap.State.FULL, 65536 + BLOCK)
        .set(2, BlockMap.State.FULL, 4096);
    assertEquals(List.of(data(65536 + 100, 2 * BLOCK - 100), data(4096, 50)),
        new SectorMapper(map).map(100, 2 * BLOCK - 100 + 50));
  }

  @Test
  void partialBlocksSplitAtTheSectorsOfTheMapsOwnSize() throws Exception {
    ArrayBlockMap map = new ArrayBlockMap(4096, 1).set(0, BlockMap.State.PARTIAL, 65536, 1);
    assertEquals(List.of(backing(4096 - 10), data(65536 + 4096, 4096)),
        new SectorMapper(map).map(10, BLOCK - 10));
  }

  @Test
  void aPartialBlockFoundFullIsOneDataRun() throws Exception {
    ArrayBlockMap map = new ArrayBlockMap(4096, 2)
        .set(0, BlockMap.State.PARTIAL, 65536, 0, 1)
        .set(1, BlockMap.State.PARTIAL, 65536 + BLOCK, 0, 1);
    assertEquals(List.of(data(65536, 2 * BLOCK)), new SectorMapper(map).map(0, 2 * BLOCK));
  }

  @Test
  void directOffsetServesRangesInsideOneFullOrAbsentBlockOnly() throws Exception {
    ArrayBlockMap map = new ArrayBlockMap(512, 4)
        .set(0, BlockMap.State.FULL, 65536)
        .set(1, BlockMap.State.ZERO, 0)
        .set(3, BlockMap.State.PARTIAL, 4096, 0);
    SectorMapper mapper = new SectorMapper(map);
    assertEquals(65536 + 100, mapper.directOffset(100, 512));
    assertEquals(-1, mapper.directOffset(BLOCK - 100, 512), "across two blocks");
    assertEquals(-1, mapper.directOffset(BLOCK, 512), "zeros are not in the file");
    assertEquals(SectorMapper.NOT_HELD, mapper.directOffset(2 * BLOCK, BLOCK));
    assertEquals(-1, mapper.directOffset(3 * BLOCK, 512), "a partial block");
  }
}
