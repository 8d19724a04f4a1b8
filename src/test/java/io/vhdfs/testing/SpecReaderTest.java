package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oracle for edited images reads every builder image as the builder describes it. */
final class SpecReaderTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void readsEveryKindOfBuiltImageAsTheBuilderDescribesIt() throws IOException {
    List<VhdImageBuilder> images = List.of(
        VhdImageBuilder.fixed(3L * MIB).write(0, random(70_000, 1)).write(3L * MIB - 10,
            random(10, 2)),
        VhdImageBuilder.fixed(MIB).shortFooter(true).write(5, random(600, 3)),
        VhdImageBuilder.dynamic(8L * MIB).block(0, random(2 * MIB, 4)).write(7L * MIB + 100,
            random(5000, 5)),
        VhdImageBuilder.dynamic(5L * MIB + 1536).blockSize(512 * 1024)
            .block(9, random(512 * 1024, 6)).block(0, random(1000, 7)).blockOrder(9, 0)
            .bitmap(3, new byte[] {(byte) 0xA0, 0x01}).write(3 * 512 * 1024, random(2048, 8)),
        VhdImageBuilder.dynamic(4L * MIB).headerOffset(8192).tableOffset(4096)
            .block(1, random(4096, 9)),
        VhdImageBuilder.dynamic(4L * MIB).footerCopy(false).block(1, random(4096, 10)),
        VhdImageBuilder.dynamic(8L * MIB).creator("vpc ").block(3, random(2 * MIB, 11)),
        VhdImageBuilder.dynamic(0));
    for (int i = 0; i < images.size(); i++) {
      VhdImageBuilder b = images.get(i);
      Path image = dir.resolve("image-" + i + ".vhd");
      b.writeTo(image);
      SpecReader.Outcome outcome = SpecReader.read(image);
      SpecReader.Reading r = assertInstanceOf(SpecReader.Reading.class, outcome, "image " + i);
      assertEquals(b.expectedVirtualSize(), r.disk().size(), "size of image " + i);
      int size = (int) r.disk().size();
      assertArrayEquals(b.expectedDisk(), r.disk().content(0, size), "bytes of image " + i);
      // Pieces that start and end mid-sector read the same bytes.
      assertArrayEquals(b.expectedContent(777, Math.min(size, 3000)),
          r.disk().content(777, Math.min(size, 3000)), "a piece of image " + i);
    }
  }

  @Test
  void endFooterWithABadChecksumGivesWayToTheCopy() throws IOException {
    Path image = dir.resolve("end-bad.vhd");
    VhdImageBuilder b = VhdImageBuilder.dynamic(4L * MIB).block(1, random(4096, 12));
    Layout l = b.writeTo(image);
    HostBytes.writeInt(image, l.footerOffset() + VhdImageBuilder.F_CURRENT_SIZE + 4, MIB);
    SpecReader.Reading r = assertInstanceOf(SpecReader.Reading.class, SpecReader.read(image));
    assertEquals(4L * MIB, r.disk().size(), "the copy at 0 holds the size");
  }

  @Test
  void contradictoryMetadataHasNoReadingAndSaysWhy() throws IOException {
    assertNoReading("overlap", (image, l) ->
        HostBytes.writeInt(image, l.batEntryOffset(2), (int) l.blockSector(0)));
    assertNoReading("past the data area", (image, l) ->
        HostBytes.writeInt(image, l.batEntryOffset(2), (int) (l.fileSize() / 512)));
    assertNoReading("over metadata", (image, l) ->
        HostBytes.writeInt(image, l.batEntryOffset(2), 1));
    assertNoReading("table entries", (image, l) -> {
      HostBytes.writeInt(image, l.headerOffset() + VhdImageBuilder.H_MAX_TABLE_ENTRIES, 3);
      VhdImageBuilder.fixHeaderChecksum(image, l.headerOffset());
    });
    assertNoReading("block size", (image, l) -> {
      HostBytes.writeInt(image, l.headerOffset() + VhdImageBuilder.H_BLOCK_SIZE, 3000);
      VhdImageBuilder.fixHeaderChecksum(image, l.headerOffset());
    });
    assertNoReading("no footer", (image, l) -> {
      for (long at : l.footerOffsets()) {
        HostBytes.writeInt(image, at + VhdImageBuilder.F_CHECKSUM, 0);
      }
    });
  }

  private interface Edit {
    void apply(Path image, Layout layout) throws IOException;
  }

  private void assertNoReading(String reason, Edit edit) throws IOException {
    Path image = dir.resolve(reason.replace(' ', '-') + ".vhd");
    Layout l = VhdImageBuilder.dynamic(8L * MIB).block(0, random(4096, 13))
        .block(2, random(4096, 14)).writeTo(image);
    edit.apply(image, l);
    SpecReader.NoReading no = assertInstanceOf(SpecReader.NoReading.class,
        SpecReader.read(image), reason);
    assertTrue(no.why().contains(reason), "'" + no.why() + "' should say " + reason);
  }

  private static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }
}
