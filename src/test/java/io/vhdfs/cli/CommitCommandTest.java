package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vhd commit}: afterwards the parent reads as the chain did, which compare confirms. */
final class CommitCommandTest {
  @TempDir Path dir;
  private Path base;
  private Path mid;
  private Path top;

  @BeforeEach
  void chain() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    base = chain.get(0);
    mid = chain.get(1);
    top = chain.get(2);
  }

  @Test
  void committedParentReadsAsTheChainDid() throws IOException {
    Path before = CliFixtures.rawCopy(top, dir.resolve("before.raw"));

    String out = ok("commit", top.toString());

    assertTrue(out.startsWith("committed " + top + " into " + mid.toRealPath() + ": "), out);
    assertTrue(out.matches("(?s).*: \\d+ bytes from \\d+ blocks\\R"), out);
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", mid.toString(), before.toString()));
    ok("compare", top.toString(), before.toString());
  }

  @Test
  void commitOfTheMiddleIntoTheBaseThenTheTopIntoIt() throws IOException {
    Path midBefore = CliFixtures.rawCopy(mid, dir.resolve("mid.raw"));
    Path topBefore = CliFixtures.rawCopy(top, dir.resolve("top.raw"));

    ok("commit", mid.toString());
    ok("compare", base.toString(), midBefore.toString());
    ok("compare", top.toString(), topBefore.toString());
  }

  @Test
  void jsonSaysWhatWasWrittenWhere() throws IOException {
    Map<String, Object> c = JsonReader.object(ok("commit", "--json", top.toString()));

    assertEquals(List.of("child", "parent", "bytesWritten", "blocksRead"),
        List.copyOf(c.keySet()));
    assertEquals(top.toString(), c.get("child"));
    assertEquals(mid.toRealPath().toString(), c.get("parent"));
    assertEquals(2L, c.get("blocksRead"), "top holds blocks 0 and 6");
    assertEquals(2L * 512, c.get("bytesWritten"), "top holds two sectors");
  }

  @Test
  void imageWithoutParentIsOneLineErrorAndUntouched() throws IOException {
    String hash = Chains.sha256(base);

    Cli.Result r = Cli.run("commit", base.toString());

    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd commit: ") && r.err().contains("not a differencing"),
        r.err());
    assertEquals(hash, Chains.sha256(base));
  }
}
