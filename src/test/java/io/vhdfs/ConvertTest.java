package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Conversion;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.nio.VhdImages.ConvertOptions.Format;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.Fifo;
import io.vhdfs.testing.LoopDevice;
import io.vhdfs.vhd.VhdCreator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VhdImages#convert} (issue 5): every pair of raw, fixed, dynamic (ours and qemu-img's)
 * and differencing sources and raw, fixed and dynamic results reads as the source; qemu-img and
 * libvhdi read our results as the source; only stored ranges are read, zeros are not written (no
 * all-zero block in a dynamic result, holes in a raw one); sizes are kept (to the sector, or the
 * MiB for Azure); and a conversion that fails or is interrupted leaves neither a destination nor
 * its temporary file. Destinations (issue 10): a symbolic link is written through to its final
 * target, staged beside the target, and stays; a FIFO, a character or block device and a channel
 * take a raw or fixed result in place and in order, zeros written out, and refuse a dynamic one
 * before the source's disk is read.
 */
@ExtendWith(SeedExtension.class)
final class ConvertTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 2 * MIB;

  @TempDir Path dir;

  // ---------------------------------------------------------------- results read as the source

  @Test
  void rawBecomesADynamicImageThatReadsAsItWithNoBlockForZeros(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    // Blocks 0 (a little data), 3 (full), 5 (zeros written out, not a hole) and 7 (last byte).
    writeRaw(raw, 16 * MIB, Map.of(
        100L, Chains.randomBytes(3000, random.nextLong()),
        3L * BLOCK, Chains.randomBytes(BLOCK, random.nextLong()),
        5L * BLOCK, new byte[BLOCK],
        16L * MIB - 1, new byte[] {7}));
    Path vhd = dir.resolve("disk.vhd");

    Conversion c = VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals("raw", c.sourceType());
    assertEquals("dynamic", c.type(), "a raw source becomes dynamic by default");
    assertEquals(16 * MIB, c.size());
    assertEquals(16 * MIB, c.bytesRead(), "a raw file has no map: all of it is read");
    assertEquals(BLOCK + 8 * KIB, c.bytesWritten(), "block 3 whole (the host copies it: every "
        + "sampled page holds data); of blocks 0 and 7, scanned, only their one page with data");
    assertSameBytes(Files.readAllBytes(raw), Chains.readDisk(vhd), 0, "the dynamic result");
    assertEquals(3, Chains.allocatedBlocks(vhd), "blocks 0, 3 and 7; not the zeros of block 5");
    assertEquals(Set.of("disk.raw", "disk.vhd"), names(dir));
  }

  @Test
  void rawBecomesAFixedImageOfTheSameSize(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 5 * MIB, Map.of(MIB + 17L, Chains.randomBytes(70_000, random.nextLong())));
    Path vhd = dir.resolve("disk.vhd");

    Conversion c = VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT.to(Format.FIXED), Map.of(),
        VhdImages.Progress.NONE);

    assertEquals("fixed", c.type());
    assertEquals(5 * MIB + 512, Files.size(vhd), "a fixed image is its disk and a footer");
    assertEquals(2, HostBytes.readInt(vhd, Files.size(vhd) - 512 + VhdImageBuilder.F_DISK_TYPE));
    assertEquals(5L * MIB, describe(vhd).get("virtualSize"));
    assertSameBytes(Files.readAllBytes(raw), Chains.readDisk(vhd), 0, "the fixed result");
    assertEquals(72 * KIB, c.bytesWritten(), "the 4 KiB pages the data touches");
  }

  @Test
  void dynamicBecomesRawReadingOnlyItsAllocatedRanges(SeededRandom random) throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 32 * MIB, 512 * KIB);
    Chains.write(vhd, 3 * MIB + 1000, Chains.randomBytes(5000, random.nextLong()));
    Chains.write(vhd, 20 * MIB, Chains.randomBytes(MIB, random.nextLong()));
    Chains.write(vhd, 32 * MIB - 512, Chains.randomBytes(512, random.nextLong()));
    Path raw = dir.resolve("disk.raw");

    Conversion c = VhdImages.convert(vhd, raw, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals("dynamic", c.sourceType());
    assertEquals("raw", c.type(), "a VHD becomes raw by default");
    assertEquals(32 * MIB, Files.size(raw));
    assertSameBytes(Chains.readDisk(vhd), Files.readAllBytes(raw), 0, "the raw result");
    assertEquals(dataBytes(vhd), c.bytesRead(), "only the sectors the image holds are read");
  }

  @Test
  void fixedBecomesDynamicWithBlocksOnlyWhereThereIsData(SeededRandom random)
      throws IOException {
    Path fixed = dir.resolve("fixed.vhd");
    Chains.createFixed(fixed, 12 * MIB);
    Chains.write(fixed, 5 * MIB - 10, Chains.randomBytes(20, random.nextLong()));
    Chains.write(fixed, 9 * MIB, new byte[MIB]);
    Path dynamic = dir.resolve("dynamic.vhd");

    Conversion c = VhdImages.convert(fixed, dynamic,
        new ConvertOptions(Format.DYNAMIC, 512 * KIB, false, false), Map.of(),
        VhdImages.Progress.NONE);

    assertEquals("fixed", c.sourceType());
    assertEquals(12L * MIB, c.size());
    assertEquals(512 * KIB, describe(dynamic).get("blockSize"));
    assertSameBytes(Chains.readDisk(fixed), Chains.readDisk(dynamic), 0, "the dynamic result");
    assertEquals(2, Chains.allocatedBlocks(dynamic), "the two 512 KiB blocks around 5 MiB");
  }

  @Test
  void dynamicBecomesFixedAndFixedBecomesRaw(SeededRandom random) throws IOException {
    Path dynamic = dir.resolve("dynamic.vhd");
    Chains.createDynamic(dynamic, 6 * MIB, BLOCK);
    Chains.write(dynamic, 4 * MIB + 3, Chains.randomBytes(9000, random.nextLong()));
    Path fixed = dir.resolve("fixed.vhd");
    Path raw = dir.resolve("disk.raw");

    VhdImages.convert(dynamic, fixed, ConvertOptions.DEFAULT.to(Format.FIXED), Map.of(),
        VhdImages.Progress.NONE);
    Conversion c = VhdImages.convert(fixed, raw, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    byte[] expected = Chains.readDisk(dynamic);
    assertSameBytes(expected, Chains.readDisk(fixed), 0, "dynamic to fixed");
    assertSameBytes(expected, Files.readAllBytes(raw), 0, "fixed to raw");
    assertEquals(6L * MIB, c.bytesRead(), "a fixed image has no map: all of it is read");
  }

  @Test
  void differencingChainBecomesRawAsTheWholeChainReads(SeededRandom random) throws IOException {
    Path base = dir.resolve("base.vhd");
    Chains.createDynamic(base, 8 * MIB, 512 * KIB);
    Chains.write(base, 0, Chains.randomBytes(3 * MIB, random.nextLong()));
    Chains.write(base, 7 * MIB, Chains.randomBytes(4096, random.nextLong()));
    Path middle = dir.resolve("middle.vhd");
    Chains.createChild(middle, "base.vhd", 512 * KIB);
    Chains.write(middle, MIB + 512, Chains.randomBytes(1024, random.nextLong()));
    Chains.write(middle, 5 * MIB, Chains.randomBytes(2 * MIB, random.nextLong()));
    Path top = dir.resolve("top.vhd");
    Chains.createChild(top, "middle.vhd", 2 * MIB);
    Chains.write(top, 2 * MIB - 100, Chains.randomBytes(300, random.nextLong()));
    Chains.write(top, 6 * MIB, new byte[4096]);
    Path raw = dir.resolve("chain.raw");

    Conversion c = VhdImages.convert(top, raw, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals("differencing", c.sourceType());
    assertSameBytes(Chains.readDisk(top), Files.readAllBytes(raw), 0, "the raw result");
    assertEquals(dataBytes(top), c.bytesRead(), "only what some image of the chain holds");
    Path dynamic = dir.resolve("chain.vhd");
    VhdImages.convert(top, dynamic, ConvertOptions.DEFAULT.to(Format.DYNAMIC), Map.of(),
        VhdImages.Progress.NONE);
    assertSameBytes(Chains.readDisk(top), Chains.readDisk(dynamic), 0, "the dynamic result");
    assertEquals(List.of(), describe(dynamic).get("parentChain"),
        "the result stands alone");
  }

  @Test
  void theSourceIsToldByItsFooterNotItsName(SeededRandom random) throws IOException {
    Path vhdNamedRaw = dir.resolve("really-a-vhd.raw");
    Chains.createFixed(vhdNamedRaw, MIB);
    Chains.write(vhdNamedRaw, 4096, Chains.randomBytes(100, random.nextLong()));
    Path rawNamedVhd = dir.resolve("really-raw.vhd");
    Files.write(rawNamedVhd, Chains.randomBytes(MIB, random.nextLong()));

    Conversion a = VhdImages.convert(vhdNamedRaw, dir.resolve("a.out"), ConvertOptions.DEFAULT,
        Map.of(), VhdImages.Progress.NONE);
    Conversion b = VhdImages.convert(rawNamedVhd, dir.resolve("b.out"), ConvertOptions.DEFAULT,
        Map.of(), VhdImages.Progress.NONE);

    assertEquals("fixed", a.sourceType());
    assertEquals("raw", a.type());
    assertSameBytes(Chains.readDisk(vhdNamedRaw), Files.readAllBytes(dir.resolve("a.out")), 0,
        "the VHD's disk, not its file");
    assertEquals("raw", b.sourceType());
    assertEquals("dynamic", b.type());
    assertSameBytes(Files.readAllBytes(rawNamedVhd), Chains.readDisk(dir.resolve("b.out")), 0,
        "the raw file's bytes");
  }

  // ---------------------------------------------------------------- peers

  @Test
  void qemuMadeDynamicBecomesTheRawQemuImgConvertMakes(SeededRandom random) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path vhd = dir.resolve("qemu.vhd");
    qemu.create(vhd, 20 * MIB, "");
    List<QemuTools.Write> writes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      writes.add(new QemuTools.Write(1 + random.nextInt(255),
          (long) random.nextInt(20 * MIB / 512 - 200) * 512, 512L * (1 + random.nextInt(200))));
    }
    qemu.write(vhd, writes);
    Path theirs = dir.resolve("theirs.raw");
    qemu.convertToRaw(vhd, theirs);
    Path ours = dir.resolve("ours.raw");

    VhdImages.convert(vhd, ours, ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE);

    assertEquals(Files.size(theirs), Files.size(ours), "raw sizes; writes " + writes);
    assertEquals(-1, Files.mismatch(theirs, ours), "first differing byte; writes " + writes);
  }

  @Test
  void qemuImgAndLibvhdiReadOurDynamicAndFixedResultsAsTheSource(SeededRandom random)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 24 * MIB, Map.of(
        0L, Chains.randomBytes(64 * KIB, random.nextLong()),
        9L * MIB + 512, Chains.randomBytes(3 * MIB, random.nextLong()),
        24L * MIB - 4096, Chains.randomBytes(4096, random.nextLong())));
    Path dynamic = dir.resolve("dynamic.vhd");
    Path fixed = dir.resolve("fixed.vhd");
    VhdImages.convert(raw, dynamic, ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE);
    VhdImages.convert(raw, fixed, ConvertOptions.DEFAULT.to(Format.FIXED), Map.of(),
        VhdImages.Progress.NONE);

    for (Path image : List.of(dynamic, fixed)) {
      QemuTools.Exit exit = qemu.compare(image, raw);
      assertEquals(0, exit.code(), image.getFileName() + " in qemu-img: " + exit.describe());
      assertEquals(24L * MIB, qemu.virtualSize(image), image.getFileName() + " size in qemu");
    }
    Libvhdi libvhdi = Libvhdi.require();
    List<Window> windows = Libvhdi.chunks(24 * MIB, MIB);
    try (FileChannel ch = FileChannel.open(raw)) {
      List<String> expected = Libvhdi.hashes(ch, windows);
      for (Path image : List.of(dynamic, fixed)) {
        Libvhdi.Reading r = libvhdi.read(image, windows, BLOCK, dir);
        assertEquals(24L * MIB, r.mediaSize(), image.getFileName() + " size in libvhdi");
        assertEquals(expected, r.lines(), image.getFileName() + " in libvhdi");
      }
    }
  }

  // ---------------------------------------------------------------- zeros and holes

  @Test
  void rawWrittenOutAsZerosBecomesADynamicImageWithNoBlocks() throws IOException {
    Path raw = dir.resolve("zeros.raw");
    writeRaw(raw, 8 * MIB, Map.of(0L, new byte[8 * MIB]));
    Path vhd = dir.resolve("zeros.vhd");

    Conversion c = VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(0, c.bytesWritten());
    assertEquals(0, Chains.allocatedBlocks(vhd));
    assertEquals(8L * MIB, describe(vhd).get("virtualSize"));
  }

  @Test
  void rawResultIsSparse(SeededRandom random) throws IOException {
    Path probe = dir.resolve("probe");
    try (RandomAccessFile f = new RandomAccessFile(probe.toFile(), "rw")) {
      f.setLength(64 * MIB);
    }
    long probeBytes = QemuTools.allocatedBytes(probe);
    org.junit.jupiter.api.Assumptions.assumeTrue(probeBytes < MIB,
        "the temp directory's file system does not keep holes (a 64 MiB hole takes "
            + probeBytes + " bytes)");
    Files.delete(probe);
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 64 * MIB, BLOCK);
    Chains.write(vhd, 30 * MIB, Chains.randomBytes(MIB, random.nextLong()));
    Path raw = dir.resolve("disk.raw");

    VhdImages.convert(vhd, raw, ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE);

    assertEquals(64 * MIB, Files.size(raw));
    long allocated = QemuTools.allocatedBytes(raw);
    assertTrue(allocated <= 2 * MIB, "a 64 MiB raw result with 1 MiB of data takes "
        + allocated + " bytes on the host");
    assertSameBytes(Chains.readDisk(vhd), Files.readAllBytes(raw), 0, "the raw result");
  }

  // ---------------------------------------------------------------- sizes

  @Test
  void aRawSizeThatIsNotASectorIsRoundedUpToOneAndNoFurther(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("odd.raw");
    byte[] bytes = Chains.randomBytes(3 * MIB + 100, random.nextLong());
    Files.write(raw, bytes);
    Path vhd = dir.resolve("odd.vhd");

    Conversion c = VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(3L * MIB + 512, c.size());
    byte[] disk = Chains.readDisk(vhd);
    assertSameBytes(bytes, java.util.Arrays.copyOf(disk, bytes.length), 0, "the data");
    assertEquals(-1, java.util.Arrays.mismatch(new byte[412], 0, 412, disk, bytes.length,
        disk.length), "the padding of the last sector reads as zeros");
    assertEquals("65535/16/255", describe(vhd).get("geometry"),
        "a size no CHS geometry spans is kept with the geometry that says: use the size field");
    QemuTools.find().ifPresent(q -> assertEquals(3L * MIB + 512, q.virtualSize(vhd)));
  }

  @Test
  void aSizeThatIsAGeometryKeepsThatGeometry() throws IOException {
    long size = 2_088_960; // 60/4/17, the spec's floor geometry for 2 MiB
    assertEquals(size, VhdCreator.createdSize(size, false), "fixture: a CHS product");
    Path raw = dir.resolve("chs.raw");
    writeRaw(raw, size, Map.of(size - 1, new byte[] {1}));
    Path vhd = dir.resolve("chs.vhd");

    Conversion c = VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(size, c.size());
    assertEquals("60/4/17", describe(vhd).get("geometry"));
    QemuTools.find().ifPresent(q -> assertEquals(size, q.virtualSize(vhd)));
  }

  @Test
  void azureResultIsFixedWithASizeRoundedUpToAWholeMibAndKeptExact(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    byte[] bytes = Chains.randomBytes(10 * MIB + 1000, random.nextLong());
    Files.write(raw, bytes);
    Path vhd = dir.resolve("azure.vhd");

    Conversion c = VhdImages.convert(raw, vhd, new ConvertOptions(null, 0, true, false),
        Map.of(), VhdImages.Progress.NONE);

    long size = 11L * MIB;
    assertEquals("fixed", c.type());
    assertEquals(size, c.size());
    assertEquals(size + 512, Files.size(vhd), "file size = size + 512");
    long footer = Files.size(vhd) - 512;
    assertEquals(2, HostBytes.readInt(vhd, footer + VhdImageBuilder.F_DISK_TYPE), "type 2");
    assertEquals(size, HostBytes.readLong(vhd, footer + VhdImageBuilder.F_CURRENT_SIZE));
    assertEquals(0xFFFF_10FF, HostBytes.readInt(vhd, footer + VhdImageBuilder.F_GEOMETRY),
        "geometry 65535/16/255");
    byte[] disk = Chains.readDisk(vhd);
    assertSameBytes(bytes, java.util.Arrays.copyOf(disk, bytes.length), 0, "the data");
    QemuTools.find().ifPresent(q -> assertEquals(size, q.virtualSize(vhd), q.infoJson(vhd)));
  }

  @Test
  void aVhdResultLargerThanTheFormatAllowsIsRefusedBeforeAnythingIsWritten()
      throws IOException {
    Path raw = dir.resolve("huge.raw");
    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.setLength(2041L << 30);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.convert(raw, dir.resolve("huge.vhd"), ConvertOptions.DEFAULT, Map.of(),
            VhdImages.Progress.NONE));
    assertTrue(e.getMessage().contains("2040 GiB"), e.getMessage());
    assertEquals(Set.of("huge.raw"), names(dir));
  }

  // ---------------------------------------------------------------- the destination's name

  @Test
  void anExistingDestinationIsRefusedUnlessReplacing(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    byte[] bytes = Chains.randomBytes(MIB, random.nextLong());
    Files.write(raw, bytes);
    Path dst = dir.resolve("disk.vhd");
    Files.writeString(dst, "mine");

    assertThrows(FileAlreadyExistsException.class, () -> VhdImages.convert(raw, dst,
        ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE));
    assertEquals("mine", Files.readString(dst));
    assertEquals(Set.of("disk.raw", "disk.vhd"), names(dir));

    VhdImages.convert(raw, dst, new ConvertOptions(null, 0, false, true), Map.of(),
        VhdImages.Progress.NONE);
    assertSameBytes(bytes, Chains.readDisk(dst), 0, "the replaced destination");
    assertEquals(Set.of("disk.raw", "disk.vhd"), names(dir));
  }

  @Test
  void aDestinationInAMissingDirectoryIsNamedInTheError() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);
    Path dst = dir.resolve("missing").resolve("disk.vhd");

    java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class,
        () -> VhdImages.convert(raw, dst, ConvertOptions.DEFAULT, Map.of(),
            VhdImages.Progress.NONE));
    assertEquals(dst.toString(), e.getFile());
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  @Test
  void aDestinationThatAppearsDuringTheConversionIsNotReplaced(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(3 * MIB, random.nextLong()));
    Path dst = dir.resolve("disk.vhd");

    assertThrows(FileAlreadyExistsException.class, () -> VhdImages.convert(raw, dst,
        ConvertOptions.DEFAULT, Map.of(), (done, total) -> {
          if (!Files.exists(dst)) {
            write(dst, "someone else's");
          }
        }));
    assertEquals("someone else's", Files.readString(dst));
    assertEquals(Set.of("disk.raw", "disk.vhd"), names(dir));
  }

  @Test
  void aSourceTruncatedMidwayLeavesNoDestinationAndNoTemporaryFile(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    // Longer than the conversion reads ahead of its writes, so the cut is met midway.
    Files.write(raw, Chains.randomBytes(32 * MIB, random.nextLong()));
    Path dst = dir.resolve("disk.vhd");

    IOException e = assertThrows(IOException.class, () -> VhdImages.convert(raw, dst,
        ConvertOptions.DEFAULT, Map.of(), (done, total) -> {
          assertTrue(names(dir).stream().anyMatch(n -> n.startsWith(".disk.vhd.part-")),
              "the result is written under a temporary name: " + names(dir));
          truncate(raw, MIB);
        }));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  @Test
  void aProgressListenerThatThrowsCancelsAndLeavesNothing(SeededRandom random)
      throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 8 * MIB, BLOCK);
    Chains.write(vhd, 0, Chains.randomBytes(8 * MIB, random.nextLong()));
    for (Format format : Format.values()) {
      Path dst = dir.resolve("out-" + format);
      IllegalStateException cancel = new IllegalStateException("cancelled");
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> VhdImages.convert(vhd, dst, ConvertOptions.DEFAULT.to(format), Map.of(),
              (done, total) -> {
                if (done > 2 * MIB) {
                  throw cancel;
                }
              }));
      assertEquals(cancel, e, format.toString());
      assertEquals(Set.of("disk.vhd"), names(dir), format.toString());
    }
  }

  @Test
  void anInterruptedConversionStopsAndLeavesNothing(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(8 * MIB, random.nextLong()));
    Path dst = dir.resolve("disk.vhd");
    try {
      IOException e = assertThrows(IOException.class, () -> VhdImages.convert(raw, dst,
          ConvertOptions.DEFAULT, Map.of(), (done, total) -> Thread.currentThread().interrupt()));
      assertTrue(e instanceof InterruptedIOException || e instanceof ClosedByInterruptException,
          e.toString());
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept");
    } finally {
      Thread.interrupted();
    }
    assertEquals(Set.of("disk.raw"), names(dir));
  }

  @Test
  void aDestinationThatFillsUpLeavesNoDestinationAndNoTemporaryFile(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(8 * MIB, random.nextLong()));
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix().toBuilder()
        .setMaxSize(4 * MIB).build())) {
      Path out = Files.createDirectories(jimfs.getPath("/out"));
      for (Format format : Format.values()) {
        Path dst = out.resolve("disk-" + format);
        assertThrows(IOException.class, () -> VhdImages.convert(raw, dst,
            ConvertOptions.DEFAULT.to(format), Map.of(), VhdImages.Progress.NONE), "" + format);
        try (Stream<Path> left = Files.list(out)) {
          assertEquals(List.of(), left.toList(), format + ": nothing left in the full directory");
        }
      }
    }
  }

  @Test
  void aResultOnAnotherHostFileSystemReadsAsTheSource(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 6 * MIB, Map.of(2L * MIB, Chains.randomBytes(5000, random.nextLong())));
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path out = Files.createDirectories(jimfs.getPath("/out"));
      Path vhd = out.resolve("disk.vhd");
      Path back = out.resolve("back.raw");
      VhdImages.convert(raw, vhd, ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE);
      VhdImages.convert(vhd, back, ConvertOptions.DEFAULT, Map.of(), VhdImages.Progress.NONE);
      assertSameBytes(Files.readAllBytes(raw), Files.readAllBytes(back), 0, "raw, vhd, raw");
      try (Stream<Path> left = Files.list(out)) {
        assertEquals(List.of(back, vhd), left.sorted().toList());
      }
    }
  }

  @Test
  void progressCoversTheWholeDiskInOrder(SeededRandom random) throws IOException {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 5 * MIB + 512, Map.of(0L, Chains.randomBytes(100, random.nextLong())));
    List<long[]> seen = new ArrayList<>();

    VhdImages.convert(raw, dir.resolve("disk.vhd"), ConvertOptions.DEFAULT, Map.of(),
        (done, total) -> seen.add(new long[] {done, total}));

    assertFalse(seen.isEmpty());
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i)[0] > seen.get(i - 1)[0], "progress goes forward");
    }
    assertEquals(5L * MIB + 512, seen.get(seen.size() - 1)[0], "and ends at the disk's end");
    assertEquals(5L * MIB + 512, seen.get(seen.size() - 1)[1]);
  }

  @Test
  void optionsThatContradictEachOtherAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new ConvertOptions(Format.DYNAMIC, 0, true, false));
    assertThrows(IllegalArgumentException.class,
        () -> new ConvertOptions(Format.DYNAMIC, 3000, false, false));
    assertNotEquals(null, new ConvertOptions(Format.FIXED, 0, true, false));
  }

  // ---------------------------------------------------------------- links (issue 10)

  @Test
  void aLinkIsWrittenThroughItsTargetStagedBesideTheTargetAndTheLinkStays(SeededRandom random)
      throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, BLOCK);
    Chains.write(vhd, MIB + 5, Chains.randomBytes(10_000, random.nextLong()));
    Path out = Files.createDirectory(dir.resolve("out"));
    Path target = Files.writeString(out.resolve("target.raw"), "old");
    Path links = Files.createDirectory(dir.resolve("links"));
    Path link = Files.createSymbolicLink(links.resolve("link.raw"),
        Path.of("..", "out", "target.raw"));
    List<Set<String>> seen = new ArrayList<>();

    VhdImages.convert(vhd, link, new ConvertOptions(Format.RAW, 0, false, true), Map.of(),
        (done, total) -> seen.add(names(out)));

    assertTrue(Files.isSymbolicLink(link), "the link is still a link");
    assertEquals(Path.of("..", "out", "target.raw"), Files.readSymbolicLink(link));
    assertSameBytes(Chains.readDisk(vhd), Files.readAllBytes(target), 0, "the link's target");
    assertFalse(seen.isEmpty());
    assertTrue(seen.get(0).stream().anyMatch(n -> n.startsWith(".target.raw.part-")),
        "staged beside the target: " + seen.get(0));
    assertEquals(Set.of("link.raw"), names(links), "nothing staged beside the link");
    assertEquals(Set.of("target.raw"), names(out));
  }

  @Test
  void aLinkToAnExistingFileIsRefusedUnlessReplacingAndTheFileIsKept(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, Chains.randomBytes(MIB, random.nextLong()));
    Path target = Files.writeString(dir.resolve("target.vhd"), "mine");
    Path link = Files.createSymbolicLink(dir.resolve("link.vhd"), target.getFileName());

    FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
        () -> VhdImages.convert(raw, link, ConvertOptions.DEFAULT, Map.of(),
            VhdImages.Progress.NONE));

    assertEquals(target.toRealPath().toString(), e.getFile(), "names the file that exists");
    assertEquals(link.toString(), e.getOtherFile(), "and the link that led there");
    assertEquals("mine", Files.readString(target));
    assertEquals(target.getFileName(), Files.readSymbolicLink(link));
    assertEquals(Set.of("disk.raw", "link.vhd", "target.vhd"), names(dir));
  }

  @Test
  void aChainOfLinksEndingInNothingLeadsToTheFileItNames(SeededRandom random)
      throws IOException {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 3 * MIB, Map.of(MIB + 100L, Chains.randomBytes(5000, random.nextLong())));
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path last = Files.createSymbolicLink(sub.resolve("b.vhd"), Path.of("final.vhd"));
    Path first = Files.createSymbolicLink(dir.resolve("a.vhd"), last.toAbsolutePath());
    assertFalse(Files.exists(first), "fixture: a dangling chain");

    Conversion c = VhdImages.convert(raw, first, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);

    assertEquals(first, c.destination());
    assertEquals(Path.of("final.vhd"), Files.readSymbolicLink(last));
    assertEquals(last.toAbsolutePath(), Files.readSymbolicLink(first));
    assertTrue(Files.isRegularFile(sub.resolve("final.vhd"), LinkOption.NOFOLLOW_LINKS));
    assertSameBytes(Files.readAllBytes(raw), Chains.readDisk(first), 0, "read through the links");
    assertEquals(Set.of("b.vhd", "final.vhd"), names(sub));
  }

  @Test
  void aDanglingLinkIntoAMissingDirectoryIsNamedInTheError() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);
    Path link = Files.createSymbolicLink(dir.resolve("link.vhd"),
        Path.of("missing", "disk.vhd"));

    NoSuchFileException e = assertThrows(NoSuchFileException.class,
        () -> VhdImages.convert(raw, link, ConvertOptions.DEFAULT, Map.of(),
            VhdImages.Progress.NONE));

    assertEquals(link.toString(), e.getFile());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
    assertEquals(Set.of("disk.raw", "link.vhd"), names(dir));
  }

  @Test
  void aLoopOfLinksIsRefusedAndLeftAsItIs() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[4096]);
    Path a = Files.createSymbolicLink(dir.resolve("a.vhd"), Path.of("b.vhd"));
    Files.createSymbolicLink(dir.resolve("b.vhd"), Path.of("a.vhd"));

    FileSystemException e = assertThrows(FileSystemException.class,
        () -> VhdImages.convert(raw, a, new ConvertOptions(null, 0, false, true), Map.of(),
            VhdImages.Progress.NONE));

    assertEquals(a.toString(), e.getFile(), e.toString());
    assertEquals(Path.of("b.vhd"), Files.readSymbolicLink(a));
    assertEquals(Path.of("a.vhd"), Files.readSymbolicLink(dir.resolve("b.vhd")));
    assertEquals(Set.of("a.vhd", "b.vhd", "disk.raw"), names(dir));
  }

  // ---------------------------------------------------------------- FIFOs, devices, channels

  @Test
  void aFifoTakesARawResultInOrderWithItsZerosWrittenOut(SeededRandom random) throws Exception {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 9 * MIB, BLOCK);
    Chains.write(vhd, 3 * MIB - 7, Chains.randomBytes(20_000, random.nextLong()));
    Chains.write(vhd, 9 * MIB - 512, Chains.randomBytes(512, random.nextLong()));
    Path received = dir.resolve("received.raw");
    Conversion c;
    try (Fifo fifo = Fifo.readInto(dir.resolve("pipe"), received)) {
      c = VhdImages.convert(vhd, fifo.path(), ConvertOptions.DEFAULT, Map.of(),
          VhdImages.Progress.NONE);
      fifo.awaitCopy();
    }

    assertEquals("raw", c.type());
    assertEquals(9L * MIB, Files.size(received), "every byte, holes as zeros");
    assertSameBytes(Chains.readDisk(vhd), Files.readAllBytes(received), 0, "what the FIFO gave");
    assertEquals(6 * 4096 + 4096, c.bytesWritten(),
        "data counted as for a file, the 4 KiB pages it touches; not the zeros");
    assertEquals(FIFO, fileType(dir.resolve("pipe")), "the FIFO is still a FIFO");
    assertEquals(Set.of("disk.vhd", "pipe", "received.raw"), names(dir), "no temporary file");
  }

  @Test
  void aFifoTakesAFixedResultThatIsTheDiskAndThenItsFooter(SeededRandom random)
      throws Exception {
    Path raw = dir.resolve("disk.raw");
    writeRaw(raw, 5 * MIB + 1000, Map.of(
        0L, Chains.randomBytes(700, random.nextLong()),
        4L * MIB, Chains.randomBytes(MIB, random.nextLong())));
    Path received = dir.resolve("received.vhd");
    Conversion c;
    try (Fifo fifo = Fifo.readInto(dir.resolve("pipe"), received)) {
      c = VhdImages.convert(raw, fifo.path(), ConvertOptions.DEFAULT.to(Format.FIXED), Map.of(),
          VhdImages.Progress.NONE);
      fifo.awaitCopy();
    }

    long size = 5L * MIB + 1024;
    assertEquals("fixed", c.type());
    assertEquals(size, c.size(), "rounded up to a whole sector");
    assertEquals(size + 512, Files.size(received), "the disk and the footer, nothing else");
    byte[] file = Files.readAllBytes(received);
    assertSameBytes(Files.readAllBytes(raw), java.util.Arrays.copyOf(file, 5 * MIB + 1000), 0,
        "the disk from offset 0: no footer copy there");
    assertEquals("conectix", new String(file, (int) size, 8, StandardCharsets.US_ASCII));
    assertEquals(2, HostBytes.readInt(received, size + VhdImageBuilder.F_DISK_TYPE), "fixed");
    assertSameBytes(Files.readAllBytes(raw), java.util.Arrays.copyOf(Chains.readDisk(received),
        5 * MIB + 1000), 0, "the received image read as a VHD");
    QemuTools.find().ifPresent(q -> {
      QemuTools.Exit exit = q.compare(received, raw);
      assertEquals(0, exit.code(), "qemu-img reads it as the source: " + exit.describe());
    });
  }

  /**
   * Issue 10's {@code /dev/stdout}: a link to a link into {@code /proc/PID/fd}, which leads to a
   * pipe, not to a path. Replacing is asked for, yet the pipe is written in place and the links
   * stay. Here the pipe is the standard input of a {@code cat} that copies it to a file.
   */
  @Test
  void aLinkToAProcessesPipeIsWrittenInPlaceEvenWhenReplacing(SeededRandom random)
      throws IOException, InterruptedException {
    PeerRequirement.assumePresent(QemuTools.onPath("cat").isPresent(), "no cat (coreutils)");
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 5 * MIB, BLOCK);
    Chains.write(vhd, 4 * MIB + 1, Chains.randomBytes(6000, random.nextLong()));
    Path received = dir.resolve("received.raw");
    Process cat = new ProcessBuilder("cat").redirectOutput(received.toFile()).start();
    try {
      Path fd = Path.of("/proc", Long.toString(cat.pid()), "fd", "0");
      Assumptions.assumeTrue(Files.isSymbolicLink(fd), "no /proc/PID/fd links here");
      Path link = Files.createSymbolicLink(dir.resolve("stdout"), fd);

      Conversion c = VhdImages.convert(vhd, link, new ConvertOptions(null, 0, false, true),
          Map.of(), VhdImages.Progress.NONE);

      assertEquals("raw", c.type());
      assertEquals(fd, Files.readSymbolicLink(link), "the link stays");
    } finally {
      cat.getOutputStream().close(); // the last writer: cat sees the end and exits
      cat.waitFor();
    }
    assertEquals(0, cat.exitValue());
    assertSameBytes(Chains.readDisk(vhd), Files.readAllBytes(received), 0, "what cat got");
    assertEquals(Set.of("disk.vhd", "received.raw", "stdout"), names(dir), "no temporary file");
  }

  @Test
  void aDynamicResultForAFifoIsRefusedBeforeTheSourceIsReadAndTheFifoOpened()
      throws IOException {
    Path fifo = Fifo.make(dir.resolve("pipe"));
    Path raw = dir.resolve("disk.raw");
    byte[] bytes = new byte[8 * KIB];
    java.util.Arrays.fill(bytes, (byte) 0x11);
    Files.write(raw, bytes);
    // The test's own read-write end: an open for writing does not wait, and what was written
    // would be in the pipe.
    try (FileChannel ends = FileChannel.open(fifo, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      FileSystemException asked = assertThrows(FileSystemException.class,
          () -> VhdImages.convert(dir.resolve("no-such-source"), fifo,
              ConvertOptions.DEFAULT.to(Format.DYNAMIC), Map.of(), VhdImages.Progress.NONE));
      FileSystemException byDefault = assertThrows(FileSystemException.class,
          () -> VhdImages.convert(raw, fifo, ConvertOptions.DEFAULT, Map.of(),
              (done, total) -> fail("the source's disk is read")));

      for (FileSystemException e : List.of(asked, byDefault)) {
        assertEquals(fifo.toString(), e.getFile());
        assertTrue(e.getMessage().contains("a dynamic VHD cannot be written into a FIFO"),
            e.getMessage());
        assertTrue(e.getMessage().contains("raw or fixed"), e.getMessage());
      }
      ends.write(ByteBuffer.wrap(new byte[] {0x5A}));
      ByteBuffer first = ByteBuffer.allocate(1);
      ends.read(first);
      assertEquals(0x5A, first.get(0), "nothing was written into the FIFO before the test's byte");
    }
    assertEquals(FIFO, fileType(fifo));
  }

  @Test
  void aCharacterDeviceAndALinkToOneAreWrittenInPlaceWithoutReplacing(SeededRandom random)
      throws IOException {
    Path devNull = Path.of("/dev/null");
    Assumptions.assumeTrue(fileType(devNull) == CHARACTER_DEVICE, "no /dev/null device here");
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 6 * MIB, BLOCK);
    Chains.write(vhd, 2 * MIB, Chains.randomBytes(MIB, random.nextLong()));
    Path link = Files.createSymbolicLink(dir.resolve("null.raw"), devNull);

    // Not replacing: were /dev/null taken for a file to replace, it would be refused, not lost.
    Conversion raw = VhdImages.convert(vhd, devNull, ConvertOptions.DEFAULT, Map.of(),
        VhdImages.Progress.NONE);
    Conversion fixed = VhdImages.convert(vhd, link, ConvertOptions.DEFAULT.to(Format.FIXED),
        Map.of(), VhdImages.Progress.NONE);

    assertEquals("raw", raw.type());
    assertEquals(MIB, raw.bytesWritten());
    assertEquals("fixed", fixed.type());
    assertEquals(CHARACTER_DEVICE, fileType(devNull), "/dev/null is still the device");
    assertEquals(devNull, Files.readSymbolicLink(link), "the link is still a link to it");
    assertThrows(FileSystemException.class, () -> VhdImages.convert(vhd, link,
        ConvertOptions.DEFAULT.to(Format.DYNAMIC), Map.of(), VhdImages.Progress.NONE));
    assertEquals(Set.of("disk.vhd", "null.raw"), names(dir));
  }

  @Test
  void aBlockDeviceTakesTheResultFromItsStartAndKeepsWhatLiesPastIt(SeededRandom random)
      throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 4 * MIB, 512 * KIB);
    Chains.write(vhd, MIB + 300, Chains.randomBytes(70_000, random.nextLong()));
    Path backing = dir.resolve("device.img");
    byte[] old = new byte[8 * MIB];
    java.util.Arrays.fill(old, (byte) 0xEE);
    Files.write(backing, old);

    Conversion c;
    try (LoopDevice device = LoopDevice.attach(backing)) {
      assertEquals(BLOCK_DEVICE, fileType(device.path()), "fixture: a block device");
      c = VhdImages.convert(vhd, device.path(), ConvertOptions.DEFAULT, Map.of(),
          VhdImages.Progress.NONE);
      assertEquals(BLOCK_DEVICE, fileType(device.path()), "still the device");
    }

    assertEquals(4L * MIB, c.size());
    byte[] now = Files.readAllBytes(backing);
    assertSameBytes(Chains.readDisk(vhd), java.util.Arrays.copyOf(now, 4 * MIB), 0,
        "the device's first 4 MiB, its old bytes overwritten by the disk's zeros too");
    assertSameBytes(java.util.Arrays.copyOfRange(old, 4 * MIB, 8 * MIB),
        java.util.Arrays.copyOfRange(now, 4 * MIB, 8 * MIB), 4 * MIB, "the device past the disk");
    assertEquals(Set.of("device.img", "disk.vhd"), names(dir));
  }

  @Test
  void aBlockDeviceSmallerThanTheResultIsRefusedBeforeAnythingIsWritten(SeededRandom random)
      throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 2 * MIB, 512 * KIB);
    Chains.write(vhd, 0, Chains.randomBytes(2 * MIB, random.nextLong()));
    Path backing = dir.resolve("device.img");
    byte[] old = new byte[2 * MIB];
    java.util.Arrays.fill(old, (byte) 0xEE);
    Files.write(backing, old);

    try (LoopDevice device = LoopDevice.attach(backing)) {
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> VhdImages.convert(vhd, device.path(), ConvertOptions.DEFAULT.to(Format.FIXED),
              Map.of(), (done, total) -> fail("the source's disk is read")));
      assertEquals(device.path().toString(), e.getFile());
      assertTrue(e.getMessage().contains("holds " + 2 * MIB + " bytes, too few for the "
          + (2 * MIB + 512) + "-byte result"), e.getMessage());
    }

    assertEquals(-1, java.util.Arrays.mismatch(old, Files.readAllBytes(backing)),
        "the device is as it was");
  }

  @Test
  void aChannelTakesARawOrFixedResultInOrderAndIsLeftOpen(SeededRandom random)
      throws IOException {
    Path vhd = dir.resolve("disk.vhd");
    Chains.createDynamic(vhd, 3 * MIB, BLOCK);
    Chains.write(vhd, 2 * MIB + 1, Chains.randomBytes(9000, random.nextLong()));
    byte[] disk = Chains.readDisk(vhd);
    ByteArrayOutputStream rawBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream fixedBytes = new ByteArrayOutputStream();
    try (WritableByteChannel rawOut = Channels.newChannel(rawBytes);
        WritableByteChannel fixedOut = Channels.newChannel(fixedBytes)) {
      Conversion raw = VhdImages.convert(vhd, rawOut, ConvertOptions.DEFAULT, Map.of(),
          VhdImages.Progress.NONE);
      Conversion fixed = VhdImages.convert(vhd, fixedOut, ConvertOptions.DEFAULT.to(Format.FIXED),
          Map.of(), VhdImages.Progress.NONE);

      assertTrue(rawOut.isOpen() && fixedOut.isOpen(), "the caller's channels stay open");
      assertEquals(null, raw.destination());
      assertEquals("raw", raw.type());
      assertEquals("fixed", fixed.type());
    }

    assertSameBytes(disk, rawBytes.toByteArray(), 0, "the raw stream");
    byte[] f = fixedBytes.toByteArray();
    assertEquals(3 * MIB + 512, f.length);
    assertSameBytes(disk, java.util.Arrays.copyOf(f, 3 * MIB), 0, "the fixed stream's disk");
    Path written = Files.write(dir.resolve("fixed.vhd"), f);
    assertEquals("fixed", describe(written).get("type"));
    assertSameBytes(disk, Chains.readDisk(written), 0, "the fixed stream read as a VHD");
  }

  @Test
  void aDynamicResultForAChannelIsRefusedBeforeTheSourceIsRead() throws IOException {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[64 * KIB]);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    WritableByteChannel out = Channels.newChannel(bytes);

    IllegalArgumentException asked = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.convert(dir.resolve("no-such-source"), out,
            ConvertOptions.DEFAULT.to(Format.DYNAMIC), Map.of(), VhdImages.Progress.NONE));
    IllegalArgumentException byDefault = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.convert(raw, out, ConvertOptions.DEFAULT, Map.of(),
            (done, total) -> fail("the source's disk is read")));

    for (IllegalArgumentException e : List.of(asked, byDefault)) {
      assertTrue(e.getMessage().contains("a dynamic VHD cannot be written into a stream"),
          e.getMessage());
    }
    assertEquals(0, bytes.size(), "nothing written");
    assertTrue(out.isOpen());
  }

  // ---------------------------------------------------------------- helpers

  /** A sparse raw file of {@code size} bytes with {@code writes} at their offsets. */
  private static void writeRaw(Path raw, long size, Map<Long, byte[]> writes)
      throws IOException {
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      for (Map.Entry<Long, byte[]> w : new java.util.TreeMap<>(writes).entrySet()) {
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

  private static Map<String, Object> describe(Path image) throws IOException {
    return VhdImages.describe(image, Map.of());
  }

  /** The bytes some image of the chain stores, by the extent map. */
  private static long dataBytes(Path image) throws IOException {
    return VhdImages.extents(image, Map.of()).stream().filter(VhdImages.Extent::data)
        .mapToLong(VhdImages.Extent::length).sum();
  }

  private static Set<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void truncate(Path file, long size) {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
      ch.truncate(size);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static final int FIFO = 0010000;
  private static final int CHARACTER_DEVICE = 0020000;
  private static final int BLOCK_DEVICE = 0060000;

  /** The file-type bits of {@code file}'s Unix mode, its links followed. */
  private static int fileType(Path file) throws IOException {
    return (Integer) Files.getAttribute(file, "unix:mode") & 0170000;
  }
}
