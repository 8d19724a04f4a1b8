package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.testing.VhdxImageBuilder;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The codecs read whole images the independent builder wrote: every guest byte is what was
 * written, for each disk type, sector size and block state.
 */
class BuilderImageReadTest {
  private static final int MIB = 1 << 20;

  /** Applies the same writes to a plain array: the expected guest bytes. */
  private static final class Expected {
    final byte[] bytes;

    Expected(long size) {
      bytes = new byte[(int) size];
    }

    void fill(long at, int n, int v) {
      Arrays.fill(bytes, (int) at, (int) at + n, (byte) v);
    }
  }

  @Test
  void dynamicAndFixedImagesReadAsWrittenForEverySectorSize() throws Exception {
    for (boolean fixed : new boolean[] {false, true}) {
      for (int lss : new int[] {512, 4096}) {
        long size = 24L * MIB + lss;
        VhdxImageBuilder b = (fixed ? VhdxImageBuilder.fixed(size) : VhdxImageBuilder
            .dynamic(size)).blockSize(MIB).logicalSectorSize(lss).physicalSectorSize(4096);
        Expected e = new Expected(size);
        Random r = new Random(lss);
        for (int i = 0; i < 40; i++) {
          long at = r.nextInt((int) size - 5000);
          int n = 1 + r.nextInt(5000);
          b.fill(at, n, i + 1);
          e.fill(at, n, i + 1);
        }
        b.fill(size - lss, lss, 0xee);
        e.fill(size - lss, lss, 0xee);
        CodecImage img = CodecImage.open(b.build().toBytes());
        assertEquals(fixed ? VhdxDiskType.FIXED : VhdxDiskType.DYNAMIC, img.metadata.diskType());
        assertEquals(lss, img.metadata.logicalSectorSize());
        assertArrayEquals(e.bytes, img.readAll(null), (fixed ? "fixed " : "dynamic ") + lss);
      }
    }
  }

  @Test
  void differencingChildMixesItsSectorsWithTheParents() throws Exception {
    for (int lss : new int[] {512, 4096}) {
      long size = 16L * MIB;
      VhdxImageBuilder pb = VhdxImageBuilder.dynamic(size).blockSize(MIB)
          .logicalSectorSize(lss);
      Expected e = new Expected(size);
      pb.fill(0, (int) size, 0x11);
      e.fill(0, (int) size, 0x11);
      UUID parentDwg = UUID.randomUUID();
      CodecImage parent = CodecImage.open(pb.dataWriteGuid(parentDwg).build().toBytes());

      VhdxImageBuilder cb = VhdxImageBuilder.differencing(size, parentDwg, "p.vhdx")
          .blockSize(2 * MIB).logicalSectorSize(lss);
      int[][] writes = {{lss, lss}, {8 * lss, 3 * lss}, {2 * MIB - lss, 2 * lss},
          {6 * MIB, 4 * lss}};
      int v = 0x40;
      for (int[] w : writes) {
        cb.fill(w[0], w[1], v);
        e.fill(w[0], w[1], v);
        v++;
      }
      cb.fullyPresent(4).fill(8L * MIB + lss, lss, 0x77); // block 4 FULLY_PRESENT: rest zeros
      e.fill(8L * MIB, 2 * MIB, 0);
      e.fill(8L * MIB + lss, lss, 0x77);
      // Blocks 5, 6, 7: ZERO, UNMAPPED, UNDEFINED read zeros, not the parent.
      cb.blockState(5, 2).blockState(6, 3).blockState(7, 1);
      e.fill(10L * MIB, 6 * MIB, 0);
      CodecImage child = CodecImage.open(cb.build().toBytes());
      assertEquals(parentDwg, child.metadata.parentLocator().orElseThrow().parentLinkage());
      assertEquals(PayloadState.PARTIALLY_PRESENT, child.bat.payloadEntry(0).payloadState());
      assertEquals(PayloadState.NOT_PRESENT, child.bat.payloadEntry(2).payloadState());
      assertArrayEquals(e.bytes, child.readAll(parent), "lss " + lss);
    }
  }

  @Test
  void aChildLargerThanItsParentReadsZerosPastTheParentsEnd() throws Exception {
    UUID dwg = UUID.randomUUID();
    CodecImage parent = CodecImage.open(VhdxImageBuilder.dynamic(2L * MIB).fill(0, 2 * MIB, 9)
        .dataWriteGuid(dwg).build().toBytes());
    CodecImage child = CodecImage.open(VhdxImageBuilder.differencing(4L * MIB, dwg, "p")
        .build().toBytes());
    byte[] all = child.readAll(parent);
    byte[] expected = new byte[4 * MIB];
    Arrays.fill(expected, 0, 2 * MIB, (byte) 9);
    assertArrayEquals(expected, all);
  }
}
