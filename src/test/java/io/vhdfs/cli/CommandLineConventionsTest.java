package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import io.vhdfs.testing.Cli;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every command shares: {@code --help} and {@code --version} on standard output with exit 0,
 * usage errors as one line with exit 2, stack traces only with {@code --debug}, and no progress
 * on standard error without a console or with {@code --quiet}.
 */
final class CommandLineConventionsTest {
  private static final Pattern COMMAND_LINE = Pattern.compile("^  ([a-z]+) ", Pattern.MULTILINE);

  @TempDir Path dir;

  @Test
  void rootHelpListsEveryCommandOnStandardOutput() {
    String help = ok("--help");

    assertTrue(help.startsWith("Usage: vhd "), help);
    assertTrue(commands(help).containsAll(List.of("info", "create", "map", "compare", "commit",
        "restore", "demo")), help);
  }

  /** Every command the root's help lists, so commands added later are covered too. */
  @TestFactory
  Stream<DynamicTest> everyCommandsHelpIsItsUsageOnStandardOutput() {
    return commands(ok("--help")).stream().flatMap(c -> Stream.of("--help", "-h")
        .map(flag -> dynamicTest(c + " " + flag, () -> {
          String help = ok(c, flag);
          assertTrue(help.startsWith("Usage: vhd " + c + " "), help);
          assertTrue(help.contains("--json"), "every command takes --json: " + help);
          assertTrue(help.contains("--quiet") && help.contains("--debug"), help);
        })));
  }

  @ParameterizedTest
  @ValueSource(strings = {"--version", "-V"})
  void versionIsOneLineNamingTheTool(String flag) {
    String out = ok(flag);

    assertEquals(1, out.lines().count(), out);
    assertTrue(out.startsWith("vhd "), out);
  }

  @Test
  void unknownCommandIsOneLineUsageError() {
    assertUsageError(Cli.run("bogus"), "vhd: Unmatched argument at index 0: 'bogus' "
        + "(see 'vhd --help')");
  }

  @Test
  void unknownOptionIsOneLineUsageErrorPointingAtTheCommandsHelp() {
    assertUsageError(Cli.run("info", "--bogus", "x.vhd"),
        "vhd: Unknown option: '--bogus' (see 'vhd info --help')");
  }

  @Test
  void missingParameterIsOneLineUsageError() {
    assertUsageError(Cli.run("compare", "a.vhd"),
        "vhd: Missing required parameter: 'B' (see 'vhd compare --help')");
  }

  @Test
  void noCommandIsOneLineUsageError() {
    assertUsageError(Cli.run(), "vhd: Missing required subcommand (see 'vhd --help')");
  }

  @Test
  void debugAddsTheStackTraceAfterTheOneLineMessage() {
    String missing = dir.resolve("nope.vhd").toString();

    Cli.Result plain = Cli.run("info", missing);
    Cli.Result debug = Cli.run("info", "--debug", missing);

    assertEquals(2, debug.exitCode());
    List<String> lines = debug.err().lines().toList();
    assertEquals(plain.err().lines().toList(), lines.subList(0, 1));
    assertTrue(lines.get(1).startsWith("java.nio.file.NoSuchFileException"), debug.err());
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("\tat ")), debug.err());
  }

  @Test
  void errorsOfEveryCommandAreOneLineWithoutAStackTrace() throws IOException {
    String missing = dir.resolve("nope.vhd").toString();
    Path notVhd = java.nio.file.Files.writeString(dir.resolve("text.vhd"), "text");
    List<List<String>> runs = List.of(List.of("info", missing), List.of("map", missing),
        List.of("map", notVhd.toString()), List.of("compare", missing, missing),
        List.of("commit", missing), List.of("commit", notVhd.toString()),
        List.of("restore", missing, missing),
        List.of("restore", notVhd.toString(), notVhd.toString()),
        List.of("create", dir.resolve("x.vhd").toString(), "-5"),
        List.of("create", dir.resolve("y.vhd").toString(), "--parent", "nope.vhd"),
        List.of("demo", notVhd.resolve("sub").toString()));
    for (List<String> args : runs) {
      Cli.Result r = Cli.run(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), () -> args + ": " + r);
      assertEquals(1, r.err().lines().count(), () -> args + ": " + r.err());
      assertTrue(r.err().startsWith("vhd " + args.get(0) + ": "), () -> args + ": " + r.err());
      assertFalse(r.err().contains("\tat "), () -> args + ": " + r.err());
    }
  }

  @Test
  void longCommandsWriteNothingToStandardErrorWithoutAConsoleOrWithQuiet() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path raw = CliFixtures.rawCopy(chain.get(2), dir.resolve("top.raw"));

    for (String quiet : List.of("--json", "--quiet")) {
      Cli.Result r = Cli.run("compare", quiet, chain.get(2).toString(), raw.toString());
      assertEquals(0, r.exitCode(), r::toString);
      assertEquals("", r.err());
    }
    Cli.Result commit = Cli.run("commit", "--quiet", chain.get(2).toString());
    assertEquals(0, commit.exitCode(), commit::toString);
    assertEquals("", commit.err());
    Cli.Result again = Cli.run("commit", chain.get(1).toString());
    assertEquals(0, again.exitCode(), again::toString);
    assertEquals("", again.err());
  }

  private static List<String> commands(String rootHelp) {
    String section = rootHelp.substring(rootHelp.indexOf("Commands:"));
    Matcher m = COMMAND_LINE.matcher(section);
    List<String> names = new java.util.ArrayList<>();
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  private static void assertUsageError(Cli.Result r, String line) {
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("", r.out());
    assertEquals(List.of(line), r.err().lines().toList());
  }
}
