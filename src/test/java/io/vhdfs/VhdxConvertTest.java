package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Conversion;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdxTools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VhdImages#convert} into VHDX (issue 13, item 4): raw, dynamic VHD, a differencing VHD
 * chain and a VHDX become dynamic and fixed VHDX of 1 and 32 MiB blocks that qemu-img checks clean
 * and reads as the source, as libvhdi and this library do; a dynamic result has blocks only where
 * the disk is not zero, a fixed one all of them; sizes are kept (rounded up to a 512-byte sector);
 * and a conversion that fails or is interrupted leaves neither a destination nor its temporary
 * file.
 */
@ExtendWith(SeedExtension.class)
final class VhdxConvertTest {
  private static final int MIB = 1 << 20;
  private static final int BIG_BLOCK = 32 * MIB;
  /** Blocks 0, 40 MiB and the last hold data; 60 MiB holds zeros written out. */
  private static final long SIZE = 100L * MIB + 1536;

  @TempDir Path dir;

  @Test
  void rawBecomesADynamicVhdxWithBlocksOnlyWhereTheDiskIsNotZero(SeededRandom random)
      throws IOException {
    Path raw = sampleRaw(random);
    for (int blockSize : new int[] {MIB, BIG_BLOCK}) {
      Path vhdx = dir.resolve("dynamic-" + blockSize + ".vhdx");
      Conversion c = VhdImages.convert(raw, vhdx,
          new ConvertOptions(Format.VHDX, blockSize, false, false), Map.of(),
          VhdImages.Progress.NONE);

      assertEquals("raw", c.sourceType());
      assertEquals("vhdx", c.type());
      assertEquals(SIZE, c.size());
      assertReadsAs(raw, vhdx, blockSize);
      assertEquals(3L, attribute(vhdx, "allocatedBlocks"), blockSize + ": blocks 0, the one at "
          + "40 MiB and the last; not the zeros at 60 MiB");
      assertEquals("dynamic", attribute(vhdx, "diskType"));
      assertEquals((long) blockSize, ((Number) attribute(vhdx, "blockSize")).longValue());
    }
  }

  @Test
  void rawBecomesAFixedVhdxWithEveryBlockPresentAndZerosAsHoles(SeededRandom random)
      throws IOException {
    Path raw = sampleRaw(random);
    for (int blockSize : new int[] {MIB, BIG_BLOCK}) {
      Path vhdx = dir.resolve("fixed-" + blockSize + ".vhdx");
      Conversion c = VhdImages.convert(raw, vhdx,
          new ConvertOptions(Format.VHDX_FIXED, blockSize, false, false), Map.of(),
          VhdImages.Progress.NONE);

      assertEquals("vhdx-fixed", c.type());
      assertReadsAs(raw, vhdx, blockSize);
      assertEquals((SIZE + blockSize - 1) / blockSize, attribute(vhdx, "allocatedBlocks"));
      assertEquals("fixed", attribute(vhdx, "diskType"));
      long allocated = QemuTools.allocatedBytes(vhdx);
      assertTrue(allocated < 20L * MIB, "zeros stay holes: " + allocated + " bytes on the host");
    }
  }

  @Test
  void aDynamicVhdAndADifferencingChainBecomeVhdxReadingAsTheirDisk(SeededRandom random)
      throws IOException {
    Path base = dir.resolve("base.vhd");
    Chains.createDynamic(base, 48 * MIB, 2 * MIB);
    Chains.write(base, 3 * MIB + 1000, Chains.randomBytes(5000, random.nextLong()));
    Chains.write(base, 20 * MIB, Chains.randomBytes(3 * MIB, random.nextLong()));
    Chains.write(base, 40 * MIB, new byte[2 * MIB]); // allocated, all zeros
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, base.toString(), 2 * MIB);
    Chains.write(child, 21 * MIB + 7, Chains.randomBytes(100_000, random.nextLong()));
    Chains.write(child, 48 * MIB - 512, Chains.randomBytes(512, random.nextLong()));

    for (Path source : List.of(base, child)) {
      Path raw = dir.resolve(source.getFileName() + ".raw");
      VhdImages.convert(source, raw, ConvertOptions.DEFAULT.to(Format.RAW), Map.of(),
          VhdImages.Progress.NONE);
      for (Format format : List.of(Format.VHDX, Format.VHDX_FIXED)) {
        for (int blockSize : new int[] {MIB, BIG_BLOCK}) {
          Path vhdx = dir.resolve(source.getFileName() + "-" + format + "-" + blockSize
              + ".vhdx");
          Conversion c = VhdImages.convert(source, vhdx,
              new ConvertOptions(format, blockSize, false, false), Map.of(),
              VhdImages.Progress.NONE);
          assertEquals(48L * MIB, c.size());
          assertReadsAs(raw, vhdx, blockSize);
          if (format == Format.VHDX) {
            // Data at 3 and 20-23 MiB (1 MiB blocks 3, 20, 21, 22; 32 MiB block 0), and the
            // child's at 47 MiB (1 MiB block 47; 32 MiB block 1).
            long expected = (blockSize == MIB ? 4L : 1L) + (source == child ? 1 : 0);
            assertEquals(expected, attribute(vhdx, "allocatedBlocks"),
                vhdx.getFileName() + ": the chain flattened, no block for zeros");
          }
        }
      }
    }
  }

  @Test
  void aVhdxBecomesAVhdxAgainReadingTheSame(SeededRandom random) throws IOException {
    VhdxTools vhdxTools = VhdxTools.require();
    Path raw = sampleRaw(random);
    Path qemuMade = dir.resolve("qemu.vhdx");
    vhdxTools.convertFromRaw(raw, qemuMade, "block_size=8M");
    Path ours = dir.resolve("ours.vhdx");
    VhdImages.convert(qemuMade, ours, ConvertOptions.DEFAULT.to(Format.VHDX), Map.of(),
        VhdImages.Progress.NONE);
    assertReadsAs(raw, ours, BIG_BLOCK);
    Path again = dir.resolve("again.vhdx");
    VhdImages.convert(ours, again, new ConvertOptions(Format.VHDX_FIXED, MIB, false, false),
        Map.of(), VhdImages.Progress.NONE);
    assertReadsAs(raw, again, MIB);
  }

  @Test
  void aSizeThatIsNotWholeSectorsIsRoundedUpToOne(SeededRandom random) throws IOException {
    Path raw = dir.resolve("odd.raw");
    writeRaw(raw, 3L * MIB + 100, Map.of(3L * MIB + 99, new byte[] {9}));
    Path vhdx = dir.resolve("odd.vhdx");
    Conversion c = VhdImages.convert(raw, vhdx, ConvertOptions.DEFAULT.to(Format.VHDX),
        Map.of(), VhdImages.Progress.NONE);
    assertEquals(3L * MIB + 512, c.size());
    assertEquals(3L * MIB + 512, VhdxTools.require().virtualSize(vhdx));
    byte[] disk = readDisk(vhdx);
    assertEquals(3 * MIB + 512, disk.length);
    assertEquals(9, disk[3 * MIB + 99]);
  }

  @Test
  void aDestinationNamedVhdxWithNoTypeBecomesADynamicVhdxOf32MibBlocks(SeededRandom random)
      throws IOException {
    Path raw = sampleRaw(random);
    Path vhdx = dir.resolve("named.VHDX");
    Conversion c = VhdImages.convert(raw, vhdx, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);
    assertEquals("vhdx", c.type());
    assertEquals((long) BIG_BLOCK, ((Number) attribute(vhdx, "blockSize")).longValue());
    assertEquals(3L, attribute(vhdx, "allocatedBlocks"));
    assertSameBytes(Files.readAllBytes(raw), readDisk(vhdx), 0, "the named result");
  }

  @Test
  void aBlockSizeAVhdxCannotHaveIsRefusedBeforeAnythingIsWritten(SeededRandom random)
      throws IOException {
    Path raw = sampleRaw(random);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.convert(raw, dir.resolve("small.vhdx"),
            new ConvertOptions(Format.VHDX, 512 * 1024, false, false), Map.of(),
            VhdImages.Progress.NONE));
    assertTrue(e.getMessage().contains("1 MiB"), e.getMessage());
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  @Test
  void aVhdxIsRefusedIntoAStream(SeededRandom random) throws IOException {
    Path raw = sampleRaw(random);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Format format : List.of(Format.VHDX, Format.VHDX_FIXED)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> VhdImages.convert(raw, Channels.newChannel(out),
              ConvertOptions.DEFAULT.to(format), Map.of(), VhdImages.Progress.NONE));
      assertTrue(e.getMessage().contains("a VHDX cannot be written into a stream"),
          e.getMessage());
    }
    assertEquals(0, out.size());
  }

  @Test
  void anInterruptedConversionToVhdxLeavesNothing(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(8 * MIB, random.nextLong()));
    for (Format format : List.of(Format.VHDX, Format.VHDX_FIXED)) {
      Path dst = dir.resolve("out.vhdx");
      try {
        IOException e = assertThrows(IOException.class, () -> VhdImages.convert(raw, dst,
            new ConvertOptions(format, MIB, false, false), Map.of(), (done, total) -> {
              assertTrue(names(dir).stream().anyMatch(n -> n.startsWith(".out.vhdx.part-")),
                  "the result is written under a temporary name: " + names(dir));
              Thread.currentThread().interrupt();
            }));
        assertTrue(e instanceof InterruptedIOException || e instanceof ClosedByInterruptException,
            e.toString());
      } finally {
        Thread.interrupted();
      }
      assertEquals(Set.of("disk.raw"), names(dir), format.toString());
    }
  }

  @Test
  void aSourceTruncatedMidwayLeavesNoVhdx(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(32 * MIB, random.nextLong()));
    IOException e = assertThrows(IOException.class, () -> VhdImages.convert(raw,
        dir.resolve("out.vhdx"), new ConvertOptions(Format.VHDX, MIB, false, false), Map.of(),
        (done, total) -> truncate(raw, MIB)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  // ---------------------------------------------------------------- helpers

  /**
   * qemu-img checks {@code vhdx} clean and reads it as {@code raw} (compare, and convert back to
   * raw), as libvhdi and this library do.
   */
  private void assertReadsAs(Path raw, Path vhdx, int blockSize) throws IOException {
    VhdxTools vhdxTools = VhdxTools.require();
    QemuTools.Exit check = vhdxTools.check(vhdx, false);
    assertEquals(0, check.code(), vhdx.getFileName() + ": qemu-img check: " + check.describe());
    QemuTools.Exit compare = QemuTools.runForExit(java.time.Duration.ofMinutes(2), List.of(
        QemuTools.requireOnPath("qemu-img", "compares the result with its source").toString(),
        "compare", "-f", "vhdx", "-F", "raw", vhdx.toString(), raw.toString()));
    long size = Files.size(raw);
    long rounded = (size + 511) / 512 * 512;
    assertEquals(0, compare.code(), vhdx.getFileName() + ": qemu-img compare: "
        + compare.describe());
    Path back = dir.resolve(vhdx.getFileName() + ".back.raw");
    vhdxTools.convertToRaw(vhdx, back);
    assertEquals(rounded, Files.size(back));
    byte[] expected = Files.readAllBytes(raw);
    assertSameBytes(expected, java.util.Arrays.copyOf(Files.readAllBytes(back), expected.length),
        0, vhdx.getFileName() + " read back by qemu-img");
    Files.delete(back);
    assertSameBytes(expected, java.util.Arrays.copyOf(readDisk(vhdx), expected.length), 0,
        vhdx.getFileName() + " read by vhdfs");

    Libvhdi libvhdi = Libvhdi.require();
    List<Window> windows = Libvhdi.chunks(size, MIB);
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      Libvhdi.Reading r = libvhdi.read(vhdx, windows, blockSize, dir);
      assertEquals(rounded, r.mediaSize(), vhdx.getFileName() + " size in libvhdi");
      assertEquals(Libvhdi.hashes(ch, windows), r.lines(), vhdx.getFileName() + " in libvhdi");
    }
  }

  /** SIZE bytes: data at 100, a MiB at 40 MiB, zeros written at 60 MiB, the last byte. */
  private Path sampleRaw(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, SIZE, Map.of(
        100L, Chains.randomBytes(3000, random.nextLong()),
        40L * MIB, Chains.randomBytes(MIB, random.nextLong()),
        60L * MIB, new byte[MIB],
        SIZE - 1, new byte[] {7}));
    return raw;
  }

  private static Object attribute(Path image, String name) throws IOException {
    Object value = Files.getAttribute(disk(image), "vhdx:" + name);
    return value instanceof Integer i ? Long.valueOf(i) : value;
  }

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  private static byte[] readDisk(Path image) throws IOException {
    try (FileChannel ch = FileChannel.open(disk(image), StandardOpenOption.READ)) {
      return Chains.readAll(ch);
    }
  }

  private static void writeRaw(Path raw, long size, Map<Long, byte[]> writes)
      throws IOException {
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      for (Map.Entry<Long, byte[]> w : new TreeMap<>(writes).entrySet()) {
        ByteBuffer src = ByteBuffer.wrap(w.getValue());
        while (src.hasRemaining()) {
          ch.write(src, w.getKey() + src.position());
        }
      }
    }
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(size);
    }
  }

  private static Set<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void truncate(Path file, long size) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
