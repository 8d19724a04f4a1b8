package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vhd compact}: the file shrinks by what it says, and compare still finds it identical. */
final class CompactCommandTest {
  private static final int BLOCK = CliFixtures.BLOCK;

  @TempDir Path dir;

  @Test
  void compactedImageIsSmallerByWhatItSaysAndReadsTheSame() throws IOException {
    Path image = imageWithZeroBlocks();
    Path before = CliFixtures.rawCopy(image, dir.resolve("before.raw"));
    long oldSize = Files.size(image);

    String out = ok("compact", image.toString());

    long reclaimed = oldSize - Files.size(image);
    assertTrue(reclaimed > 0, "the file shrank");
    assertEquals("compacted " + image + ": " + reclaimed + " bytes reclaimed (" + oldSize
        + " -> " + Files.size(image) + "), 2 blocks unmapped, 1 moved"
        + System.lineSeparator(), out);
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", image.toString(), before.toString()));
  }

  @Test
  void jsonSaysWhatWasReclaimed() throws IOException {
    Path image = imageWithZeroBlocks();
    long oldSize = Files.size(image);

    Map<String, Object> c = JsonReader.object(ok("compact", "--json", image.toString()));

    assertEquals(List.of("image", "bytesReclaimed", "blocksUnmapped", "blocksMoved", "oldSize",
        "newSize"), List.copyOf(c.keySet()));
    assertEquals(image.toString(), c.get("image"));
    assertEquals(2L, c.get("blocksUnmapped"));
    assertEquals(1L, c.get("blocksMoved"));
    assertEquals(oldSize, c.get("oldSize"));
    assertEquals(Files.size(image), c.get("newSize"));
    assertEquals(oldSize - Files.size(image), c.get("bytesReclaimed"));
  }

  @Test
  void againstParentOnAChildDropsItsCopiesOfTheParent() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path top = chain.get(2);
    Path before = CliFixtures.rawCopy(top, dir.resolve("before.raw"));
    // The top's block 0 rewritten with exactly what the chain below reads there.
    Chains.write(top, 0, Files.readAllBytes(before));

    Map<String, Object> c = JsonReader.object(
        ok("compact", "--json", "--against-parent", top.toString()));

    assertTrue((Long) c.get("blocksUnmapped") >= 1, c.toString());
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", top.toString(), before.toString()));
  }

  @Test
  void vhdxImageCompactsAndReadsTheSame() throws IOException {
    Path image = dir.resolve("image.vhdx");
    ok("create", "--block-size", "1M", image.toString(), "8M");
    Chains.write(image, 0, Chains.randomBytes(4 << 20, 1));
    Chains.write(image, 1 << 20, new byte[2 << 20]);
    Path before = CliFixtures.rawCopy(image, dir.resolve("before.raw"));

    Map<String, Object> c = JsonReader.object(ok("compact", "--json", image.toString()));

    assertEquals(2L, c.get("blocksUnmapped"));
    assertEquals(1L, c.get("blocksMoved"));
    assertEquals(2L << 20, c.get("bytesReclaimed"));
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", image.toString(), before.toString()));
  }

  @Test
  void helpNamesTheOption() {
    String help = ok("compact", "--help");

    assertTrue(help.contains("Usage: vhd compact"), help);
    assertTrue(help.contains("--against-parent"), help);
    assertTrue(help.contains("--json"), help);
  }

  @Test
  void againstParentWithoutParentIsOneLineErrorAndUntouched() throws IOException {
    Path image = imageWithZeroBlocks();
    String hash = Chains.sha256(image);

    Cli.Result r = Cli.run("compact", "--against-parent", image.toString());

    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd compact: ") && r.err().contains("not a differencing"),
        r.err());
    assertEquals(hash, Chains.sha256(image));
  }

  @Test
  void missingImageIsExitTwo() {
    Cli.Result r = Cli.run("compact", dir.resolve("missing.vhd").toString());

    assertEquals(2, r.exitCode());
    assertTrue(r.err().startsWith("vhd compact: "), r.err());
  }

  /** Blocks 0 and 3 data, 1 and 2 zeros written over data: 2 unmapped, block 3 moves down. */
  private Path imageWithZeroBlocks() throws IOException {
    Path image = dir.resolve("image.vhd");
    Chains.createDynamic(image, CliFixtures.CHAIN_SIZE, BLOCK);
    Chains.write(image, 0, Chains.randomBytes(4 * BLOCK, 1));
    Chains.write(image, BLOCK, new byte[2 * BLOCK]);
    return image;
  }
}
