package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The two headers of a VHDX file as a test reads them, independently of the library: each one's
 * validity (signature, CRC-32C), sequence number and GUIDs, and which is current.
 */
public record VhdxHeaders(Header one, Header two) {
  /** One header slot: {@code problem} is null when it is valid. */
  public record Header(String problem, long sequence, UUID fileWriteGuid, UUID dataWriteGuid,
      UUID logGuid) {}

  public static VhdxHeaders read(Path image) throws IOException {
    try (FileChannel ch = FileChannel.open(image)) {
      return new VhdxHeaders(header(ch, 0x10000), header(ch, 0x20000));
    }
  }

  private static Header header(FileChannel ch, long at) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4096);
    while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
      // until full
    }
    byte[] h = b.array();
    ByteBuffer le = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
    String problem = null;
    if (h[0] != 'h' || h[1] != 'e' || h[2] != 'a' || h[3] != 'd') {
      problem = "no 'head' signature";
    } else {
      int stored = le.getInt(4);
      byte[] copy = h.clone();
      copy[4] = copy[5] = copy[6] = copy[7] = 0;
      CRC32C crc = new CRC32C();
      crc.update(copy);
      if ((int) crc.getValue() != stored) {
        problem = "CRC-32C mismatch";
      }
    }
    return new Header(problem, le.getLong(8), guid(h, 16), guid(h, 32), guid(h, 48));
  }

  /** A GUID as Microsoft stores it: three little-endian fields, then eight bytes as they are. */
  private static UUID guid(byte[] b, int off) {
    ByteBuffer le = ByteBuffer.wrap(b, off, 8).order(ByteOrder.LITTLE_ENDIAN);
    long d1 = le.getInt() & 0xFFFF_FFFFL;
    long d2 = le.getShort() & 0xFFFFL;
    long d3 = le.getShort() & 0xFFFFL;
    long high = d1 << 32 | d2 << 16 | d3;
    long low = ByteBuffer.wrap(b, off + 8, 8).getLong();
    return new UUID(high, low);
  }

  /** The valid header with the higher sequence number. */
  public Header current() {
    if (one.problem() != null) {
      return two;
    }
    if (two.problem() != null) {
      return one;
    }
    return Long.compareUnsigned(one.sequence(), two.sequence()) >= 0 ? one : two;
  }

  public UUID dataWriteGuid() {
    return current().dataWriteGuid();
  }

  public UUID fileWriteGuid() {
    return current().fileWriteGuid();
  }

  /**
   * What a clean close leaves (checklist item 13): both headers valid, sequence numbers one apart,
   * the same FileWriteGuid and DataWriteGuid in both, and no LogGuid.
   */
  public void assertClosedCleanly() {
    assertNull(one.problem(), "header 1");
    assertNull(two.problem(), "header 2");
    assertEquals(1, Math.abs(one.sequence() - two.sequence()), "sequence numbers " + this);
    assertEquals(one.fileWriteGuid(), two.fileWriteGuid(), "FileWriteGuid " + this);
    assertEquals(one.dataWriteGuid(), two.dataWriteGuid(), "DataWriteGuid " + this);
    assertEquals(new UUID(0, 0), current().logGuid(), "LogGuid " + this);
  }
}
