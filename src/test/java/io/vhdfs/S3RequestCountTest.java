package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.S3Requests;
import io.vhdfs.testing.S3Requests.Kind;
import io.vhdfs.testing.S3Requests.Request;
import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
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
 * 32 MiB dynamic VHD whose allocated blocks make a 10 MiB object, opened read-only and read
 * sequentially a MiB at a time. The counts are printed (the bound, one HEAD plus one GET
 * per 8 MiB of data, is pinned once the block cache exists); what is asserted is that the bytes
 * are right and that a read-only open only ever reads the image's own object.
 */
final class S3RequestCountTest {
  private static final int MIB = 1 << 20;
  private static final int DISK = 32 * MIB;
  private static final int BLOCK = 2 * MIB;

  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Test
  void openingAndReadingA32MibDynamicVhdOnlyReadsItsObject() throws IOException {
    byte[] content = new byte[DISK];
    // Five of the sixteen 2 MiB blocks hold data: a 10 MiB object, as in the issue.
    for (int block : new int[] {0, 3, 7, 8, 15}) {
      System.arraycopy(Chains.randomBytes(BLOCK, block), 0, content, block * BLOCK, BLOCK);
    }
    Path image = S3.putVhd(content, "dynamic");
    String key = image.getFileName().toString();
    long objectSize = Files.size(image);
    S3Requests requests = S3.requests();

    requests.clear();
    byte[] read = new byte[DISK];
    try (FileSystem vhd = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"));
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
      report(objectSize, opening, reading);
      for (List<Request> phase : List.of(opening, reading)) {
        for (Request r : phase) {
          assertTrue(r.key().equals(key) && (r.kind() == Kind.HEAD || r.kind() == Kind.GET),
              "a read-only open of " + key + " asked for " + r);
        }
      }
    }
    Chains.assertSameBytes(content, read, 0, "the disk read from S3");
  }

  private static void report(long objectSize, List<Request> opening, List<Request> reading) {
    System.out.printf("S3 requests for a %d MiB dynamic VHD in a %d-byte object:%n"
        + "  open (file system + channel): %s%n  sequential read, 1 MiB reads: %s%n"
        + "  the issue's bound for the whole: %d HEAD + %d GET%n",
        DISK / MIB, objectSize, summary(opening), summary(reading), 1,
        (objectSize + 8L * MIB - 1) / (8L * MIB));
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
