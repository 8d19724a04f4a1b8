package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.VhdxImageBuilder;
import org.junit.jupiter.api.Test;

class BatGeometryTest {
  private static final long MIB = 1 << 20;
  private static final long GIB = 1L << 30;

  @Test
  void chunkRatiosMatchTheNotesTable() {
    int[] blocks = {1, 2, 8, 32, 64, 256};
    int[] at512 = {4096, 2048, 512, 128, 64, 16};
    int[] at4096 = {32768, 16384, 4096, 1024, 512, 128};
    for (int i = 0; i < blocks.length; i++) {
      int bs = blocks[i] << 20;
      assertEquals(at512[i], new BatGeometry(GIB, bs, 512, false).chunkRatio());
      assertEquals(at4096[i], new BatGeometry(GIB, bs, 4096, false).chunkRatio());
    }
    assertEquals(4 * GIB, new BatGeometry(GIB, 1 << 20, 512, false).chunkSize());
    assertEquals(32 * GIB, new BatGeometry(GIB, 1 << 20, 4096, false).chunkSize());
  }

  @Test
  void notesExamplesHold() {
    assertEquals(8, new BatGeometry(64 * MIB, 8 << 20, 512, false).totalEntries());
    BatGeometry six = new BatGeometry(6 * GIB, 8 << 20, 512, false);
    assertEquals(769, six.totalEntries());
    assertEquals(511, six.payloadIndex(511));
    assertTrue(six.isBitmapIndex(512));
    assertEquals(512, six.bitmapIndex(0));
    assertEquals(513, six.payloadIndex(512));
    assertEquals(512, six.blockOfIndex(513));
    BatGeometry diff = new BatGeometry(64 * MIB, 2 << 20, 512, true);
    assertEquals(2048, diff.chunkRatio());
    assertEquals(2049, diff.totalEntries());
    assertEquals(2048, diff.bitmapIndex(0));
    BatGeometry ten = new BatGeometry(10 * GIB, 32 << 20, 512, false);
    assertEquals(128, ten.chunkRatio());
    assertEquals(322, ten.totalEntries());
    assertEquals(67_125_247, new BatGeometry(64L << 40, 1 << 20, 512, false).totalEntries());
  }

  @Test
  void agreesWithTheBuildersFormulasEverywhere() {
    long[] sizes = {0, 512, MIB, 3 * MIB + 512, 64 * MIB, 6 * GIB, 10 * GIB, 33 * GIB};
    int[] blockSizes = {1 << 20, 2 << 20, 32 << 20, 256 << 20};
    for (long size : sizes) {
      for (int bs : blockSizes) {
        for (int lss : new int[] {512, 4096}) {
          if (size % lss != 0) {
            continue;
          }
          VhdxImageBuilder dyn = VhdxImageBuilder.dynamic(size).blockSize(bs)
              .logicalSectorSize(lss);
          VhdxImageBuilder dif = VhdxImageBuilder.differencing(size, MsGuid.ZERO, "p")
              .blockSize(bs).logicalSectorSize(lss);
          BatGeometry g = new BatGeometry(size, bs, lss, false);
          BatGeometry d = new BatGeometry(size, bs, lss, true);
          assertEquals(dyn.totalBatEntries(), g.totalEntries(), size + "/" + bs + "/" + lss);
          assertEquals(dif.totalBatEntries(), d.totalEntries(), size + "/" + bs + "/" + lss);
          assertEquals(dyn.chunkRatio(), g.chunkRatio());
          for (long b = 0; b < g.payloadBlocks(); b += Math.max(1, g.payloadBlocks() / 7)) {
            assertEquals(dyn.payloadIndex(b), g.payloadIndex(b));
            assertFalse(g.isBitmapIndex(g.payloadIndex(b)));
            assertEquals(b, g.blockOfIndex(g.payloadIndex(b)));
            assertEquals(dyn.bitmapIndex(g.chunkOf(b)), g.bitmapIndex(g.chunkOf(b)));
          }
        }
      }
    }
  }

  @Test
  void lastBlockIsCutShortByTheDiskEnd() {
    BatGeometry g = new BatGeometry(3 * MIB + 512, 2 << 20, 512, false);
    assertEquals(2, g.payloadBlocks());
    assertEquals(2 * MIB, g.blockBytes(0));
    assertEquals(MIB + 512, g.blockBytes(1));
  }

  @Test
  void bitmapSlicesTileTheChunksBitmapBlock() {
    BatGeometry g = new BatGeometry(64 * GIB, 2 << 20, 512, true);
    assertEquals(512, g.bitmapSliceBytes());
    assertEquals(4096, g.sectorsPerBlock());
    assertEquals(0, g.bitmapSliceOffset(0));
    assertEquals(512, g.bitmapSliceOffset(1));
    assertEquals(BatGeometry.BITMAP_BLOCK_SIZE - 512, g.bitmapSliceOffset(2047));
    assertEquals(0, g.bitmapSliceOffset(2048));
    BatGeometry big = new BatGeometry(64 * GIB, 256 << 20, 4096, true);
    assertEquals(8192, big.bitmapSliceBytes());
    assertEquals(BatGeometry.BITMAP_BLOCK_SIZE, big.bitmapSliceBytes() * big.chunkRatio());
  }

  @Test
  void outOfRangeValuesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> new BatGeometry(GIB, 3 << 20, 512, false));
    assertThrows(IllegalArgumentException.class, () -> new BatGeometry(GIB, 1 << 20, 1024,
        false));
    assertThrows(IllegalArgumentException.class, () -> new BatGeometry((64L << 40) + 512,
        1 << 20, 512, false));
  }
}
