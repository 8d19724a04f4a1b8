package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ScratchFiles}: a JVM stopped (as Ctrl-C or {@code kill} stop it) while a probe's scratch
 * file exists leaves no such file beside the user's image.
 */
final class ScratchFilesTest {
  @TempDir Path dir;

  /** A JVM that makes a scratch file as the probe does, then waits to be stopped. */
  static final class StoppedWhileProbing {
    public static void main(String[] args) throws Exception {
      Path scratch = Path.of(args[0]);
      ScratchFiles.created(scratch);
      Files.write(scratch, new byte[4096]);
      Thread.sleep(120_000);
    }
  }

  @Test
  void aJvmStoppedWhileAScratchFileExistsDeletesIt() throws IOException, InterruptedException {
    Path scratch = dir.resolve(InPlaceUpdates.SCRATCH_PREFIX + "stopped.tmp");
    String classPath = codeSource(ScratchFiles.class) + File.pathSeparator
        + codeSource(ScratchFilesTest.class);
    Process p = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath,
        StoppedWhileProbing.class.getName(), scratch.toString()))
        .redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(scratch) && p.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(Files.exists(scratch), "the child made its scratch file: "
          + Files.readString(dir.resolve("out.txt")));
      p.destroy(); // SIGTERM: shutdown hooks run
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops");
    } finally {
      p.destroyForcibly();
    }
    assertFalse(Files.exists(scratch), "the scratch file is gone");
  }

  @Test
  void deletingAScratchFileForgetsIt() throws IOException {
    Path scratch = Files.write(dir.resolve(InPlaceUpdates.SCRATCH_PREFIX + "x.tmp"), new byte[1]);
    ScratchFiles.created(scratch);
    ScratchFiles.delete(scratch);
    assertFalse(Files.exists(scratch));
    ScratchFiles.delete(scratch); // gone already: nothing to do, no error
  }

  private static String codeSource(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
