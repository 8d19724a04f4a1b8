package io.vhdfs.fuzz;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vhdfs.nio.VhdImages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.opentest4j.AssertionFailedError;

/**
 * Jazzer harnesses: any bytes as an image file, opened and read, opened and written, and checked
 * with repair, through the public API only. Whatever the bytes, nothing may escape but a
 * {@link io.vhdfs.VhdFormatException} naming the image (or the provider's decline of a file with
 * no cookie), no input may take more than 5 s or a 128 MiB heap (set in the pom), and nothing
 * opened or repaired may lose a byte.
 *
 * <p>{@code mvn verify} runs each harness over its corpus: the seeds in
 * {@code VhdImageFuzzTestInputs/} (written by {@link SeedCorpus}: images made by qemu-img,
 * by this library and by the test-side builder, and a sample of the malformed-image cases) and
 * every finding under {@code VhdImageFuzzTestInputs/<harness>/}, where Jazzer puts the inputs
 * that failed while fuzzing. The README says how to fuzz one harness for a given time.
 */
final class VhdImageFuzzTest {

  /** What {@link VhdImages.Finding#code()} may be, as its javadoc lists them. */
  private static final Set<String> FINDING_CODES = Set.of("footer-lost", "footer-checksum",
      "footer-invalid", "footer-copy-missing", "footer-copies-differ", "short-footer",
      "header-location", "header-cookie", "header-checksum", "header-invalid", "table-location",
      "table-entries", "size", "locator", "entry-outside-file", "entry-truncated",
      "entry-over-footer", "entry-over-metadata", "entries-overlap", "orphan-space",
      "parent-missing", "parent-id-mismatch", "parent-chain", "more");

  /**
   * Opened read-only, the image shows its attributes, its entries and every byte of its disk
   * (the stored parts of a huge one) up to -1 at the size, or it is refused; the file is left
   * as it was either way.
   */
  @FuzzTest
  void readsEveryByteOrRefuses(byte[] input) throws IOException {
    try (FuzzedImage image = FuzzedImage.inMemory(input)) {
      try (FileSystem fs = image.open("readOnly")) {
        if (fs != null) {
          Path disk = fs.getPath("/disk");
          Files.readAttributes(disk, "vhd:*");
          Files.readAttributes(disk, BasicFileAttributes.class);
          try (DirectoryStream<Path> entries = Files.newDirectoryStream(fs.getPath("/"))) {
            for (Path entry : entries) {
              Files.size(entry);
            }
          }
          DiskContent.read(fs, image);
          VhdImages.describe(image.image(), image.env("readOnly"));
        }
      } catch (IOException e) {
        image.checkRefusal(e);
      }
      if (!image.unchanged()) {
        throw new AssertionFailedError("a read-only open changed the image file");
      }
    }
  }

  /**
   * Opened read-write, four writes inside the disk land, and after closing and reopening they
   * read back while every other byte reads as before; or the writable open is refused and the
   * file is left as it was.
   */
  @FuzzTest
  void writesReadBackAfterReopenOrOpenIsRefused(byte[] input) throws IOException {
    try (FuzzedImage image = FuzzedImage.inTemporaryDirectory(input)) {
      DiskContent before = null;
      try (FileSystem fs = image.open("readOnly")) {
        if (fs == null) {
          return; // declined, as it must be: no footer cookie
        }
        before = DiskContent.read(fs, image);
      } catch (IOException e) {
        image.checkRefusal(e);
      }
      Map<Long, byte[]> written = new LinkedHashMap<>();
      FileSystem fs;
      try {
        fs = image.open("readWrite");
      } catch (IOException e) {
        image.checkRefusal(e);
        if (!image.unchanged()) {
          throw new AssertionFailedError("a refused writable open changed the image file");
        }
        return;
      }
      try (fs; FileChannel ch = FileChannel.open(fs.getPath("/disk"), READ, WRITE)) {
        long size = ch.size();
        for (Map.Entry<Long, Integer> w : writes(size, input).entrySet()) {
          byte[] data = pattern(written.size(), w.getValue());
          ByteBuffer src = ByteBuffer.wrap(data);
          while (src.hasRemaining()) {
            if (ch.write(src, w.getKey() + src.position()) <= 0) {
              throw new AssertionFailedError("a write inside the disk wrote nothing");
            }
          }
          written.put(w.getKey(), data);
        }
      }
      try (FileSystem again = image.open("readOnly")) {
        try (FileChannel ch = FileChannel.open(again.getPath("/disk"))) {
          for (Map.Entry<Long, byte[]> w : written.entrySet()) {
            ByteBuffer got = ByteBuffer.allocate(w.getValue().length);
            while (got.hasRemaining() && ch.read(got, w.getKey() + got.position()) > 0) {
              // positional reads until the range is full
            }
            byte[] want = w.getValue().clone();
            boolean later = false;
            for (Map.Entry<Long, byte[]> v : written.entrySet()) {
              if (later) {
                DiskContent.overlay(want, w.getKey(), v.getKey(), v.getValue());
              }
              later |= v.getKey().equals(w.getKey());
            }
            int i = Arrays.mismatch(want, got.array());
            if (i >= 0) {
              throw new AssertionFailedError("virtual offset " + (w.getKey() + i)
                  + " does not read back as written after reopening");
            }
          }
        }
        DiskContent after = DiskContent.read(again, image);
        if (before != null) {
          before.assertSameAs(after, written, "after writes and reopening");
        }
      } catch (IOException e) {
        throw new AssertionFailedError("the image no longer opens after writing to it", e);
      }
    }
  }

  /**
   * {@code check --repair} reports findings with known codes and fixes what it calls repairable,
   * so a second check finds nothing repairable; it writes nothing when it repairs nothing, never
   * changes what an image that opened reads, and calls no image sound that does not open.
   */
  @FuzzTest
  void checkRepairKeepsDataAndLeavesNothingRepairable(byte[] input) throws IOException {
    try (FuzzedImage image = FuzzedImage.inTemporaryDirectory(input)) {
      DiskContent before = null;
      try (FileSystem fs = image.open("readOnly")) {
        if (fs != null) {
          before = DiskContent.read(fs, image);
        }
      } catch (IOException e) {
        image.checkRefusal(e);
      }
      VhdImages.Check check;
      try {
        check = VhdImages.check(image.image(), true, image.env(), VhdImages.Progress.NONE);
      } catch (IOException e) {
        image.checkRefusal(e);
        if (!image.unchanged()) {
          throw new AssertionFailedError("a refused check changed the image file");
        }
        return;
      }
      for (VhdImages.Finding f : check.findings()) {
        if (!FINDING_CODES.contains(f.code()) || f.offset() < -1 || f.meaning().isBlank()
            || f.repaired() && !f.repairable()) {
          throw new AssertionFailedError("malformed finding " + f);
        }
      }
      if (check.findings().isEmpty() && before == null) {
        throw new AssertionFailedError("check finds nothing wrong with an image that does not "
            + "open");
      }
      if (check.findings().stream().noneMatch(VhdImages.Finding::repaired)
          && !image.unchanged()) {
        throw new AssertionFailedError("check --repair changed the file but reports no repair: "
            + check.findings());
      }
      if (before != null) {
        try (FileSystem fs = image.open("readOnly")) {
          before.assertSameAs(DiskContent.read(fs, image), Map.of(), "after check --repair");
        } catch (IOException e) {
          throw new AssertionFailedError("an image that opened no longer opens after check "
              + "--repair: " + check.findings(), e);
        }
      }
      VhdImages.Check second = VhdImages.check(image.image(), false, image.env(),
          VhdImages.Progress.NONE);
      if (second.findings().stream().anyMatch(VhdImages.Finding::repairable)) {
        throw new AssertionFailedError("repairable findings left after check --repair: "
            + second.findings() + "; the repair reported " + check.findings());
      }
    }
  }

  /**
   * Offset to length of the writes: the start, across the middle, the end, and one placed and
   * sized by the input's hash, so inputs differ in where they write; all inside the disk.
   */
  private static Map<Long, Integer> writes(long size, byte[] input) {
    Map<Long, Integer> w = new LinkedHashMap<>();
    if (size == 0) {
      return w;
    }
    int hash = Arrays.hashCode(input);
    long[] starts = {0, Math.max(0, size / 2 - 1000), Math.max(0, size - 1500),
        Math.floorMod(hash, size)};
    int[] lengths = {3000, 3000, 1500, 1 + Math.floorMod(hash >>> 7, 9000)};
    for (int i = 0; i < starts.length; i++) {
      w.merge(starts[i], (int) Math.min(lengths[i], size - starts[i]), Math::max);
    }
    return w;
  }

  /** Bytes that differ from write to write and are rarely zero. */
  private static byte[] pattern(int write, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + write * 101 + 1);
    }
    return b;
  }
}
