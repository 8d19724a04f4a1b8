package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.Update;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LogEntryTest {
  private static final UUID LOG = UUID.fromString("0f0e0d0c-0b0a-0908-0706-050403020100");
  private static final long LOG_LENGTH = 1 << 20;

  static byte[] sector(int seed) {
    byte[] b = new byte[4096];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static LogEntrySpec spec(long seq, List<Update> updates) {
    return new LogEntrySpec(0, seq, 0, LOG, 16 << 20, 16 << 20, updates);
  }

  private static LogEntry decode(byte[] b) throws VhdFormatException {
    return LogEntry.decode(b, LOG, LOG_LENGTH, "t.vhdx", 0x100000);
  }

  @Test
  void decodesHeaderDescriptorsAndRebuildsTargets() throws Exception {
    byte[] s1 = sector(1);
    byte[] s2 = sector(2);
    long seq = 0x1_0000_0005L; // both halves of the sequence number matter
    byte[] b = VhdxImageBuilder.Image.encode(spec(seq, List.of(new DataUpdate(0x200000, s1),
        new ZeroUpdate(0x400000, 0x3000), new DataUpdate(0x201000, s2))));
    LogEntry e = decode(b);
    assertEquals(3 * 4096, e.header().entryLength());
    assertEquals(seq, e.header().sequenceNumber());
    assertEquals(3, e.header().descriptorCount());
    assertEquals(LOG, e.header().logGuid());
    assertEquals(16 << 20, e.header().flushedFileOffset());
    assertEquals(2, e.dataSectorCount());
    List<LogDescriptor> d = e.descriptors();
    LogDescriptor.Data d0 = assertInstanceOf(LogDescriptor.Data.class, d.get(0));
    LogDescriptor.Zero d1 = assertInstanceOf(LogDescriptor.Zero.class, d.get(1));
    LogDescriptor.Data d2 = assertInstanceOf(LogDescriptor.Data.class, d.get(2));
    assertEquals(0x200000, d0.fileOffset());
    assertEquals(0x3000, d1.zeroLength());
    assertEquals(seq, d1.sequenceNumber());
    assertArrayEquals(s1, e.target(0, d0));
    assertArrayEquals(s2, e.target(1, d2));
  }

  @Test
  void descriptorsSpillIntoFurtherDescriptorSectors() throws Exception {
    List<Update> updates = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      updates.add(new ZeroUpdate(0x400000L + i * 0x2000L, 0x1000));
    }
    updates.add(new DataUpdate(0x300000, sector(9)));
    byte[] b = VhdxImageBuilder.Image.encode(spec(7, updates));
    assertEquals(3 * 4096, b.length); // two descriptor sectors and one data sector
    LogEntry e = decode(b);
    assertEquals(201, e.descriptors().size());
    assertEquals(0x400000L + 199 * 0x2000L, e.descriptors().get(199).fileOffset());
    assertArrayEquals(sector(9), e.target(0, (LogDescriptor.Data) e.descriptors().get(200)));
  }

  @Test
  void anEntryWithNoDescriptorsIsOneSector() throws Exception {
    assertEquals(0, decode(VhdxImageBuilder.Image.encode(spec(3, List.of()))).descriptors()
        .size());
  }

  /** The entry with {@code edit} applied, CRC fixed when asked, must be refused for {@code why}. */
  private static void refused(String why, boolean fixCrc, Consumer<ByteBuffer> edit) {
    byte[] b = VhdxImageBuilder.Image.encode(spec(9, List.of(new DataUpdate(0x200000, sector(1)),
        new ZeroUpdate(0x400000, 0x1000))));
    edit.accept(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
    if (fixCrc) {
      ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
          .putInt(4, VhdxImageBuilder.crc(b, 0, b.length, 4));
    }
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> decode(b));
    assertTrue(e.getMessage().contains(why), why + " in: " + e.getMessage());
    assertEquals(0x100000, e.offset());
  }

  @Test
  void everyValidityRuleIsEnforced() {
    refused("'loge'", true, b -> b.put(0, (byte) 'L'));
    refused("entry length", true, b -> b.putInt(8, 8192 + 512));
    refused("entry length", true, b -> b.putInt(8, 0));
    refused("entry length", true, b -> b.putInt(8, (int) LOG_LENGTH + 4096));
    refused("sequence number 0", true, b -> b.putLong(16, 0));
    refused("another log", true, b -> b.put(40, (byte) 1));
    refused("descriptors, more than", true, b -> b.putInt(24, 1000));
    refused("neither 'zero' nor 'desc'", true, b -> b.put(96, (byte) 'x'));
    refused("carries sequence number 10", true, b -> b.putLong(64 + 24, 10));
    refused("not 4 KiB aligned", true, b -> b.putLong(64 + 16, 0x200200));
    refused("not 4 KiB aligned", true, b -> b.putLong(96 + 8, 0x800));
    refused("has no 'data' signature", true, b -> b.put(4096, (byte) 'D'));
    refused("another sequence number (a torn write)", true, b -> b.putInt(4096 + 4092, 8));
    refused("another sequence number (a torn write)", true, b -> b.putInt(4096 + 4, 1));
    refused("fails its CRC-32C", false, b -> b.put(4096 + 100, (byte) 0x5a));
    refused("fails its CRC-32C", false, b -> b.put(60, (byte) 1));
  }

  @Test
  void lengthNotCoveringDescriptorAndDataSectorsIsRefused() {
    byte[] b = VhdxImageBuilder.Image.encode(spec(9, List.of(new DataUpdate(0x200000,
        sector(1)))));
    byte[] longer = java.util.Arrays.copyOf(b, b.length + 4096);
    ByteBuffer h = ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(8, longer.length);
    h.putInt(4, VhdxImageBuilder.crc(longer, 0, longer.length, 4));
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> decode(longer));
    assertTrue(e.getMessage().contains("3 sectors long but has 1 descriptor sectors and 1 data"),
        e.getMessage());
  }
}
