package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.disk.HostDataRanges;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.ConvertMain;
import io.vhdfs.testing.NewerJdk;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw source that is mostly holes is read only where it holds data (issue 14 item 5): on Linux
 * with Java 22 or later and native access enabled, {@link HostDataRanges} gives its data ranges
 * from {@code lseek(SEEK_DATA/SEEK_HOLE)}; elsewhere the whole file is read, as before. So is an
 * image file whose blocks hold holes.
 */
final class RawHolesConvertTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 256L * MIB;

  @TempDir Path dir;

  /** 256 MiB with data at 10 MiB (3 MiB), 100 MiB (64 KiB) and in the last 4 KiB. */
  private Path sparseRaw() throws IOException {
    Path raw = dir.resolve("sparse.raw");
    Random random = new Random(5);
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      for (long[] piece : new long[][] {{10L * MIB, 3 * MIB}, {100L * MIB, 64 << 10},
          {SIZE - 4096, 4096}}) {
        byte[] b = new byte[(int) piece[1]];
        random.nextBytes(b);
        ByteBuffer src = ByteBuffer.wrap(b);
        while (src.hasRemaining()) {
          ch.write(src, piece[0] + src.position());
        }
      }
    }
    return raw;
  }

  @Test
  void beforeJava22TheHostIsNotAskedAndEverythingIsRead() throws IOException {
    Path raw = sparseRaw();
    if (Runtime.version().feature() < 22) {
      assertTrue(HostDataRanges.of(raw).isEmpty(), "Java " + Runtime.version()
          + " has no foreign function API");
    } else {
      // The build runs the tests with --enable-native-access=ALL-UNNAMED.
      assertEquals(3, HostDataRanges.of(raw).orElseThrow().size());
    }
  }

  @Test
  void onJava22WithNativeAccessOnlyTheDataRangesAreReadAndTheImageIsTheSame() throws Exception {
    Path java = NewerJdk.java(22).orElse(null);
    PeerRequirement.assumePresent(java != null, "no JDK 22 or later found (looked at this JVM "
        + "and /usr/lib/jvm/*): install one, e.g. Temurin 25, to check sparse raw reads");
    QemuTools.require();
    Path raw = sparseRaw();
    Path vhd = dir.resolve("out.vhd");
    List<String> lines = convertUnder(java, raw, vhd);
    assertEquals(List.of(10L * MIB + "-" + 13L * MIB + " " + 100L * MIB + "-" + (100L * MIB
        + (64 << 10)) + " " + (SIZE - 4096) + "-" + SIZE, "read " + (3 * MIB + (64 << 10)
        + 4096)), lines, "the data ranges, then the bytes read: only those");
    assertQemuReadsTheSame(vhd, raw);
  }

  @Test
  void onJava22TheHolesOfAnImageFileUnderItsBlocksAreNotReadEither() throws Exception {
    Path java = NewerJdk.java(22).orElse(null);
    PeerRequirement.assumePresent(java != null, "no JDK 22 or later found (looked at this JVM "
        + "and /usr/lib/jvm/*): install one, e.g. Temurin 25, to check sparse image reads");
    QemuTools.require();
    Path raw = sparseRaw();
    // A fixed VHDX: every block present, but its zeros holes in the file.
    Path vhdx = dir.resolve("fixed.vhdx");
    VhdImages.convert(raw, vhdx, ConvertOptions.DEFAULT.to(Format.VHDX_FIXED), Map.of(),
        VhdImages.Progress.NONE);
    Path vhd = dir.resolve("out.vhd");
    List<String> lines = convertUnder(java, vhdx, vhd);
    assertEquals("read " + (3 * MIB + (64 << 10) + 4096), lines.get(1),
        "only the data the fixed VHDX's file holds is read, not its blocks' holes");
    assertQemuReadsTheSame(vhd, raw);
  }

  /**
   * Runs {@link ConvertMain} on {@code src} into the VHD {@code vhd} under {@code java}, with
   * native access, the classes read as a multi-release jar is on that JDK: its output lines.
   */
  private static List<String> convertUnder(Path java, Path src, Path vhd) throws IOException {
    String classPath = NewerJdk.classPath(NewerJdk.feature(java), HostDataRanges.class,
        ConvertMain.class);
    return QemuTools.run(Duration.ofMinutes(2), List.of(java.toString(),
        "--enable-native-access=ALL-UNNAMED", "-cp", classPath, ConvertMain.class.getName(),
        src.toString(), vhd.toString())).stdout().strip().lines().toList();
  }

  private static void assertQemuReadsTheSame(Path vhd, Path raw) {
    QemuTools.Exit compare = QemuTools.runForExit(Duration.ofMinutes(2), List.of("qemu-img",
        "compare", "-f", "vpc", "-F", "raw", vhd.toString(), raw.toString()));
    assertEquals(0, compare.code(), compare.describe());
  }
}
