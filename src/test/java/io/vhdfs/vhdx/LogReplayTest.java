package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.Update;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LogReplayTest {
  private static final int MIB = 1 << 20;
  private static final int K4 = 4096;
  private static final UUID LOG = UUID.fromString("4c4f4721-0000-4000-8000-000000000001");

  /**
   * A dynamic 64 MiB image with 0xAB in block 0, whose BAT sector on disk still says block 0 is
   * absent; the BAT sector that maps it is returned for the log to carry.
   */
  private static Image staleBat(byte[][] batSectorOut) {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 8192, 0xab).build();
    batSectorOut[0] = img.read(img.batOffset(), K4);
    img.put(img.batOffset(), new byte[K4]);
    return img;
  }

  private static LogEntrySpec entry(Image img, long position, long seq, long tail,
      Update... updates) {
    return new LogEntrySpec(position, seq, tail, LOG, img.length(), img.length(),
        List.of(updates));
  }

  private static Image dirty(Image img, LogEntrySpec... entries) {
    img.writeHeaders(LOG);
    for (LogEntrySpec e : entries) {
      img.writeLogEntry(e);
    }
    return img;
  }

  private static byte[] guest(Image img, long offset, int length) throws IOException {
    byte[] b = new byte[length];
    CodecImage.open(img.toBytes()).read(offset, b, 0, length, null);
    return b;
  }

  private static byte[] filled(int n, int v) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) v);
    return b;
  }

  @Test
  void aLoggedBatSectorMakesTheBlockReadableWithoutChangingTheFile() throws Exception {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    assertArrayEquals(new byte[8192], guest(img, 0, 8192), "stale before the log");
    dirty(img, entry(img, 0, 1, 0, new DataUpdate(img.batOffset(), bat[0])));
    byte[] before = img.toBytes();
    CodecImage opened = CodecImage.open(before);
    byte[] read = new byte[8192];
    opened.read(0, read, 0, read.length, null);
    assertArrayEquals(filled(8192, 0xab), read);
    assertArrayEquals(before, img.toBytes(), "the file is not written");
    assertEquals(List.of(new LogOverlay.Range(img.batOffset(), K4, false)),
        opened.log.overlay().ranges());
    assertEquals(1, opened.log.sequence().entries().size());
  }

  @Test
  void aCleanLogIsNotRead() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).build();
    VhdxHeader h = HeaderChoice.choose(img.read(0x10000, K4), img.read(0x20000, K4), "t")
        .current();
    ByteSource unreadable = new ByteSource() {
      @Override
      public void readFully(ByteBuffer dst, long offset) {
        throw new AssertionError("read at " + offset);
      }

      @Override
      public long size() {
        throw new AssertionError("size");
      }

      @Override
      public String name() {
        return "t";
      }
    };
    assertSame(ReplayedLog.CLEAN, LogReplay.replay(unreadable, h));
  }

  @Test
  void zeroDescriptorsZeroTheirRange() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 3 * K4, 0xcd).build();
    long block = img.blockOffset(0);
    dirty(img, entry(img, 0, 1, 0, new ZeroUpdate(block + K4, K4)));
    byte[] read = guest(img, 0, 3 * K4);
    byte[] expected = filled(3 * K4, 0xcd);
    Arrays.fill(expected, K4, 2 * K4, (byte) 0);
    assertArrayEquals(expected, read);
  }

  @Test
  void laterUpdatesReplaceEarlierOnesInReplayOrder() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 4 * K4, 0x11).build();
    long b = img.blockOffset(0);
    dirty(img,
        entry(img, 0, 1, 0, new DataUpdate(b, filled(K4, 0x22)),
            new ZeroUpdate(b, 3 * K4), new DataUpdate(b + K4, filled(K4, 0x33))),
        entry(img, 3 * K4, 2, 0, new DataUpdate(b + 2 * K4, filled(K4, 0x44)),
            new ZeroUpdate(b + 3 * K4, K4)));
    byte[] expected = new byte[4 * K4];
    Arrays.fill(expected, K4, 2 * K4, (byte) 0x33);
    Arrays.fill(expected, 2 * K4, 3 * K4, (byte) 0x44);
    assertArrayEquals(expected, guest(img, 0, 4 * K4));
  }

  @Test
  void entriesOfAnotherLogAreIgnored() throws Exception {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    dirty(img, entry(img, 0, 1, 0, new DataUpdate(img.batOffset(), bat[0])));
    byte[] bogus = new byte[K4];
    img.writeLogEntry(new LogEntrySpec(2 * K4, 2, 2 * K4, UUID.randomUUID(), img.length(),
        img.length(), List.of(new DataUpdate(img.batOffset(), bogus))));
    CodecImage opened = CodecImage.open(img.toBytes());
    assertEquals(List.of(1L), opened.log.sequence().entries().stream()
        .map(LoggedEntry::sequenceNumber).toList());
    assertTrue(opened.log.sequence().rejected().get(0).contains("another log"));
    byte[] read = new byte[16];
    opened.read(0, read, 0, 16, null);
    assertArrayEquals(filled(16, 0xab), read);
  }

  @Test
  void aTornNewestEntryLeavesTheOlderSequenceActive() throws Exception {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    dirty(img, entry(img, 0, 1, 0, new DataUpdate(img.batOffset(), bat[0])),
        entry(img, 2 * K4, 2, 2 * K4, new DataUpdate(img.batOffset(), new byte[K4])));
    // Tear entry 2's data sector: its low sequence half belongs to another write.
    img.putLe32(img.logSectorOffset(2 * K4, 1) + 4092, 77);
    img.fixLogEntryChecksum(2 * K4);
    CodecImage opened = CodecImage.open(img.toBytes());
    assertEquals(1, opened.log.sequence().head().sequenceNumber());
    assertTrue(opened.log.sequence().rejected().get(0).contains("torn"),
        opened.log.sequence().rejected().toString());
    assertArrayEquals(filled(16, 0xab), guest(img, 0, 16));
  }

  @Test
  void onlyEntriesFromTheHeadsTailOnAreReplayed() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 2 * K4, 0x11).build();
    long b = img.blockOffset(0);
    dirty(img, entry(img, 0, 1, 0, new DataUpdate(b, filled(K4, 0x22))),
        entry(img, 2 * K4, 2, 2 * K4, new DataUpdate(b + K4, filled(K4, 0x33))));
    byte[] expected = filled(2 * K4, 0x11);
    Arrays.fill(expected, K4, 2 * K4, (byte) 0x33);
    assertArrayEquals(expected, guest(img, 0, 2 * K4), "entry 1 lies before the tail");

    Image both = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 2 * K4, 0x11).build();
    dirty(both, entry(both, 0, 1, 0, new DataUpdate(b, filled(K4, 0x22))),
        entry(both, 2 * K4, 2, 0, new DataUpdate(b + K4, filled(K4, 0x33))));
    Arrays.fill(expected, 0, K4, (byte) 0x22);
    assertArrayEquals(expected, guest(both, 0, 2 * K4), "tail 0 takes both");
  }

  @Test
  void anEntryWrappingTheRingEndIsReplayed() throws Exception {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    long last = img.logLength() - K4;
    dirty(img, entry(img, last, 8, last, new DataUpdate(img.batOffset(), bat[0])));
    assertEquals(img.logOffset(), img.logSectorOffset(last, 1), "the data sector wrapped");
    assertArrayEquals(filled(16, 0xab), guest(img, 0, 16));
  }

  @Test
  void aSequenceWrappingTheRingEndIsReplayedWhole() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 3 * K4, 0x11).build();
    long b = img.blockOffset(0);
    long p = img.logLength() - 4 * K4;
    dirty(img, entry(img, p, 10, p, new DataUpdate(b, filled(K4, 0x22))),
        entry(img, p + 2 * K4, 11, p, new DataUpdate(b + K4, filled(K4, 0x33))),
        entry(img, 0, 12, p, new DataUpdate(b + 2 * K4, filled(K4, 0x44))));
    byte[] expected = new byte[3 * K4];
    Arrays.fill(expected, 0, K4, (byte) 0x22);
    Arrays.fill(expected, K4, 2 * K4, (byte) 0x33);
    Arrays.fill(expected, 2 * K4, 3 * K4, (byte) 0x44);
    assertArrayEquals(expected, guest(img, 0, 3 * K4));
  }

  @Test
  void lastFileOffsetBeyondTheEndGrowsTheFileAsRead() throws Exception {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    long grown = img.length() + 8L * MIB;
    dirty(img, new LogEntrySpec(0, 1, 0, LOG, img.length(), grown,
        List.of(new DataUpdate(img.batOffset(), bat[0]))));
    CodecImage opened = CodecImage.open(img.toBytes());
    assertEquals(grown, opened.source.size());
    assertArrayEquals(new byte[K4], opened.source.read(grown - K4, K4));
  }

  @Test
  void aFileShorterThanTheHeadsFlushedOffsetIsRefused() {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    dirty(img, new LogEntrySpec(0, 1, 0, LOG, img.length() + MIB, img.length(),
        List.of(new DataUpdate(img.batOffset(), bat[0]))));
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> CodecImage.open(img.toBytes()));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertEquals(img.logOffset() + 48, e.offset());
  }

  @Test
  void aDirtyLogWithoutAValidSequenceIsRefusedNamingTheRejectedEntry() {
    byte[][] bat = new byte[1][];
    Image img = staleBat(bat);
    dirty(img, entry(img, 3 * K4, 1, 3 * K4, new DataUpdate(img.batOffset(), bat[0])));
    img.put(img.logSectorOffset(3 * K4, 1) + 200, new byte[] {1});
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> CodecImage.open(img.toBytes()));
    assertTrue(e.getMessage().contains("no valid, complete sequence"), e.getMessage());
    assertTrue(e.getMessage().contains("log offset 0x3000: entry 1 fails its CRC-32C"),
        e.getMessage());
    assertEquals(img.logOffset(), e.offset());

    Image none = VhdxImageBuilder.dynamic(64L * MIB).build();
    none.writeHeaders(LOG);
    assertThrows(VhdFormatException.class, () -> CodecImage.open(none.toBytes()));
  }

  @Test
  void logsThatCannotBeReplayedAreRefused() {
    Image empty = VhdxImageBuilder.dynamic(64L * MIB).log(MIB, 0).build();
    empty.writeHeaders(LOG);
    assertTrue(assertThrows(VhdFormatException.class, () -> CodecImage.open(empty.toBytes()))
        .getMessage().contains("log is empty"));
    Image huge = VhdxImageBuilder.dynamic(64L * MIB).log(4L * MIB, 64L * MIB).metadataRegion(
        2L * MIB, MIB).batRegion(3L * MIB).build();
    huge.writeHeaders(LOG);
    assertTrue(assertThrows(VhdFormatException.class, () -> CodecImage.open(huge.toBytes()))
        .getMessage().contains("longer than"));
    Image cut = VhdxImageBuilder.dynamic(64L * MIB).log(8L * MIB, 2L * MIB).build();
    cut.writeHeaders(LOG);
    cut.setLength(9L * MIB);
    assertTrue(assertThrows(VhdFormatException.class, () -> CodecImage.open(cut.toBytes()))
        .getMessage().contains("reaches past the end"));
  }

  @Test
  void updatesOfTheHeadersOrTheLogItselfAreRefused() {
    for (long target : new long[] {0x10000, 0x2f000, MIB, 2L * MIB - K4}) {
      Image img = VhdxImageBuilder.dynamic(64L * MIB).build();
      dirty(img, entry(img, 0, 1, 0, new DataUpdate(target, new byte[K4])));
      VhdFormatException e = assertThrows(VhdFormatException.class,
          () -> CodecImage.open(img.toBytes()));
      assertTrue(e.getMessage().contains("would overwrite"), e.getMessage());
      assertTrue(e.getMessage().contains("log entry 1 (log offset 0x0), descriptor 0"),
          e.getMessage());
    }
    Image far = VhdxImageBuilder.dynamic(64L * MIB).build();
    dirty(far, entry(far, 0, 1, 0, new ZeroUpdate(8L * MIB, 1L << 60)));
    assertTrue(assertThrows(VhdFormatException.class, () -> CodecImage.open(far.toBytes()))
        .getMessage().contains("beyond any VHDX file"));
  }

  @Test
  void regionTablesReadAfterTheReplay() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, K4, 0x5a).build();
    byte[] table = img.read(VhdxImageBuilder.REGION_TABLE1, K4);
    img.put(VhdxImageBuilder.REGION_TABLE1, new byte[K4]); // torn: copy 1 unreadable on disk
    dirty(img, entry(img, 0, 1, 0, new DataUpdate(VhdxImageBuilder.REGION_TABLE1, table)));
    CodecImage opened = CodecImage.open(img.toBytes());
    assertEquals(1, opened.regions.copy());
    assertTrue(opened.regions.otherProblem().isEmpty());
  }

  @Test
  void aRingOfBogusEntryHeadersIsScannedInLinearTime() throws Exception {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).build();
    img.writeHeaders(LOG);
    for (long p = 0; p < img.logLength(); p += K4) {
      // Every sector claims to start an entry filling the log with descriptor sectors.
      long s = img.logOffset() + p;
      img.put(s, "loge".getBytes());
      img.putLe32(s + 8, (int) img.logLength());
      img.putLe64(s + 16, 1 + p / K4);
      img.putLe32(s + 24, 127 * 256);
      img.put(s + 32, VhdxImageBuilder.guidBytes(LOG));
    }
    BatReaderTest.CountingSource src = new BatReaderTest.CountingSource(img.toBytes());
    VhdxHeader h = HeaderChoice.choose(img.read(0x10000, K4), img.read(0x20000, K4), "t")
        .current();
    assertThrows(VhdFormatException.class, () -> LogReplay.replay(src, h));
    assertTrue(src.bytes <= 3 * img.logLength(), "read " + src.bytes + " bytes");
  }
}
