package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd set-parent} and {@code vhd merge}: what they print, in words and as JSON, their
 * help, and their exit codes: 0 done, 2 refused or failed with a one-line error and the images
 * untouched.
 */
final class ChainOpsCommandsTest {
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
  void helpOfBothCommandsNamesTheirArguments() {
    String setParent = ok("set-parent", "--help");
    assertTrue(setParent.contains("CHILD") && setParent.contains("NEW-PARENT")
        && setParent.contains("--ignore-parent-id") && setParent.contains("--json"), setParent);
    String merge = ok("merge", "--help");
    assertTrue(merge.contains("CHILD") && merge.contains("--into") && merge.contains("--json"),
        merge);
    String all = ok("--help");
    assertTrue(all.contains("set-parent") && all.contains("merge"), all);
  }

  @Test
  void setParentLinksAMovedParentAgain() throws IOException {
    Path raw = CliFixtures.rawCopy(top, dir.resolve("top.raw"));
    Path moved = Files.move(base, Files.createDirectories(dir.resolve("moved"))
        .resolve("base.vhd"));
    assertEquals(2, Cli.run("compare", top.toString(), raw.toString()).exitCode(),
        "the chain is broken before");

    String out = ok("set-parent", mid.toString(), moved.toString());

    assertEquals("set the parent of " + mid + " to " + moved.toRealPath()
        + System.lineSeparator(), out);
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", top.toString(), raw.toString()));
  }

  @Test
  void setParentJsonSaysWhichIdsAndWhetherTheRecordedOneChanged() throws IOException {
    Path copy = Files.copy(base, dir.resolve("copy.vhd"));
    Map<String, Object> r = JsonReader.object(ok("set-parent", "--json", mid.toString(),
        copy.toString()));
    assertEquals(List.of("child", "parent", "oldParentId", "newParentId", "idReplaced"),
        List.copyOf(r.keySet()));
    assertEquals(copy.toRealPath().toString(), r.get("parent"));
    assertEquals(r.get("oldParentId"), r.get("newParentId"));
    assertEquals(false, r.get("idReplaced"));
  }

  @Test
  void setParentRefusesAnotherParentUnlessItsIdIsIgnored() throws IOException {
    Path other = dir.resolve("other.vhd");
    Chains.createDynamic(other, CliFixtures.CHAIN_SIZE, CliFixtures.BLOCK);
    String hash = Chains.sha256(mid);

    Cli.Result refused = Cli.run("set-parent", mid.toString(), other.toString());

    assertEquals(2, refused.exitCode(), refused::toString);
    assertEquals("", refused.out());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(refused.err().startsWith("vhd set-parent: ")
        && refused.err().contains("parent id"), refused.err());
    assertEquals(hash, Chains.sha256(mid), "a refused set-parent writes nothing");

    Map<String, Object> r = JsonReader.object(ok("set-parent", "--json", "--ignore-parent-id",
        mid.toString(), other.toString()));
    assertEquals(true, r.get("idReplaced"));
  }

  @Test
  void mergeIntoTheBaseReadsAsTheChainAndDeletesTheRun() throws IOException {
    Path raw = CliFixtures.rawCopy(top, dir.resolve("top.raw"));

    String out = ok("merge", "--quiet", top.toString(), "--into", base.toString());

    assertTrue(out.startsWith("merged " + top + " into " + base.toRealPath() + ": "), out);
    assertTrue(out.endsWith("; deleted 2 images" + System.lineSeparator()), out);
    assertFalse(Files.exists(top) || Files.exists(mid), "the run is deleted");
    assertEquals("identical" + System.lineSeparator(),
        ok("compare", base.toString(), raw.toString()));
  }

  @Test
  void mergeJsonListsTheDeletedImages() throws IOException {
    Map<String, Object> r = JsonReader.object(ok("merge", "--json", top.toString()));
    assertEquals(List.of("child", "ancestor", "deleted", "bytesWritten"),
        List.copyOf(r.keySet()));
    assertEquals(mid.toRealPath().toString(), r.get("ancestor"));
    assertEquals(List.of(dir.toRealPath().resolve("top.vhd").toString()), r.get("deleted"));
    assertEquals(512L + 512L, r.get("bytesWritten"), "top holds two sectors");
  }

  @Test
  void mergeOfAnImageWithoutParentIsAOneLineErrorAndTouchesNothing() throws IOException {
    String hash = Chains.sha256(base);
    Cli.Result r = Cli.run("merge", base.toString());
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd merge: ") && r.err().contains("not a differencing"),
        r.err());
    assertEquals(hash, Chains.sha256(base));

    Cli.Result stranger = Cli.run("merge", top.toString(), "--into", dir.resolve("none.vhd")
        .toString());
    assertEquals(2, stranger.exitCode(), stranger::toString);
    assertTrue(Files.exists(top) && Files.exists(mid));
  }
}
