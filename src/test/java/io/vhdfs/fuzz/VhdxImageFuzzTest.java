package io.vhdfs.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Jazzer harness for VHDX (issue 12, item 5). A VHDX is at least a few MiB of mostly aligned
 * padding, too large for a fuzzer to mutate as a whole, so an input is a list of edits to a sound
 * image the test-side builder made: which structure (identifier, either header, either region
 * table, the metadata region, the BAT, the log, a block), where in it, and the byte to put there;
 * a leading flag byte can log the BAT sector first (a dirty log to replay) and make the headers'
 * and region tables' checksums right again after the edits, so the fuzzer reaches past them.
 *
 * <p>Whatever the edits, opening the image read-only through the provider reads every byte of the
 * disk (and lists its entries and attributes) or is refused with a {@link VhdFormatException}
 * naming the image; an image whose identifier no longer says {@code vhdxfile} may instead be
 * declined as no image of a known format. The image file never changes. {@code mvn verify} runs
 * the seeds in {@code VhdxImageFuzzTestInputs/}; the README says how to fuzz.
 */
final class VhdxImageFuzzTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 4L * MIB;
  private static final String NAME = "/images/fuzz.vhdx";
  private static final FileSystemProvider PROVIDER = FileSystemProvider.installedProviders()
      .stream().filter(p -> p.getScheme().equals("vhd")).findFirst()
      .orElseThrow(() -> new IllegalStateException("no installed provider for vhd:"));
  /** Flag bits of the first input byte. */
  private static final int DIRTY_LOG = 1;
  private static final int FIX_HEADERS = 2;
  private static final int FIX_REGIONS = 4;
  /** Each edit: area, offset (two bytes, little-endian), value. */
  private static final int EDIT = 4;
  private static final int MAX_EDITS = 512;

  /** The structures an edit can land in, as (start, length) in the sound image. */
  private static long[][] areas(Image img) {
    return new long[][] {
        {0, 64 * 1024},
        {VhdxImageBuilder.HEADER1, 4096},
        {VhdxImageBuilder.HEADER2, 4096},
        {VhdxImageBuilder.REGION_TABLE1, 64 * 1024},
        {VhdxImageBuilder.REGION_TABLE2, 64 * 1024},
        {img.metadataOffset(), 64 * 1024 + 64},
        {img.batOffset(), 64},
        {img.logOffset(), 8192},
        {img.blockOffset(0), 4096},
    };
  }

  /** The image an input describes. */
  static Image image(byte[] input) {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(SIZE).blockSize(MIB)
        .fill(0, 5000, 0x11).fill(2L * MIB + 512, 4096, 0x22);
    Image img = b.build();
    int flags = input.length > 0 ? input[0] : 0;
    if ((flags & DIRTY_LOG) != 0) {
      UUID log = new UUID(0x5eed, 0x106);
      byte[] sector = img.read(img.batOffset(), 4096);
      img.writeLogEntry(new LogEntrySpec(0, 1, 0, log, img.length(), img.length(),
          List.of(new DataUpdate(img.batOffset(), sector))));
      img.writeHeaders(log);
    }
    long[][] areas = areas(img);
    int edits = Math.min(MAX_EDITS, Math.max(0, (input.length - 1) / EDIT));
    for (int i = 0; i < edits; i++) {
      int at = 1 + i * EDIT;
      long[] area = areas[(input[at] & 0xff) % areas.length];
      int offset = ((input[at + 1] & 0xff) | (input[at + 2] & 0xff) << 8) % (int) area[1];
      img.put(area[0] + offset, new byte[] {input[at + 3]});
    }
    if ((flags & FIX_HEADERS) != 0) {
      img.fixHeaderChecksum(1);
      img.fixHeaderChecksum(2);
    }
    if ((flags & FIX_REGIONS) != 0) {
      img.fixRegionTableChecksum(1);
      img.fixRegionTableChecksum(2);
    }
    return img;
  }

  @FuzzTest
  void readsEveryByteOrRefuses(byte[] input) throws IOException {
    Image img = image(input);
    try (FileSystem host = Jimfs.newFileSystem(Configuration.unix())) {
      Path file = host.getPath(NAME);
      Files.createDirectories(file.getParent());
      img.writeTo(file);
      byte[] before = Files.readAllBytes(file);
      try (FileSystem fs = PROVIDER.newFileSystem(file, Map.of("accessMode", "readOnly"))) {
        Path disk = fs.getPath("/disk");
        Files.readAttributes(disk, "vhdx:*");
        Files.readAttributes(disk, BasicFileAttributes.class);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fs.getPath("/"))) {
          for (Path entry : entries) {
            Files.size(entry);
          }
        }
        readAll(disk);
      } catch (VhdFormatException e) {
        if (!e.getMessage().contains(NAME)) {
          throw new AssertionError("a refusal that does not name the image: " + e, e);
        }
      } catch (UnsupportedOperationException e) {
        if (Arrays.equals(img.read(0, 8), "vhdxfile".getBytes(java.nio.charset.StandardCharsets
            .US_ASCII))) {
          throw new AssertionError("a VHDX declined as no image: " + e, e);
        }
      } catch (IOException e) {
        // A differencing flag edited in names a parent that is not there; nothing else may fail.
        if (!String.valueOf(e.getMessage()).contains("parent")) {
          throw new AssertionError(e.toString(), e);
        }
      }
      assertArrayEquals(before, Files.readAllBytes(file), "reading changed the image file");
    }
  }

  private static void readAll(Path disk) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      long read = 0;
      // A huge size edited in is read at its ends only: the harness looks for crashes, not time.
      for (long at : size <= 16L * MIB ? new long[] {0} : new long[] {0, size - MIB}) {
        for (long p = at; p < Math.min(size, at + 16L * MIB); ) {
          buf.clear();
          int n = ch.read(buf, p);
          if (n < 0) {
            throw new AssertionError("end of disk at " + p + " of " + size);
          }
          p += n;
          read += n;
        }
      }
      assertEquals(true, read > 0 || size == 0);
    }
  }
}
