package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-option rules of nio-provider-notes.md §6 that apply to a read-only disk, checked on
 * the public {@code vhd:} path of an image made by the test-side builder (so they run without
 * QEMU too). Every expectation here is what {@code FileChannel.open} does for a plain file.
 */
final class DiskOpenOptionsTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;
  private Path image;
  private Path disk;
  private byte[] expected;

  @BeforeEach
  void makeImage() throws IOException {
    image = dir.resolve("options.vhd");
    byte[] written = new byte[2 * (int) MIB];
    Arrays.fill(written, (byte) 0x42);
    VhdImageBuilder built = VhdImageBuilder.dynamic(4 * MIB).write(1536, written);
    built.writeTo(image);
    expected = built.expectedDisk();
    disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  @Test
  void noOptionsMeansRead() throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      assertReadsDisk(ch);
      assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(512)));
    }
    try (FileChannel ch = FileChannel.open(disk)) {
      assertReadsDisk(ch);
    }
  }

  @Test
  void noFollowLinksIsAccepted() throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      assertReadsDisk(ch);
    }
  }

  @Test
  void createAndTruncateOptionsAreIgnoredOnReadOnlyOpens() throws IOException {
    byte[] imageBefore = Files.readAllBytes(image);
    for (OpenOption ignored : List.of(StandardOpenOption.CREATE, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, ignored)) {
        assertReadsDisk(ch);
      }
    }
    assertArrayEquals(imageBefore, Files.readAllBytes(image));
  }

  @Test
  void readWithAppendThrowsIllegalArgumentException() {
    assertThrows(IllegalArgumentException.class,
        () -> FileChannel.open(disk, StandardOpenOption.READ, StandardOpenOption.APPEND).close());
  }

  @Test
  void unknownOpenOptionThrowsUnsupportedOperationException() {
    OpenOption alien = new OpenOption() {
      @Override
      public String toString() {
        return "ALIEN";
      }
    };
    assertThrows(UnsupportedOperationException.class,
        () -> FileChannel.open(disk, Set.of(StandardOpenOption.READ, alien)).close());
  }

  @Test
  void filesReadAllBytesAndInputStreamReadTheDisk() throws IOException {
    assertArrayEquals(expected, Files.readAllBytes(disk));
    try (InputStream in = Files.newInputStream(disk)) {
      assertArrayEquals(expected, in.readAllBytes());
    }
  }

  private void assertReadsDisk(SeekableByteChannel ch) throws IOException {
    assertEquals(expected.length, ch.size());
    ByteBuffer all = ByteBuffer.allocate(expected.length);
    while (all.hasRemaining()) {
      assertTrue(ch.read(all) > 0, "disk ended early at " + all.position());
    }
    assertArrayEquals(expected, all.array());
  }
}
