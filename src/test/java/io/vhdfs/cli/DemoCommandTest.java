package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vhd demo [DIR]}: makes, writes and shows a demo image, in DIR or a new temp dir. */
final class DemoCommandTest {
  private static final Pattern IMAGE = Pattern.compile("newFileSystem\\(vhd:(/\\S*demo\\.vhd),");
  private static final byte[] HELLO = "hello from vhdfs".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void inDirWritesTheGreetingTwiceAndShowsInfoAndMap() throws IOException {
    String out = ok("demo", dir.toString());

    Path image = dir.resolve("demo.vhd").toAbsolutePath();
    assertTrue(out.contains("# vhd info " + image), out);
    assertTrue(out.contains("# vhd map " + image), out);
    assertTrue(out.contains("allocatedBlocks    : 2"), out);
    assertEquals(2, out.lines().filter(l -> l.matches("0x\\S+ 0x0+200 data .*")).count(), out);
    assertGreetingAtZeroAndFortyMegabytes(image);
  }

  @Test
  void withoutDirUsesANewTemporaryDirectory() throws IOException {
    String out = ok("demo");

    Matcher m = IMAGE.matcher(out);
    assertTrue(m.find(), out);
    Path image = Path.of(m.group(1));
    try {
      assertTrue(image.getParent().getFileName().toString().startsWith("vhd-demo"), out);
      assertEquals(Path.of(System.getProperty("java.io.tmpdir")).toRealPath(),
          image.getParent().getParent().toRealPath());
      assertTrue(out.contains("# vhd map " + image), out);
      assertGreetingAtZeroAndFortyMegabytes(image);
    } finally {
      PathUtils.deleteDirectory(image.getParent());
    }
  }

  @Test
  void secondRunInTheSameDirRefusesToOverwrite() throws IOException {
    ok("demo", dir.toString());
    Path image = dir.resolve("demo.vhd");
    String hash = Chains.sha256(image);

    Cli.Result r = Cli.run("demo", dir.toString());

    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd demo: already exists: "), r.err());
    assertEquals(hash, Chains.sha256(image));
  }

  private static void assertGreetingAtZeroAndFortyMegabytes(Path image) throws IOException {
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"))) {
      assertArrayEquals(HELLO, Chains.read(ch, 0, HELLO.length));
      assertArrayEquals(HELLO, Chains.read(ch, 40L << 20, HELLO.length));
    }
  }
}
