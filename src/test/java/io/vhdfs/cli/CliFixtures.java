package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Images and runs the command tests share. */
final class CliFixtures {
  /** Block size of the chain's images: small, so a few writes span several blocks. */
  static final int BLOCK = 512 * 1024;
  /** Virtual size of the chain's disk. */
  static final long CHAIN_SIZE = 8L << 20;

  private CliFixtures() {}

  /**
   * A depth-2 chain made through the provider, {@code base.vhd <- mid.vhd <- top.vhd} in
   * {@code dir}, each level holding data of its own: base 1 MiB from 0, mid 10 KiB at 600 KiB
   * (inside a block base holds, sector-aligned), top 512 bytes at 3 MiB and 10 bytes at 100
   * (a partial sector, so the rest of that sector is copied from below).
   *
   * @return the images, base first
   */
  static List<Path> chain(Path dir) throws IOException {
    Path base = dir.resolve("base.vhd");
    Path mid = dir.resolve("mid.vhd");
    Path top = dir.resolve("top.vhd");
    Chains.createDynamic(base, CHAIN_SIZE, BLOCK);
    Chains.write(base, 0, Chains.randomBytes(1 << 20, 1));
    Chains.createChild(mid, "base.vhd", BLOCK);
    Chains.write(mid, 600 << 10, Chains.randomBytes(10 << 10, 2));
    Chains.createChild(top, "mid.vhd", BLOCK);
    Chains.write(top, 3 << 20, Chains.randomBytes(512, 3));
    Chains.write(top, 100, Chains.randomBytes(10, 4));
    return List.of(base, mid, top);
  }

  /** Runs {@code vhd args...}, which must succeed without a word on standard error. */
  static String ok(String... args) {
    Cli.Result r = Cli.run(args);
    assertEquals(0, r.exitCode(), () -> "vhd " + String.join(" ", args) + " failed: " + r.err());
    assertEquals("", r.err(), "standard error of a successful vhd " + String.join(" ", args));
    return r.out();
  }

  /** Writes {@code image}'s whole disk, as the provider reads it, to a raw file. */
  static Path rawCopy(Path image, Path raw) throws IOException {
    Files.write(raw, Chains.readDisk(image));
    return raw;
  }
}
