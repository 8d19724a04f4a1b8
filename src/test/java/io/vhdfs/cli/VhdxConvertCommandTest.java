package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd convert} into VHDX (issue 13, item 4): {@code --to vhdx|vhdx-fixed} with
 * {@code --block-size}, a DST named {@code *.vhdx} with no {@code --to}, and a block size a VHDX
 * cannot have refused as one line with exit code 2 and nothing left behind.
 */
@ExtendWith(SeedExtension.class)
final class VhdxConvertCommandTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void toVhdxAndVhdxFixedMakeThoseImagesWithTheBlockSizeAsked(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(3 * MIB, random.nextLong()));
    Path dynamic = dir.resolve("d.img");

    Cli.Result r = Cli.run("convert", "--to", "vhdx", "--block-size", "1M", raw.toString(),
        dynamic.toString());

    assertEquals(0, r.exitCode(), r.err());
    assertEquals("converted " + raw + " (raw) to " + dynamic + " (vhdx, " + 3 * MIB
        + " bytes): read " + 3 * MIB + " bytes, wrote " + 3 * MIB, r.out().strip());
    Map<String, Object> info = VhdImages.describe(dynamic, Map.of());
    assertEquals("vhdx", info.get("format"));
    assertEquals("dynamic", info.get("diskType"));
    assertEquals(MIB, ((Number) info.get("blockSize")).intValue());
    assertEquals(-1, VhdImages.compare(raw, dynamic, Map.of(), VhdImages.Progress.NONE));

    Path fixed = dir.resolve("f.vhdx");
    assertEquals(0, Cli.run("convert", "--to", "VHDX-FIXED", dynamic.toString(),
        fixed.toString()).exitCode());
    Map<String, Object> fixedInfo = VhdImages.describe(fixed, Map.of());
    assertEquals("fixed", fixedInfo.get("diskType"));
    assertEquals(32 * MIB, ((Number) fixedInfo.get("blockSize")).intValue());
    assertEquals(-1, VhdImages.compare(raw, fixed, Map.of(), VhdImages.Progress.NONE));
  }

  @Test
  void aDestinationNamedVhdxBecomesADynamicVhdx(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 2 * MIB);
    Chains.write(vhd, MIB, Chains.randomBytes(4096, random.nextLong()));
    Path vhdx = dir.resolve("disk.vhdx");

    Cli.Result r = Cli.run("convert", "--json", vhd.toString(), vhdx.toString());

    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("\"type\": \"vhdx\""), r.out());
    assertEquals("vhdx", VhdImages.describe(vhdx, Map.of()).get("format"));
    assertEquals(-1, VhdImages.compare(vhd, vhdx, Map.of(), VhdImages.Progress.NONE));
  }

  @Test
  void aBlockSizeUnder1MibForAVhdxIsAOneLineError() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);
    Path dst = dir.resolve("out.vhdx");

    Cli.Result r = Cli.run("convert", "--to", "vhdx", "--block-size", "512K", raw.toString(),
        dst.toString());

    assertEquals(2, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd convert: ") && r.err().contains("1 MiB"), r.err());
    assertTrue(Files.notExists(dst));
    try (var s = Files.list(dir)) {
      assertEquals(1, s.count(), "only the source");
    }
  }
}
