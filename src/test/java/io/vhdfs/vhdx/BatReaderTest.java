package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BatReaderTest {
  private static final int MIB = 1 << 20;

  private static CodecImage open(VhdxImageBuilder.Image img) throws IOException {
    return CodecImage.open(img.toBytes());
  }

  @Test
  void dynamicBlocksAreWhereTheBuilderPutThem() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(5L * MIB, 100, 0xab)
        .fill(MIB, 10, 0x11).build();
    BatReader bat = open(img).bat;
    assertEquals(PayloadState.FULLY_PRESENT, bat.payloadEntry(2).payloadState());
    assertEquals(img.blockOffset(2), bat.payloadEntry(2).fileOffset());
    assertEquals(img.blockOffset(0), bat.payloadEntry(0).fileOffset());
    assertEquals(PayloadState.NOT_PRESENT, bat.payloadEntry(1).payloadState());
    assertEquals(img.batOffset() + 16, bat.entryOffset(2));
  }

  @Test
  void manyPagesThroughATinyCacheGiveEveryEntry() throws Exception {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(8L << 30).blockSize(MIB);
    Random r = new Random(7);
    for (int i = 0; i < 40; i++) {
      b.fill((long) r.nextInt(8192) * MIB + r.nextInt(MIB - 10), 8, i);
    }
    VhdxImageBuilder.Image img = b.build();
    long[] expected = img.bat();
    CountingSource src = new CountingSource(img.toBytes());
    CodecImage image = CodecImage.open(src, 4096, 2);
    List<Long> order = new ArrayList<>();
    for (long i = 0; i < expected.length; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(1));
    for (long i : order.subList(0, 2000)) {
      assertEquals(expected[(int) i], image.bat.entry(i).raw(), "entry " + i);
    }
    long before = src.bytes;
    image.bat.entry(order.get(1999));
    assertEquals(before, src.bytes, "a cached page is not read again");
  }

  @Test
  void aSixtyFourTebibyteBatIsReadInBoundedPages() throws Exception {
    BatGeometry g = new BatGeometry(64L << 40, MIB, 512, false);
    long batLength = (g.requiredBatBytes() + MIB - 1) / MIB * MIB;
    long fileSize = 3L * MIB + batLength + 64L * MIB;
    Map<Long, Long> entries = new TreeMap<>();
    long dataStart = 3L * MIB + batLength;
    for (int i = 0; i < 64; i++) {
      long block = (long) i * (g.payloadBlocks() / 64);
      entries.put(g.payloadIndex(block), (dataStart + (long) i * MIB) | 6);
    }
    SyntheticBat src = new SyntheticBat(fileSize, 3L * MIB, entries);
    RegionEntry batRegion = RegionEntry.of(RegionTable.BAT, 3L * MIB, batLength, true);
    RegionTable regions = new RegionTable(List.of(batRegion,
        RegionEntry.of(RegionTable.METADATA, 2L * MIB, MIB, true)));
    VhdxHeader header = new VhdxHeader(1, UUID.randomUUID(), UUID.randomUUID(), MsGuid.ZERO, 0,
        1, MIB, MIB);
    StructureAreas areas = StructureAreas.of(header, regions, fileSize, "big.vhdx");
    BatReader bat = new BatReader(src, g, batRegion, areas);
    for (int i = 0; i < 64; i++) {
      long block = (long) i * (g.payloadBlocks() / 64);
      assertEquals(dataStart + (long) i * MIB, bat.payloadEntry(block).fileOffset());
      assertEquals(PayloadState.NOT_PRESENT, bat.payloadEntry(block + 1).payloadState());
    }
    assertEquals(64L * BatReader.DEFAULT_PAGE_BYTES, src.bytes,
        "one 1 MiB page per distinct page touched, never the 512 MiB table");
  }

  private static VhdFormatException refused(VhdxImageBuilder b, long block) {
    return assertThrows(VhdFormatException.class, () -> open(b.build()).bat.payloadEntry(block));
  }

  @Test
  void reservedBitsAndReservedStatesAreRefused() {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 10, 1);
    VhdFormatException e = refused(b.batEntry(0, (8L * MIB) | 6 | 0x100), 0);
    assertTrue(e.getMessage().contains("reserved bits"), e.getMessage());
    assertEquals(3L * MIB, e.offset());
    e = refused(VhdxImageBuilder.dynamic(64L * MIB).blockState(3, 4), 3);
    assertTrue(e.getMessage().contains("reserved state 4"), e.getMessage());
    assertEquals(3L * MIB + 24, e.offset());
  }

  @Test
  void partiallyPresentIsOnlyForDifferencingFiles() {
    VhdFormatException e = refused(VhdxImageBuilder.dynamic(64L * MIB).fill(0, 10, 1)
        .blockState(0, 7), 0);
    assertTrue(e.getMessage().contains("PARTIALLY_PRESENT"), e.getMessage());
  }

  @Test
  void blocksMustLieInsideTheFileClearOfEveryStructure() {
    assertTrue(refused(VhdxImageBuilder.dynamic(64L * MIB).blockState(1, 6), 1).getMessage()
        .contains("file offset 0"));
    assertTrue(refused(VhdxImageBuilder.dynamic(64L * MIB).batEntry(1, (64L * MIB) | 6), 1)
        .getMessage().contains("past the end"));
    assertTrue(refused(VhdxImageBuilder.dynamic(64L * MIB).batEntry(1, (2L * MIB) | 6), 1)
        .getMessage().contains("into the metadata region"));
    assertTrue(refused(VhdxImageBuilder.dynamic(64L * MIB).batEntry(1, MIB | 6), 1)
        .getMessage().contains("into the log"));
    assertTrue(refused(VhdxImageBuilder.dynamic(64L * MIB).fill(10L * MIB, 1, 1)
        .batEntry(1, (3L * MIB) | 6), 1).getMessage().contains("into the BAT region"));
  }

  @Test
  void aBlockReachingPastTheFileEndIsRefused() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 10, 1).build();
    img.setLength(img.blockOffset(0) + MIB);
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> open(img).bat.payloadEntry(0));
    assertTrue(e.getMessage().contains("past the end"), e.getMessage());
  }

  @Test
  void aShortLastBlockNeedsOnlyItsBytesInTheFile() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(3L * MIB + 512).fill(2L * MIB, 512, 7)
        .build();
    img.setLength(img.blockOffset(1) + MIB + 512);
    assertEquals(PayloadState.FULLY_PRESENT, open(img).bat.payloadEntry(1).payloadState());
  }

  @Test
  void twoEntriesOnOneBlockAreRefusedWithinAPage() {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 10, 1).fill(2L * MIB, 10, 2);
    b.batEntry(1, (4L * MIB) | 6); // block 0 is at 4 MiB: block 1 now points there too
    VhdFormatException e = refused(b, 0);
    assertTrue(e.getMessage().contains("inside the block at 4194304"), e.getMessage());
  }

  @Test
  void overlappingBlocksAreRefusedAcrossPages() throws Exception {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(8L << 30).blockSize(MIB).fill(0, 10, 1)
        .fill(5000L * MIB, 10, 2);
    VhdxImageBuilder.Image img = b.build();
    long block0 = img.blockOffset(0);
    long index = b.payloadIndex(5000);
    img.putLe64(img.batEntryOffset(index), block0 | 6);
    CodecImage image = CodecImage.open(ByteSource.of(img.toBytes(), "t.vhdx"), 4096, 1);
    assertEquals(block0, image.bat.payloadEntry(0).fileOffset());
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> image.bat.payloadEntry(5000));
    assertTrue(e.getMessage().contains("overlapping a block another BAT entry"), e.getMessage());
    assertEquals(img.batEntryOffset(index), e.offset());
    // Read again after the page was dropped: the same verdict, not one against itself.
    image.bat.payloadEntry(0);
    assertThrows(VhdFormatException.class, () -> image.bat.payloadEntry(5000));
  }

  @Test
  void checkAllFindsAnOverlapWhereverItIs() throws Exception {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(8L << 30).blockSize(MIB).fill(0, 10, 1)
        .fill(7000L * MIB, 10, 2);
    VhdxImageBuilder.Image img = b.build();
    img.putLe64(img.batEntryOffset(b.payloadIndex(7000)), img.blockOffset(0) | 6);
    CodecImage image = CodecImage.open(ByteSource.of(img.toBytes(), "t.vhdx"), 4096, 1);
    assertThrows(VhdFormatException.class, image.bat::checkAll);
    CodecImage clean = CodecImage.open(ByteSource.of(b.build().toBytes(), "t.vhdx"), 4096, 1);
    clean.bat.checkAll();
  }

  @Test
  void offsetsKeptInUndefinedAndUnmappedEntriesAreNotUsed() throws Exception {
    CodecImage image = open(VhdxImageBuilder.dynamic(64L * MIB)
        .batEntry(1, (2L * MIB) | 1).batEntry(2, (2L * MIB) | 3).batEntry(3, (2L * MIB) | 5)
        .build());
    assertEquals(PayloadState.UNDEFINED, image.bat.payloadEntry(1).payloadState());
    assertEquals(PayloadState.UNMAPPED, image.bat.payloadEntry(2).payloadState());
    assertEquals(PayloadState.UNMAPPED, image.bat.payloadEntry(3).payloadState());
  }

  @Test
  void bitmapSlotsMustBeZeroWithoutAParent() {
    // 6 GiB, 2 MiB blocks: entry 2048 is chunk 0's bitmap slot and lies in the page of block 0.
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(6L << 30).batEntry(2048, (8L * MIB) | 6);
    VhdFormatException e = refused(b, 0);
    assertTrue(e.getMessage().contains("sector bitmap entry of chunk 0"), e.getMessage());
    assertTrue(e.getMessage().contains("without a parent"), e.getMessage());
  }

  @Test
  void differencingBitmapEntriesAreCheckedAndNeededByPartialBlocks() throws Exception {
    UUID link = UUID.randomUUID();
    VhdxImageBuilder ok = VhdxImageBuilder.differencing(64L * MIB, link, "p.vhdx")
        .fill(4096, 4096, 9);
    CodecImage image = open(ok.build());
    assertEquals(PayloadState.PARTIALLY_PRESENT, image.bat.payloadEntry(0).payloadState());
    assertTrue(image.bat.bitmapEntry(0).bitmapPresent());

    VhdxImageBuilder noBitmap = VhdxImageBuilder.differencing(64L * MIB, link, "p.vhdx")
        .fill(4096, 4096, 9);
    noBitmap.batEntry(noBitmap.bitmapIndex(0), 0);
    VhdFormatException e = refused(noBitmap, 0);
    assertTrue(e.getMessage().contains("has no sector bitmap block"), e.getMessage());

    VhdxImageBuilder reserved = VhdxImageBuilder.differencing(64L * MIB, link, "p.vhdx")
        .batEntry(2048, 3);
    e = assertThrows(VhdFormatException.class, () -> open(reserved.build()).bat.bitmapEntry(0));
    assertTrue(e.getMessage().contains("reserved state 3"), e.getMessage());
  }

  @Test
  void aBatRegionTooSmallForTheDiskIsRefused() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(64L * MIB).build();
    CodecImage image = open(img);
    BatGeometry big = new BatGeometry(1L << 40, MIB, 512, false);
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> new BatReader(
        image.source, big, image.regions.table().bat(), image.areas));
    assertTrue(e.getMessage().contains("cannot hold"), e.getMessage());
  }

  @Test
  void entriesSetWhilePagesComeAndGoAreSeenByReadersOnOtherThreads() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(8L << 30).blockSize(MIB)
        .fill(0, 10, 1).build();
    CodecImage image = CodecImage.open(ByteSource.of(img.toBytes(), "t.vhdx"));
    PendingSectors pending = new PendingSectors(image.source);
    // 512 entries a page and two pages kept: the blocks below lie in 16 pages, so readers and
    // the writer keep loading pages and dropping others while the writer sets entries.
    BatReader bat = new BatReader(pending, image.metadata.batGeometry(),
        image.regions.table().bat(), image.areas, 4096, 2);
    BatGeometry g = image.metadata.batGeometry();
    int count = 400;
    long firstFree = (image.source.size() + MIB - 1) / MIB * MIB;
    bat.fileGrewTo(firstFree + (long) count * MIB);
    java.util.function.LongUnaryOperator blockOf = k -> 1 + (k * 613) % 8000;
    AtomicInteger done = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Runnable reader = () -> {
      Random r = new Random(Thread.currentThread().getId());
      try {
        int seen;
        do {
          seen = done.get();
          for (int i = 0; i < 50 && seen > 0; i++) {
            int k = r.nextInt(seen);
            BatEntry e = bat.payloadEntry(blockOf.applyAsLong(k));
            assertEquals(PayloadState.FULLY_PRESENT, e.payloadState(), "block of entry " + k);
            assertEquals(firstFree + (long) k * MIB, e.fileOffset(), "block of entry " + k);
          }
        } while (seen < count);
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    };
    List<Thread> readers = List.of(new Thread(reader), new Thread(reader));
    readers.forEach(Thread::start);
    for (int k = 0; k < count && failure.get() == null; k++) {
      long index = g.payloadIndex(blockOf.applyAsLong(k));
      bat.set(index, BatEntry.of(6, firstFree + (long) k * MIB), pending);
      done.set(k + 1);
    }
    done.set(count); // lets the readers stop even after a failure
    for (Thread t : readers) {
      t.join();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    for (int k = 0; k < count; k++) {
      assertEquals(firstFree + (long) k * MIB,
          bat.payloadEntry(blockOf.applyAsLong(k)).fileOffset(), "block of entry " + k);
    }
  }

  /** A byte array source that counts what is read. */
  static final class CountingSource implements ByteSource {
    private final ByteSource data;
    long bytes;

    CountingSource(byte[] data) {
      this.data = ByteSource.of(data, "t.vhdx");
    }

    @Override
    public void readFully(ByteBuffer dst, long offset) throws IOException {
      bytes += dst.remaining();
      data.readFully(dst, offset);
    }

    @Override
    public long size() throws IOException {
      return data.size();
    }

    @Override
    public String name() {
      return data.name();
    }
  }

  /** Zeros everywhere except given BAT entries; counts bytes read. */
  static final class SyntheticBat implements ByteSource {
    private final long size;
    private final long batOffset;
    private final Map<Long, Long> entries;
    long bytes;

    SyntheticBat(long size, long batOffset, Map<Long, Long> entries) {
      this.size = size;
      this.batOffset = batOffset;
      this.entries = entries;
    }

    @Override
    public void readFully(ByteBuffer dst, long offset) throws IOException {
      int n = dst.remaining();
      if (offset + n > size) {
        throw new EOFException();
      }
      bytes += n;
      ByteBuffer out = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
      for (Map.Entry<Long, Long> e : entries.entrySet()) {
        long at = batOffset + e.getKey() * 8 - offset;
        if (at >= 0 && at + 8 <= n) {
          out.putLong((int) at, e.getValue());
        }
      }
      dst.put(out);
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public String name() {
      return "big.vhdx";
    }
  }
}
