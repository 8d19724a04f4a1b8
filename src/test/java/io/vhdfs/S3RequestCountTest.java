package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.S3Requests;
import io.vhdfs.testing.S3Requests.Kind;
import io.vhdfs.testing.S3Requests.Request;
import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What opening and reading an image in S3 costs in requests (issue 15, item 2): the issue's
 * 32 MiB dynamic VHD whose allocated blocks make a 10 MiB object, and a VHDX of the same disk,
 * opened read-only and read sequentially a MiB at a time. The bytes are right, a read-only open
 * only ever reads the image's own object, and the whole takes one HEAD and one GET per 8 MiB of
 * the object, each byte fetched once: for the VHD, whose object holds little more than its
 * 10 MiB of data, the bound of one HEAD plus one GET per 8 MiB of data. (The image is
 * held open from the file system's validation to its close, and read through the piece cache
 * on the host channel it was opened with; the provider fetches 8 MiB fragments, see
 * {@link S3TestBed}.) The requests are printed in order.
 */
final class S3RequestCountTest {
  private static final int MIB = 1 << 20;
  private static final int DISK = 32 * MIB;
  private static final int BLOCK = 2 * MIB;
  private static final int[] DATA_BLOCKS = {0, 3, 7, 8, 15};
  private static final int DATA = DATA_BLOCKS.length * BLOCK;

  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Test
  void openingAndReadingA32MibDynamicVhdOnlyReadsItsObject() throws IOException {
    byte[] content = content();
    measure("dynamic VHD", S3.putVhd(content, "dynamic"), content);
  }

  @Test
  void openingAndReadingA32MibDynamicVhdxOnlyReadsItsObject() throws IOException {
    byte[] content = content();
    measure("dynamic VHDX (2 MiB blocks)", S3.putVhdx(content, "block_size=2M"), content);
  }

  /** Five of the sixteen 2 MiB blocks hold data: a 10 MiB object, as in the issue. */
  private static byte[] content() {
    byte[] content = new byte[DISK];
    for (int block : DATA_BLOCKS) {
      System.arraycopy(Chains.randomBytes(BLOCK, block), 0, content, block * BLOCK, BLOCK);
    }
    return content;
  }

  private static void measure(String what, Path image, byte[] content) throws IOException {
    String key = image.getFileName().toString();
    long objectSize = Files.size(image);
    S3Requests requests = S3.requests();

    requests.clear();
    byte[] read = new byte[DISK];
    // By URI, which goes straight to the vhd provider: newFileSystem(image, env) would let the
    // JDK's zip provider try the object first (5 HEAD and 2 GET of up to 5 MiB on the way).
    URI uri = URI.create("vhd:" + image.toUri());
    try (FileSystem vhd = FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly"));
        FileChannel ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ)) {
      List<Request> opening = requests.all();
      requests.clear();
      ByteBuffer chunk = ByteBuffer.allocate(MIB);
      int n;
      int at = 0;
      while ((n = ch.read(chunk.clear())) != -1) {
        System.arraycopy(chunk.array(), 0, read, at, n);
        at += n;
      }
      assertEquals(DISK, at);
      List<Request> reading = requests.all();
      report(what, objectSize, opening, reading);
      for (List<Request> phase : List.of(opening, reading)) {
        for (Request r : phase) {
          assertTrue(r.key().equals(key) && (r.kind() == Kind.HEAD || r.kind() == Kind.GET),
              "a read-only open of " + key + " asked for " + r);
        }
      }
      List<Request> all = new java.util.ArrayList<>(opening);
      all.addAll(reading);
      long heads = all.stream().filter(r -> r.kind() == Kind.HEAD).count();
      List<Request> gets = all.stream().filter(r -> r.kind() == Kind.GET).toList();
      long bytes = gets.stream().mapToLong(Request::rangeLength).sum();
      assertEquals(1, heads, () -> "HEADs: " + all);
      assertTrue(gets.size() <= (objectSize + 8 * MIB - 1) / (8 * MIB),
          () -> gets.size() + " GETs for a " + objectSize + "-byte object: " + all);
      assertTrue(gets.stream().allMatch(r -> r.rangeLength() > 0) && bytes <= objectSize,
          () -> bytes + " bytes fetched of a " + objectSize + "-byte object: " + all);
    }
    Chains.assertSameBytes(content, read, 0, "the disk read from S3");
  }

  private static void report(String what, long objectSize, List<Request> opening,
      List<Request> reading) {
    System.out.printf("S3 requests for a %d MiB %s in a %d-byte object:%n"
        + "  open (file system + channel): %s%n  sequential read, 1 MiB reads: %s%n"
        + "  the issue's bound for the whole, one HEAD plus one GET per 8 MiB of the %d MiB of"
        + " data: %d HEAD + %d GET%n",
        DISK / MIB, what, objectSize, summary(opening), summary(reading), DATA / MIB,
        1, (DATA + 8 * MIB - 1) / (8 * MIB));
    System.out.println("  in order, open:");
    opening.forEach(r -> System.out.println("    " + r));
    System.out.println("  in order, read:");
    reading.forEach(r -> System.out.println("    " + r));
  }

  private static String summary(List<Request> requests) {
    int heads = 0;
    int gets = 0;
    long getBytes = 0;
    for (Request r : requests) {
      if (r.kind() == Kind.HEAD) {
        heads++;
      } else if (r.kind() == Kind.GET) {
        gets++;
        getBytes += Math.max(0, r.rangeLength());
      }
    }
    return heads + " HEAD, " + gets + " GET (" + getBytes + " bytes in ranges), "
        + (requests.size() - heads - gets) + " other";
  }
}
