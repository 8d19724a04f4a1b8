package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Cli;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tool runs in-process: its demo works, and errors are one line with exit code 2. */
class CliSmokeTest {
  @TempDir Path dir;

  @Test
  void demoCreatesWritesAndShowsInfoAndMap() {
    Cli.Result r = Cli.run("demo", dir.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("allocatedBlocks    : 2"), r.out());
    assertTrue(r.out().matches("(?s).*0x0000000002800000 0x0000000000000200 data .*"), r.out());
  }

  @Test
  void infoOfAChildWhoseParentIsGoneShowsItsFieldsAndWhyWithExitCode1() throws Exception {
    Path parent = dir.resolve("p.vhd");
    Path child = dir.resolve("c.vhd");
    assertEquals(0, Cli.run("create", parent.toString(), "8M").exitCode());
    assertEquals(0, Cli.run("create", child.toString(), "--parent", "p.vhd").exitCode());
    java.nio.file.Files.delete(parent);
    Cli.Result r = Cli.run("info", child.toString());
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().contains("type               : differencing"), r.out());
    assertTrue(r.out().contains("parentChainError   : " + child + ": parent image 'p.vhd' not "
        + "found; places tried: W2ru locator 1 '.\\p.vhd' -> " + parent + ": no such file"),
        r.out());
  }

  @Test
  void missingImageIsOneLineOnStandardErrorWithExitCode2() {
    Cli.Result r = Cli.run("info", dir.resolve("nope.vhd").toString());
    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("nope.vhd"), r.err());
  }
}
