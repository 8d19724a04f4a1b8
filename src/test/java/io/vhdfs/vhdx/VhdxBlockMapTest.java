package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.SectorPresence;
import io.vhdfs.testing.VhdxImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link VhdxBlockMap}: block states as the shared read path sees them, and bitmap slices. */
final class VhdxBlockMapTest {
  private static final int MIB = 1 << 20;

  @Test
  void aPartlyPresentBlocksBitmapSliceIsReadOnce() throws IOException {
    VhdxImageBuilder b = VhdxImageBuilder.differencing(8L * MIB, UUID.randomUUID(), "p.vhdx")
        .blockSize(MIB);
    b.fill(512, 1024, 0x44); // sectors 1 and 2 of block 0
    byte[] bytes = b.build().toBytes();
    CodecImage image = CodecImage.open(bytes);
    long bitmapAt = image.bat.bitmapEntry(0).fileOffset();
    AtomicInteger bitmapReads = new AtomicInteger();
    ByteSource counting = new ByteSource() {
      @Override
      public void readFully(ByteBuffer dst, long offset) throws IOException {
        if (offset >= bitmapAt && offset < bitmapAt + MIB) {
          bitmapReads.incrementAndGet();
        }
        image.source.readFully(dst, offset);
      }

      @Override
      public long size() throws IOException {
        return image.source.size();
      }

      @Override
      public String name() {
        return image.source.name();
      }
    };
    VhdxBlockMap map = new VhdxBlockMap(image.bat, counting);

    assertEquals(BlockMap.State.PARTIAL, map.state(0));
    assertEquals(BlockMap.State.ABSENT, map.state(1), "NOT_PRESENT in a child: the parent's");
    for (int round = 0; round < 3; round++) {
      SectorPresence bits = map.sectors(0);
      assertFalse(bits.isSet(0));
      assertTrue(bits.isSet(1));
      assertTrue(bits.isSet(2));
      assertFalse(bits.isSet(3));
      assertEquals(3, bits.runEnd(1, MIB / 512));
    }
    assertEquals(1, bitmapReads.get(), "the slice is read from the file once");
    assertNull(map.sectors(1), "only a partly present block has a slice");
  }
}
