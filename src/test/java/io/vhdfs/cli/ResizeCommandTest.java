package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd resize}: grows with SIZE as create takes it, shrinks only with --shrink and only
 * over an empty range, says what it did in text and JSON, and fails with exit 2 and one line.
 */
final class ResizeCommandTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void growTakesSuffixedSizesAndKeepsTheBytes() throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, 4 * MIB, 512 << 10);
    byte[] data = Chains.randomBytes(MIB, 1);
    Chains.write(image, 3 * MIB, data);

    String out = ok("resize", image.toString(), "1.5G");

    long size = 3L << 29;
    assertTrue(out.startsWith("resized " + image + " from " + 4 * MIB + " to " + size
        + " bytes; moved the block table from byte "), out);
    try (var fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      assertEquals(size, ch.size());
      assertArrayEquals(data, Chains.read(ch, 3 * MIB, MIB));
      assertArrayEquals(new byte[MIB], Chains.read(ch, size - MIB, MIB));
    }
    ok("check", image.toString()); // exit 0: no findings
  }

  @Test
  void jsonSaysTheOldAndNewSizeAndWhatMoved() throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createFixed(image, 4 * MIB);

    Map<String, Object> r = JsonReader.object(ok("resize", "--json", image.toString(), "8M"));

    assertEquals(List.of("image", "oldSize", "newSize", "moved"), List.copyOf(r.keySet()));
    assertEquals(image.toString(), r.get("image"));
    assertEquals(4L * MIB, ((Number) r.get("oldSize")).longValue());
    assertEquals(8L * MIB, ((Number) r.get("newSize")).longValue());
    assertEquals(null, r.get("moved"));
  }

  @Test
  void aSmallerSizeNeedsShrinkAndAnEmptyRange() throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, 8 * MIB, 512 << 10);
    Chains.write(image, 6 * MIB, new byte[] {7});

    Cli.Result noFlag = Cli.run("resize", image.toString(), "4M");
    assertEquals(2, noFlag.exitCode(), noFlag.toString());
    assertTrue(noFlag.err().startsWith("vhd resize: ") && noFlag.err().contains("--shrink"),
        noFlag.err());
    assertEquals(1, noFlag.err().lines().count(), noFlag.err());

    Cli.Result overData = Cli.run("resize", "--shrink", image.toString(), "4M");
    assertEquals(2, overData.exitCode(), overData.toString());
    assertTrue(overData.err().contains("virtual offset " + 6 * MIB + " is allocated"),
        overData.err());

    ok("resize", "--shrink", image.toString(), "7M");
    try (var fs = Chains.open(image)) {
      assertEquals(7L * MIB, Files.size(fs.getPath("/disk")));
    }
  }

  @Test
  void aVhdxGrowsAndShrinks() throws IOException {
    Path image = dir.resolve("disk.vhdx");
    ok("create", image.toString(), "4M");
    byte[] data = Chains.randomBytes(MIB, 2);
    Chains.write(image, MIB, data);

    Map<String, Object> r = JsonReader.object(ok("resize", "--json", image.toString(), "2G"));
    assertEquals(2L << 30, ((Number) r.get("newSize")).longValue());
    ok("resize", "--shrink", image.toString(), "3M");

    try (var fs = Chains.open(image)) {
      assertEquals(3L * MIB, Files.size(fs.getPath("/disk")));
    }
    assertArrayEquals(data, Arrays.copyOfRange(Chains.readDisk(image), MIB, 2 * MIB));
    ok("check", image.toString());
  }

  @Test
  void badSizesAndMissingImagesAreOneLineErrors() throws IOException {
    Path image = dir.resolve("disk.vhd");
    Chains.createDynamic(image, 4 * MIB, 512 << 10);
    for (List<String> args : List.of(List.of("resize", image.toString(), "12Q"),
        List.of("resize", image.toString(), "0"),
        List.of("resize", dir.resolve("nope.vhd").toString(), "8M"))) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), () -> args + ": " + r);
      assertEquals(1, r.err().lines().count(), () -> args + ": " + r.err());
      assertTrue(r.err().startsWith("vhd resize: "), r.err());
      assertFalse(r.err().contains("\tat "), r.err());
    }
  }

  @Test
  void helpNamesTheArgumentsAndShrink() {
    String help = ok("resize", "--help");
    assertTrue(help.startsWith("Usage: vhd resize "), help);
    assertTrue(help.contains("IMAGE") && help.contains("SIZE") && help.contains("--shrink")
        && help.contains("--json"), help);
  }
}
