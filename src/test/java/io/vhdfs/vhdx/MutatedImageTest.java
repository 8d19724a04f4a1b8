package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Damaged images open and read through the codecs either correctly or with a
 * {@link VhdFormatException}: never another exception, whatever field a mutation hits, with its
 * checksum fixed or not (a fixed checksum lets the damage through to the field checks).
 */
class MutatedImageTest {
  private static final int MIB = 1 << 20;
  private static final int K4 = 4096;

  private static Image base(int kind) {
    UUID log = UUID.fromString("12345678-0000-4000-8000-00000000abcd");
    return switch (kind) {
      case 0 -> VhdxImageBuilder.dynamic(8L * MIB).blockSize(MIB).fill(MIB + 7, 5000, 3)
          .build();
      case 1 -> VhdxImageBuilder.differencing(8L * MIB, UUID.randomUUID(), "..\\p.vhdx")
          .blockSize(MIB).fill(4096, 4096, 5).fullyPresent(3).fill(5L * MIB, 1024, 6)
          .build();
      default -> {
        Image img = VhdxImageBuilder.dynamic(8L * MIB).blockSize(MIB).fill(0, 8192, 9).build();
        byte[] bat = img.read(img.batOffset(), K4);
        img.put(img.batOffset(), new byte[K4]);
        img.writeHeaders(log);
        img.writeLogEntry(new LogEntrySpec(0, 1, 0, log, img.length(), img.length(),
            List.of(new ZeroUpdate(img.blockOffset(0) + K4, K4))));
        img.writeLogEntry(new LogEntrySpec(K4, 2, 0, log, img.length(), img.length(),
            List.of(new DataUpdate(img.batOffset(), bat))));
        yield img;
      }
    };
  }

  /** A file offset inside some structure of {@code img}, and the size of that structure. */
  private static long[] target(Image img, Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> new long[] {0, 1024};
      case 1 -> new long[] {VhdxImageBuilder.HEADER1 + r.nextInt(2) * 0x10000L, K4};
      case 2 -> new long[] {VhdxImageBuilder.REGION_TABLE1 + r.nextInt(2) * 0x10000L, 65536};
      case 3 -> new long[] {img.metadataOffset(), 256};
      case 4 -> new long[] {img.metadataOffset() + 65536, 1024};
      case 5 -> new long[] {img.batOffset(), 128};
      case 6 -> new long[] {img.logOffset(), 3 * K4};
      default -> new long[] {img.batOffset() + 8L * 2048, 64};
    };
  }

  @Test
  void everyMutationOpensOrIsRefusedAsMalformed() throws Exception {
    Random r = new Random(Long.getLong("mut.seed", 2024));
    int refused = 0;
    for (int round = 0; round < Integer.getInteger("mut.rounds", 3000); round++) {
      Image img = base(round % 3);
      int edits = 1 + r.nextInt(3);
      long[] t = null;
      for (int e = 0; e < edits; e++) {
        t = target(img, r);
        long at = t[0] + r.nextInt((int) t[1] - 8);
        switch (r.nextInt(4)) {
          case 0 -> img.put(at, new byte[] {(byte) r.nextInt()});
          case 1 -> img.putLe32(at, r.nextInt());
          case 2 -> img.putLe64(at, r.nextLong());
          default -> img.putLe32(at, r.nextBoolean() ? 0 : r.nextInt(1 << (1 + r.nextInt(30))));
        }
      }
      if (r.nextBoolean()) {
        img.fixHeaderChecksum(1);
        img.fixHeaderChecksum(2);
        img.fixRegionTableChecksum(1);
        img.fixRegionTableChecksum(2);
        if (t[0] >= img.logOffset() && t[0] < img.logOffset() + img.logLength()) {
          try {
            img.fixLogEntryChecksum(0);
            img.fixLogEntryChecksum(K4);
          } catch (RuntimeException ignored) {
            // an entry length the mutation made absurd: leave the checksum as it is
          }
        }
      }
      byte[] bytes = img.toBytes();
      try {
        CodecImage opened = CodecImage.open(bytes);
        opened.bat.checkAll();
        byte[] head = new byte[(int) Math.min(opened.size(), 12L * MIB)];
        opened.read(0, head, 0, head.length, null);
        opened.read(opened.size() - head.length, head, 0, head.length, null);
      } catch (VhdFormatException expected) {
        refused++;
      } catch (Exception | Error e) {
        fail("round " + round + ": " + e, e);
      }
    }
    assertTrue(refused > 500, "mutations that were refused: " + refused);
  }
}
