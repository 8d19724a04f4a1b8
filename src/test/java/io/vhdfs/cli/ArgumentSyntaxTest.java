package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the tool reads a command line, whatever the command: option values after {@code =} or as
 * the next argument, options anywhere among the parameters, {@code --} before a parameter that
 * starts with a dash, and the one-line refusals of what it cannot take.
 */
final class ArgumentSyntaxTest {
  @TempDir Path dir;
  private Path image;

  @BeforeEach
  void image() throws IOException {
    image = dir.resolve("a.vhd");
    Chains.createDynamic(image, 4 << 20, 2 << 20);
    Chains.write(image, 0, Chains.randomBytes(4096, 7));
  }

  @Test
  void optionValueMayFollowAnEqualsSignOrComeAsTheNextArgument() throws IOException {
    ok("convert", "--to=raw", image.toString(), dir.resolve("one.raw").toString());
    ok("convert", image.toString(), "--to", "raw", dir.resolve("two.raw").toString());

    assertEquals(-1, Files.mismatch(dir.resolve("one.raw"), dir.resolve("two.raw")));
    assertEquals(4L << 20, Files.size(dir.resolve("one.raw")));
  }

  @Test
  void optionsMayComeBeforeBetweenOrAfterTheParameters() {
    String before = ok("info", "--json", image.toString());
    String after = ok("info", image.toString(), "--json");

    assertEquals(before, after);
    assertTrue(before.startsWith("{"), before);
  }

  @Test
  void doubleDashEndsTheOptionsSoAParameterMayStartWithADash() {
    Cli.Result r = Cli.run("info", "--json", "--", "-a.vhd");

    // Taken as the image's name (relative, so not found in the working directory), not an option.
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("vhd info: no such file: -a.vhd", r.err().strip());
  }

  @Test
  void aNegativeNumberIsAParameterThatTheCommandRefusesInItsOwnWords() {
    Cli.Result r = Cli.run("create", dir.resolve("n.vhd").toString(), "-5");

    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.err().startsWith("vhd create: SIZE: "), r.err());
  }

  @Test
  void helpWinsOverEveryOtherArgument() {
    for (List<String> args : List.of(List.of("compare", "--help"),
        List.of("compare", "--bogus", "-h"), List.of("compare", "a", "b", "c", "--help"))) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(0, r.exitCode(), r::toString);
      assertTrue(r.out().startsWith("Usage: vhd compare [OPTIONS] A B"), r.out());
    }
  }

  @Test
  void anOptionalParameterShowsInBracketsAndMayBeLeftOut() {
    assertTrue(ok("create", "--help").startsWith("Usage: vhd create [OPTIONS] IMAGE [SIZE]\n"));
  }

  @Test
  void refusalsAreOneLinePointingAtTheCommandsHelp() {
    String img = image.toString();
    assertUsageError(List.of("info", img, "surplus"),
        "vhd: Unmatched argument at index 2: 'surplus' (see 'vhd info --help')");
    assertUsageError(List.of("convert", img, "x.raw", "--to", "raw", "--to", "fixed"),
        "vhd: option '--to' (TYPE) should be specified only once (see 'vhd convert --help')");
    assertUsageError(List.of("convert", img, "x.raw", "--to"),
        "vhd: Missing required parameter for option '--to' (TYPE) (see 'vhd convert --help')");
    assertUsageError(List.of("info", "--json=yes", img),
        "vhd: option '--json' takes no value, not 'yes' (see 'vhd info --help')");
    assertUsageError(List.of("map", "--partition", "two", img),
        "vhd: Invalid value for option '--partition': 'two' is not an int (see 'vhd map --help')");
    assertUsageError(List.of("compare"),
        "vhd: Missing required parameters: 'A', 'B' (see 'vhd compare --help')");
    assertUsageError(List.of("--json", "info", img), "vhd: Unknown option: '--json' (see 'vhd "
        + "--help')");
  }

  @Test
  void versionOfACommandIsTheToolsVersion() {
    assertEquals(ok("--version"), ok("info", "-V"));
  }

  private static void assertUsageError(List<String> args, String line) {
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("", r.out(), r::toString);
    assertEquals(List.of(line), r.err().lines().toList());
  }
}
