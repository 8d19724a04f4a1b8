package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Fixtures for the write contract: images made by the library itself (env {@code create}, then
 * written through a channel) or by qemu-img, and the check that what a test wrote is stored in
 * the image, seen by a fresh file system and by qemu-img where it is installed.
 */
final class WritableImageSupport {
  private WritableImageSupport() {}

  /**
   * Creates an image with {@code FileSystems.newFileSystem(vhd URI, env)} ({@code exactSize} so
   * the disk is exactly {@code content.length} bytes), writes the sectors of {@code content} that
   * are not all zero through a write-only channel, closes the file system, and returns the disk
   * as {@code Path.of(uri)} gives it: the user's one-liner, whose file system is made on demand.
   *
   * @param blockSize the env value of {@code blockSize}, or null for the default
   * @return the image file (index 0) and its disk (index 1)
   */
  static Path[] created(Path dir, byte[] content, String type, String blockSize)
      throws IOException {
    Path image = Files.createTempDirectory(dir, "created-").resolve(type + ".vhd");
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    Map<String, String> env = new HashMap<>(Map.of("create", "true",
        "size", Integer.toString(content.length), "type", type, "exactSize", "true"));
    if (blockSize != null) {
      env.put("blockSize", blockSize);
    }
    try (FileSystem fs = FileSystems.newFileSystem(uri, env)) {
      Path disk = fs.getPath("/disk");
      assertEquals(content.length, Files.size(disk), "fixture: size of the created disk");
      try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
        writeNonZeroSectors(ch, content);
      }
    }
    return new Path[] {image, Path.of(uri)};
  }

  /** An image qemu-img converted from {@code content}, and its disk through the vhd: URI. */
  static Path[] qemuMade(Path dir, byte[] content, String subformat) throws IOException {
    Path image = QemuImageContractSupport.convert(dir, content, subformat);
    return new Path[] {image, Path.of(URI.create("vhd:" + image.toUri().getRawPath()))};
  }

  /** Writes every maximal run of sectors that are not all zero, so zero blocks stay sparse. */
  static void writeNonZeroSectors(FileChannel ch, byte[] content) throws IOException {
    int sectors = content.length / 512;
    int s = 0;
    while (s < sectors) {
      if (isZeroSector(content, s)) {
        s++;
        continue;
      }
      int e = s;
      while (e < sectors && !isZeroSector(content, e)) {
        e++;
      }
      ByteBuffer src = ByteBuffer.wrap(content, s * 512, (e - s) * 512);
      long at = s * 512L;
      while (src.hasRemaining()) {
        at += ch.write(src, at);
      }
      s = e;
    }
  }

  private static boolean isZeroSector(byte[] b, int sector) {
    for (int i = sector * 512; i < (sector + 1) * 512; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * With no channel open on the image: a new, unregistered file system on {@code image} reads
   * {@code expected}, and so does qemu-img where it is installed (the image is copied to
   * {@code scratch} first when it lives on another provider).
   */
  static void checkStored(Path image, byte[] expected, Path scratch) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      assertSame(expected, readAll(fs.getPath("/disk")), "a new file system on " + image);
    }
    Optional<QemuTools> found = QemuTools.find();
    if (found.isEmpty()) {
      return; // the peer check is optional here unless peers are required; the interop tests need it
    }
    QemuTools qemu = found.get();
    Path local = image;
    Path dir = Files.createTempDirectory(scratch, "stored-");
    if (image.getFileSystem() != FileSystems.getDefault()) {
      local = Files.copy(image, dir.resolve("copy.vhd"));
    }
    Path raw = dir.resolve("qemu.raw");
    qemu.convertToRaw(local, raw);
    assertSame(expected, Files.readAllBytes(raw), "qemu-img convert of " + image);
  }

  static byte[] readAll(Path disk) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long size = ch.size();
      assertTrue(size <= Integer.MAX_VALUE, "disk too big for a test: " + size);
      ByteBuffer all = ByteBuffer.allocate((int) size);
      while (all.hasRemaining()) {
        int n = ch.read(all, all.position());
        assertTrue(n > 0, "disk ended early at " + all.position());
      }
      return all.array();
    }
  }

  static void assertSame(byte[] expected, byte[] actual, String who) {
    assertEquals(expected.length, actual.length, "length of the disk " + who + " sees");
    int mismatch = Arrays.mismatch(expected, actual);
    if (mismatch >= 0) {
      fail("byte " + mismatch + " is " + actual[mismatch] + ", expected " + expected[mismatch]
          + ": " + who);
    }
  }
}
