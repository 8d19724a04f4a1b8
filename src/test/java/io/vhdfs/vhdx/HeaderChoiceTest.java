package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HeaderChoiceTest {
  private static final UUID FWG = UUID.fromString("11111111-2222-3333-4444-555555555555");
  private static final UUID DWG = UUID.fromString("66666666-7777-8888-9999-aaaaaaaaaaaa");

  private static VhdxImageBuilder.Image image(long seq1, long seq2) {
    return VhdxImageBuilder.dynamic(64 << 20).fileWriteGuid(FWG).dataWriteGuid(DWG)
        .sequenceNumbers(seq1, seq2).build();
  }

  private static HeaderChoice choose(VhdxImageBuilder.Image img) throws VhdFormatException {
    return HeaderChoice.choose(img.read(VhdxImageBuilder.HEADER1, 4096),
        img.read(VhdxImageBuilder.HEADER2, 4096), "t.vhdx");
  }

  @Test
  void decodesEveryFieldTheBuilderWrote() throws Exception {
    VhdxHeader h = choose(image(10, 11)).current();
    assertEquals(11, h.sequenceNumber());
    assertEquals(FWG, h.fileWriteGuid());
    assertEquals(DWG, h.dataWriteGuid());
    assertEquals(MsGuid.ZERO, h.logGuid());
    assertEquals(0, h.logVersion());
    assertEquals(1, h.version());
    assertEquals(1 << 20, h.logLength());
    assertEquals(1 << 20, h.logOffset());
    assertTrue(!h.hasLog());
  }

  @Test
  void encodeReproducesTheBuildersHeaderByteForByte() throws Exception {
    VhdxImageBuilder.Image img = image(10, 11);
    byte[] raw = img.read(VhdxImageBuilder.HEADER2, 4096);
    assertArrayEquals(raw, VhdxHeader.decode(raw, 0, "t", 0x20000).encode());
  }

  @Test
  void higherSequenceNumberWinsInEitherSlot() throws Exception {
    assertEquals(2, choose(image(10, 11)).slot());
    assertEquals(1, choose(image(12, 11)).slot());
    assertEquals(0x20000, choose(image(10, 11)).currentOffset());
  }

  @Test
  void sequenceNumbersCompareUnsigned() throws Exception {
    HeaderChoice c = choose(image(-1L, 5));
    assertEquals(1, c.slot());
    assertEquals(-1L, c.current().sequenceNumber());
  }

  @Test
  void badChecksumOnTheNewerHeaderFallsBackToTheOlder() throws Exception {
    VhdxImageBuilder.Image img = image(10, 11);
    img.put(VhdxImageBuilder.HEADER2 + 100, new byte[] {1});
    HeaderChoice c = choose(img);
    assertEquals(1, c.slot());
    assertEquals(10, c.current().sequenceNumber());
    assertTrue(c.otherProblem().orElseThrow().contains("CRC-32C"));
    assertTrue(c.other().isEmpty());
  }

  @Test
  void missingSignatureMakesAHeaderInvalid() throws Exception {
    VhdxImageBuilder.Image img = image(12, 11);
    img.put(VhdxImageBuilder.HEADER1, "xead".getBytes());
    img.fixHeaderChecksum(1);
    HeaderChoice c = choose(img);
    assertEquals(2, c.slot());
    assertTrue(c.otherProblem().orElseThrow().contains("'head'"));
  }

  @Test
  void identicalHeadersWithEqualSequenceNumbersTakeHeaderOne() throws Exception {
    VhdxImageBuilder.Image img = image(7, 7);
    HeaderChoice c = choose(img);
    assertEquals(1, c.slot());
    assertEquals(c.current(), c.other().orElseThrow());
  }

  @Test
  void differentHeadersWithEqualSequenceNumbersAreRefused() {
    VhdxImageBuilder.Image img = image(7, 7);
    img.writeHeader(2, 7, FWG, UUID.randomUUID(), MsGuid.ZERO, 0, 1, 1 << 20, 1 << 20);
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> choose(img));
    assertTrue(e.getMessage().contains("same sequence number 7"), e.getMessage());
    assertEquals(0x20000, e.offset());
  }

  @Test
  void noValidHeaderIsRefusedNamingBothProblems() {
    VhdxImageBuilder.Image img = image(10, 11);
    img.put(VhdxImageBuilder.HEADER1 + 8, new byte[] {9});
    img.put(VhdxImageBuilder.HEADER2, new byte[4]);
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> choose(img));
    assertTrue(e.getMessage().contains("header 1: header CRC-32C mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("header 2: no 'head' signature"), e.getMessage());
  }

  @Test
  void versionOtherThanOneIsRefused() {
    VhdxImageBuilder.Image img = image(10, 11);
    img.writeHeader(2, 11, FWG, DWG, MsGuid.ZERO, 0, 2, 1 << 20, 1 << 20);
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> choose(img));
    assertTrue(e.getMessage().contains("unsupported VHDX version 2"), e.getMessage());
    assertEquals(0x20000 + 66, e.offset());
  }

  @Test
  void logVersionMattersOnlyWhenThereIsALogToReplay() throws Exception {
    VhdxImageBuilder.Image clean = image(10, 11);
    clean.writeHeader(2, 11, FWG, DWG, MsGuid.ZERO, 3, 1, 1 << 20, 1 << 20);
    assertEquals(3, choose(clean).current().logVersion());
    VhdxImageBuilder.Image dirty = image(10, 11);
    dirty.writeHeader(2, 11, FWG, DWG, UUID.randomUUID(), 3, 1, 1 << 20, 1 << 20);
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> choose(dirty));
    assertTrue(e.getMessage().contains("log version 3"), e.getMessage());
  }

  @Test
  void logPlacementMustBeWholeMebibytesAfterTheHeaderSection() {
    long[][] bad = {{1 << 20, 0}, {1 << 20, (1 << 20) + 4096}, {4096, 1 << 20},
        {(1 << 20) + 1, 1 << 20}};
    for (long[] b : bad) {
      VhdxImageBuilder.Image img = image(10, 11);
      img.writeHeader(2, 11, FWG, DWG, MsGuid.ZERO, 0, 1, b[0], b[1]);
      assertThrows(VhdFormatException.class, () -> choose(img),
          "log length " + b[0] + " offset " + b[1]);
    }
  }

  @Test
  void aBadCurrentHeaderIsRefusedRatherThanPassedOver() {
    VhdxImageBuilder.Image img = image(10, 11);
    img.writeHeader(2, 11, FWG, DWG, MsGuid.ZERO, 0, 1, 1 << 20, 12345);
    assertThrows(VhdFormatException.class, () -> choose(img));
  }
}
