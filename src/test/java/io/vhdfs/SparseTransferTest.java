package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.DiskExtents;
import io.vhdfs.nio.VhdImages.Extent;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.OpenedImages;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.NewerJdk;
import io.vhdfs.testing.SparseCopyMain;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code transferTo} from a disk (issue 11, item 2): stored runs go by the host's own transfer,
 * zero runs become holes where the target file is being extended, and every byte is right for
 * every kind of target. Sparseness is measured with {@code stat}; on JDK 21 and later,
 * {@code Files.copy} and {@code InputStream.transferTo} reach the same path, checked in a JDK 21+
 * JVM whatever JDK runs the build.
 */
@ExtendWith(SeedExtension.class)
final class SparseTransferTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final long DISK = 64L * MIB;
  /** Slack for the blocks a hole's edge or the file's last byte takes on the host. */
  private static final long SLACK = 256 * KIB;

  @TempDir Path dir;

  @RegisterExtension final OpenedImages images = new OpenedImages();

  /** A 64 MiB dynamic disk holding random runs, ending in zeros. */
  private Path sparseDisk(SeededRandom random, String name) throws IOException {
    Path image = dir.resolve(name);
    Chains.createDynamic(image, DISK, 2 * MIB);
    for (int i = 0; i < 10; i++) {
      byte[] b = new byte[(1 + random.nextInt(2 * MIB / 512)) * 512];
      random.nextBytes(b);
      Chains.write(image, (long) random.nextInt(50 * MIB / 512) * 512, b);
    }
    return images.disk(image);
  }

  private static long stored(Path disk) throws IOException {
    try (Stream<Extent> s = DiskExtents.stream(disk, 0, Long.MAX_VALUE)) {
      return s.filter(Extent::data).mapToLong(Extent::length).sum();
    }
  }

  private static void assertSparseCopy(Path disk, Path copy, String how) throws IOException {
    assertEquals(-1, Files.mismatch(copy, rawOf(disk)), how + ": bytes");
    long allocated = QemuTools.allocatedBytes(copy);
    long stored = stored(disk);
    assertTrue(allocated <= stored + SLACK, how + ": the copy takes " + allocated
        + " bytes on the host for " + stored + " stored in the image");
  }

  /** The disk's bytes in a plain file, written without our transfer. */
  private static Path rawOf(Path disk) throws IOException {
    Path raw = Files.createTempFile("disk", ".raw");
    raw.toFile().deleteOnExit();
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(raw, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.allocate(MIB);
      for (long p = 0; p < in.size(); p += MIB) {
        buf.clear();
        while (buf.hasRemaining() && in.read(buf, p + buf.position()) > 0) {
          // fill
        }
        out.write(buf.flip(), p);
      }
    }
    return raw;
  }

  @Test
  void transferToANewFileLeavesZeroRunsAsHoles(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "a.vhd");
    Path out = dir.resolve("out.raw");
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      in.position(123);
      assertEquals(DISK, in.transferTo(0, Long.MAX_VALUE, target));
      assertEquals(123, in.position(), "transferTo leaves the source's position alone");
      assertEquals(DISK, target.position());
      assertEquals(DISK, target.size(), "the file reaches the disk's end though it ends in zeros");
    }
    assertSparseCopy(disk, out, "transferTo");
  }

  @Test
  void transferToInPiecesAtAnyOffsetsIsExact(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "p.vhd");
    Path out = dir.resolve("pieces.raw");
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long p = 0;
      while (p < DISK) {
        long n = Math.min(DISK - p, 1 + random.nextInt(5 * MIB));
        assertEquals(n, in.transferTo(p, n, target));
        p += n;
      }
    }
    assertSparseCopy(disk, out, "transferTo in pieces");
  }

  @Test
  void zeroRunsOverwriteWhatTheTargetAlreadyHolds(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "o.vhd");
    Path out = dir.resolve("full.raw");
    byte[] ones = new byte[(int) DISK];
    Arrays.fill(ones, (byte) 0xFF);
    Files.write(out, ones);
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel target = FileChannel.open(out, StandardOpenOption.WRITE)) {
      assertEquals(DISK, in.transferTo(0, DISK, target));
    }
    assertEquals(-1, Files.mismatch(out, rawOf(disk)));
  }

  @Test
  void aTargetThatAppendsGetsEveryZeroWritten(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "app.vhd");
    Path out = dir.resolve("append.raw");
    Files.write(out, "head".getBytes());
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel target = FileChannel.open(out, StandardOpenOption.APPEND)) {
      assertEquals(DISK, in.transferTo(0, DISK, target));
    }
    byte[] expected = Files.readAllBytes(rawOf(disk));
    byte[] actual = Files.readAllBytes(out);
    assertEquals(4 + DISK, actual.length);
    assertArrayEquals("head".getBytes(), Arrays.copyOf(actual, 4));
    assertEquals(-1, Arrays.mismatch(expected, Arrays.copyOfRange(actual, 4, actual.length)));
  }

  @Test
  void streamTargetsGetEveryByte(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "s.vhd");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertEquals(DISK - 1000, in.transferTo(1000, DISK, Channels.newChannel(sink)));
    }
    byte[] expected = Files.readAllBytes(rawOf(disk));
    assertArrayEquals(Arrays.copyOfRange(expected, 1000, expected.length), sink.toByteArray());
  }

  @Test
  void aChildSendsItsParentsBytesToo(SeededRandom random) throws IOException {
    Path base = dir.resolve("base.vhd");
    Chains.createDynamic(base, 16L * MIB, 2 * MIB);
    Chains.write(base, MIB, Chains.randomBytes(5 * MIB, random.nextLong()));
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "base.vhd", 512 * KIB);
    Chains.write(child, 2 * MIB + 512, Chains.randomBytes(3000 * 512, random.nextLong()));
    Chains.write(child, 12L * MIB, Chains.randomBytes(4096, random.nextLong()));
    Path disk = images.disk(child);
    Path out = dir.resolve("child.raw");
    try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
        FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      assertEquals(16L * MIB, in.transferTo(0, 16L * MIB, target));
    }
    assertSparseCopy(disk, out, "transferTo from a child");
  }

  @Test
  void aTargetOnAnotherProviderGetsTheBytes(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "j.vhd");
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path out = jimfs.getPath("/copy.raw");
      try (FileChannel in = FileChannel.open(disk, StandardOpenOption.READ);
          FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
        assertEquals(DISK, in.transferTo(0, DISK, target));
      }
      assertArrayEquals(Files.readAllBytes(rawOf(disk)), Files.readAllBytes(out));
    }
  }

  @Test
  void filesCopyOnThisJdkCopiesTheDisk(SeededRandom random) throws IOException {
    Path disk = sparseDisk(random, "c.vhd");
    Path out = dir.resolve("copied.raw");
    Files.copy(disk, out);
    if (Runtime.version().feature() >= 21) {
      assertSparseCopy(disk, out, "Files.copy on JDK " + Runtime.version());
    } else {
      // JDK 17 copies across providers through an 8 KiB stream buffer that never reaches
      // transferTo; the bytes are right, holes are not possible there.
      assertEquals(-1, Files.mismatch(out, rawOf(disk)));
    }
  }

  @Test
  void filesCopyAndInputStreamTransferToAreSparseOnJdk21AndLater(SeededRandom random)
      throws Exception {
    Path java = NewerJdk.java(21).orElse(null);
    PeerRequirement.assumePresent(java != null, "no JDK 21 or later found (looked at this JVM "
        + "and /usr/lib/jvm/*): install one, e.g. Temurin 25, to check Files.copy on it");
    Path image = dir.resolve("new.vhd");
    Chains.createDynamic(image, DISK, 2 * MIB);
    for (int i = 0; i < 10; i++) {
      Chains.write(image, (long) random.nextInt(50 * MIB / 512) * 512,
          Chains.randomBytes(1 + random.nextInt(MIB), random.nextLong()));
    }
    Path viaCopy = dir.resolve("files-copy.raw");
    Path viaStream = dir.resolve("stream.raw");
    String classPath = NewerJdk.codeSource(DiskExtents.class) + File.pathSeparator
        + NewerJdk.codeSource(SparseCopyMain.class);
    QemuTools.run(Duration.ofMinutes(2), List.of(java.toString(), "-cp", classPath,
        SparseCopyMain.class.getName(), image.toString(), viaCopy.toString(),
        viaStream.toString()));
    Path disk = images.disk(image);
    assertSparseCopy(disk, viaCopy, "Files.copy on " + java);
    assertSparseCopy(disk, viaStream, "InputStream.transferTo on " + java);
  }

}
