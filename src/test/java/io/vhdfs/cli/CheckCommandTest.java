package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd check}: one line per finding ("offset N: meaning"), a summary line, exit 0 when
 * nothing remains (sound, or all repaired), 1 when findings remain, 2 with one line on standard
 * error when the file is missing or no VHD.
 */
class CheckCommandTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @Test
  void soundImagePrintsNoFindingsAndExits0() throws IOException {
    Path image = dir.resolve("sound.vhd");
    Chains.createDynamic(image, 8L * MIB, 2 * MIB);
    Chains.write(image, MIB, Chains.randomBytes(4096, 1));
    Cli.Result r = Cli.run("check", image.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals("no findings", r.out().strip());
    assertEquals("", r.err());
  }

  @Test
  void findingIsOneLineWithItsOffsetAndExit1() throws IOException {
    Path image = dir.resolve("header.vhd");
    Layout l = base().writeTo(image);
    long at = l.headerOffset() + VhdImageBuilder.H_CHECKSUM;
    HostBytes.writeInt(image, at, HostBytes.readInt(image, at) ^ 1);
    Cli.Result r = Cli.run("check", image.toString());
    assertEquals(1, r.exitCode(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(2, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith("offset " + l.headerOffset() + ": dynamic header "
        + "checksum mismatch: stored 0x"), lines.get(0));
    assertEquals("1 finding, 0 repaired, 1 remaining", lines.get(1));
    assertEquals("", r.err());
  }

  @Test
  void repairOfALostEndFooterExits0AndMarksTheFindingRepaired() throws IOException {
    Path image = dir.resolve("lost.vhd");
    Layout l = base().writeTo(image);
    HostBytes.truncate(image, l.footerOffset());
    Cli.Result before = Cli.run("check", image.toString());
    assertEquals(1, before.exitCode(), before.err());
    assertTrue(before.out().startsWith("offset " + (l.footerOffset() - 512) + ": no footer at "
        + "the end of the file"), before.out());
    assertTrue(before.out().contains("[--repair fixes this]"), before.out());

    Cli.Result repair = Cli.run("check", "--repair", image.toString());
    assertEquals(0, repair.exitCode(), repair.err());
    assertTrue(repair.out().lines().findFirst().orElseThrow().endsWith(" [repaired]"),
        repair.out());
    assertTrue(repair.out().contains("1 finding, 1 repaired, 0 remaining"), repair.out());
    assertEquals(l.fileSize(), Files.size(image));

    Cli.Result after = Cli.run("check", image.toString());
    assertEquals(0, after.exitCode(), after.err());
    assertEquals("no findings", after.out().strip());
  }

  @Test
  void repairThatLeavesFindingsExits1() throws IOException {
    // Entry 2 points past the end of file: marked unallocated, but its old block stays orphan.
    Path image = dir.resolve("past-eof.vhd");
    Layout l = base().writeTo(image);
    HostBytes.writeInt(image, l.batEntryOffset(2), (int) (l.fileSize() / 512 + 100));
    Cli.Result r = Cli.run("check", "--repair", image.toString());
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().contains("offset " + l.batEntryOffset(2) + ": BAT entry 2 points at "
        + "byte"), r.out());
    assertTrue(r.out().contains("2 findings, 1 repaired, 1 remaining"), r.out());

    // Entry 1 was never allocated: marking it unallocated again leaves nothing to report.
    Path clean = dir.resolve("past-eof-unallocated.vhd");
    l = base().writeTo(clean);
    HostBytes.writeInt(clean, l.batEntryOffset(1), (int) (l.fileSize() / 512 + 100));
    assertEquals(0, Cli.run("check", "--repair", clean.toString()).exitCode());
    assertEquals(0, Cli.run("check", clean.toString()).exitCode());
  }

  @Test
  void jsonListsEachFindingWithCodeOffsetAndRepairState() throws IOException {
    Path image = dir.resolve("json.vhd");
    Layout l = base().writeTo(image);
    HostBytes.write(image, l.footerOffset(), new byte[512]);
    Cli.Result r = Cli.run("check", "--repair", "--json", image.toString());
    assertEquals(0, r.exitCode(), r.err());
    String json = r.out();
    assertTrue(json.startsWith("{"), json);
    assertTrue(json.contains("\"code\": \"footer-lost\""), json);
    assertTrue(json.contains("\"offset\": " + l.footerOffset()), json);
    assertTrue(json.contains("\"repairable\": true"), json);
    assertTrue(json.contains("\"repaired\": true"), json);
    assertTrue(json.contains("\"remaining\": 0"), json);

    Cli.Result clean = Cli.run("check", "--json", image.toString());
    assertTrue(clean.out().contains("\"findings\": []"), clean.out());
  }

  @Test
  void missingFileIsOneErrorLineWithExit2() {
    Cli.Result r = Cli.run("check", dir.resolve("nope.vhd").toString());
    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(List.of("vhd check: no such file: " + dir.resolve("nope.vhd")),
        r.err().lines().toList());
  }

  @Test
  void fileThatIsNoVhdIsOneErrorLineWithExit2() throws IOException {
    Path noise = Files.write(dir.resolve("noise.bin"), Chains.randomBytes(10_000, 2));
    Cli.Result r = Cli.run("check", "--repair", noise.toString());
    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd check: " + noise + ": not a VHD image"), r.err());
    assertEquals(10_000, Files.size(noise), "a repair of a non-image writes nothing");
  }

  @Test
  void helpNamesTheRepairOption() {
    Cli.Result r = Cli.run("check", "--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("--repair"), r.out());
    assertTrue(r.out().replaceAll("\\s+", " ").contains("\"offset N: meaning\""), r.out());
  }

  /** 8 MiB, blocks 0 and 2 allocated, 1 and 3 not. */
  private static VhdImageBuilder base() {
    return VhdImageBuilder.dynamic(8L * MIB).block(0, Chains.randomBytes(2 * MIB, 3))
        .block(2, Chains.randomBytes(2 * MIB, 4));
  }
}
