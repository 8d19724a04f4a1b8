package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdFileSystemProvider;
import io.vhdfs.testing.Cli;
import io.vhdfs.testing.ImageHolder;
import io.vhdfs.testing.PeerRequirement;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QEMU's image locks: a vhdfs writer keeps qemu-img, qemu-io and qemu-nbd out and is kept out by
 * them, two JVMs exclude each other's writers, readers coexist, and the locks survive the other
 * channels vhdfs opens and closes on the same file.
 */
class ImageLockingTest {
  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  @TempDir Path dir;

  private Path newImage() throws IOException {
    Path image = dir.resolve("locked.vhd");
    FileSystems.newFileSystem(uri(image), Map.of("create", "true", "size", "16M", "exactSize", "true")).close();
    return image;
  }

  private static URI uri(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  private static SeekableByteChannel writer(Path image) throws IOException {
    return Files.newByteChannel(Path.of(uri(image)), StandardOpenOption.READ,
        StandardOpenOption.WRITE);
  }

  private static QemuTools.Exit qemuIoWrite(Path image) {
    QemuTools.require();
    return QemuTools.runForExit(TIMEOUT, List.of("qemu-io", "-f", "vpc", "-c",
        "write -P 0x77 0 4096", image.toString()));
  }

  private static QemuTools.Exit qemuImgInfo(Path image, String... extra) {
    QemuTools.require();
    List<String> cmd = new java.util.ArrayList<>(List.of("qemu-img", "info", "-f", "vpc"));
    cmd.addAll(List.of(extra));
    cmd.add(image.toString());
    return QemuTools.runForExit(TIMEOUT, cmd);
  }

  @Test
  void vhdfsWriterKeepsQemuIoFromWriting() throws IOException {
    Path image = newImage();
    try (SeekableByteChannel ch = writer(image)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      QemuTools.Exit exit = qemuIoWrite(image);
      assertNotEquals(0, exit.code(), "qemu-io wrote beside a vhdfs writer");
      assertTrue(exit.stderr().contains("Failed to get"), exit.stderr());
    }
    QemuTools.Exit after = qemuIoWrite(image);
    assertEquals(0, after.code(), "qemu-io refused after the writer closed: " + after.stderr());
  }

  @Test
  void vhdfsWriterKeepsQemuNbdFromServingTheImage() throws IOException {
    Path image = newImage();
    try (SeekableByteChannel ch = writer(image)) {
      ch.write(ByteBuffer.wrap(new byte[] {4}));
      QemuTools.Exit exit = startQemuNbd(image);
      assertNotEquals(0, exit.code(), "qemu-nbd served an image vhdfs is writing");
      assertTrue(exit.stderr().contains("Failed to get"), exit.stderr());
    } finally {
      stopQemuNbd(); // in case it started after all
    }
  }

  /** {@code qemu-nbd --fork --persistent} writable on {@code image}; its pid in nbd.pid. */
  private QemuTools.Exit startQemuNbd(Path image) {
    Optional<Path> nbd = QemuTools.onPath("qemu-nbd");
    PeerRequirement.assumePresent(nbd.isPresent(),
        "qemu-nbd not on PATH (Debian package qemu-utils)");
    return QemuTools.runForExit(TIMEOUT, List.of(nbd.get().toString(), "--fork", "--persistent",
        "-f", "vpc", "--socket=" + dir.resolve("nbd.sock"), "--pid-file=" + dir.resolve("nbd.pid"),
        image.toString()));
  }

  /** Ends the qemu-nbd {@link #startQemuNbd} started, if it did, and waits for it. */
  private void stopQemuNbd() throws IOException {
    Path pid = dir.resolve("nbd.pid");
    if (Files.exists(pid)) {
      ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(h -> {
        h.destroy();
        h.onExit().join();
      });
    }
  }

  @Test
  void vhdfsWriterKeepsQemuImgReadersOutUnlessForceShared() throws IOException {
    Path image = newImage();
    try (SeekableByteChannel ch = writer(image)) {
      QemuTools.Exit info = qemuImgInfo(image);
      assertNotEquals(0, info.code(), "qemu-img info read an image being written");
      assertTrue(info.stderr().contains("\"write\" lock"), info.stderr());
      assertEquals(0, qemuImgInfo(image, "-U").code(), "qemu-img info -U must still read");
    }
  }

  @Test
  void vhdfsReaderLetsQemuReadersInButNotWriters() throws IOException {
    Path image = newImage();
    try (SeekableByteChannel ch = Files.newByteChannel(Path.of(uri(image)))) {
      ch.read(ByteBuffer.allocate(512));
      QemuTools.Exit info = qemuImgInfo(image);
      assertEquals(0, info.code(), "a qemu-img reader beside a vhdfs reader: " + info.stderr());
      assertNotEquals(0, qemuIoWrite(image).code(), "qemu-io wrote beside a vhdfs reader");
    }
  }

  @Test
  void writerStaysLockedAfterOtherChannelsOfTheFileClose() throws IOException {
    Path image = newImage();
    try (SeekableByteChannel ch = writer(image)) {
      ch.write(ByteBuffer.wrap(new byte[] {9}));
      // Each of these opens and closes a channel of the image file in this JVM, which drops
      // every POSIX lock the process holds on it.
      try (FileSystem other = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
        assertEquals(16L << 20, Files.size(other.getPath("/disk")));
      }
      Files.size(Path.of(uri(image)));
      try (SeekableByteChannel second = Files.newByteChannel(Path.of(uri(image)))) {
        second.read(ByteBuffer.allocate(4096));
      }
      assertNotEquals(0, qemuIoWrite(image).code(), "the locks were lost with another channel");
    }
  }

  @Test
  void lastCloseReleasesTheLocks() throws IOException {
    Path image = newImage();
    SeekableByteChannel a = writer(image);
    SeekableByteChannel b = Files.newByteChannel(Path.of(uri(image)));
    a.close();
    assertNotEquals(0, qemuIoWrite(image).code(), "a reader is still open");
    b.close();
    assertEquals(0, qemuIoWrite(image).code(), "every channel is closed");
  }

  @Test
  void qemuNbdWriterRefusesVhdfsOpensAndNothingIsWritten() throws Exception {
    Path image = newImage();
    QemuTools.Exit started = startQemuNbd(image);
    assertEquals(0, started.code(), started.stderr());
    try {
      byte[] before = Files.readAllBytes(image);
      FileSystemException write = assertThrows(FileSystemException.class, () -> writer(image));
      assertTrue(write.getMessage().contains("another process has the image open for writing"),
          write.getMessage());
      assertThrows(FileSystemException.class,
          () -> Files.newByteChannel(Path.of(uri(image))).close(),
          "a reader must not read an image QEMU is writing unless locking=off");
      assertArrayEquals(before, Files.readAllBytes(image), "the refused opens changed the file");
      try (FileSystem fs = FileSystems.newFileSystem(image,
              Map.of("accessMode", "readOnly", "locking", "off"));
          SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/disk"))) {
        assertEquals(4096, ch.read(ByteBuffer.allocate(4096)), "locking=off reads anyway");
      }
    } finally {
      stopQemuNbd();
    }
    try (SeekableByteChannel ch = writer(image)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}));
    }
  }

  @Test
  void twoJvmsExcludeEachOthersWriters() throws Exception {
    Path image = newImage();
    try (ImageHolder other = ImageHolder.start(image, "write")) {
      assertEquals("holding", other.firstLine());
      FileSystemException e = assertThrows(FileSystemException.class, () -> writer(image));
      assertTrue(e.getMessage().contains("another process has the image open for writing"),
          e.getMessage());
    }
    try (SeekableByteChannel ch = writer(image);
        ImageHolder other = ImageHolder.start(image, "write")) {
      assertTrue(other.firstLine().startsWith("refused: ")
          && other.firstLine().contains("another process"), other.firstLine());
      ch.write(ByteBuffer.wrap(new byte[] {7}));
    }
  }

  @Test
  void toolReadCommandsAreRefusedBesideAWriterUnlessForceShared() throws Exception {
    Path image = newImage();
    try (ImageHolder other = ImageHolder.start(image, "write")) {
      assertEquals("holding", other.firstLine());
      for (String command : new String[] {"info", "map", "check"}) {
        Cli.Result refused = Cli.run(command, image.toString());
        assertEquals(2, refused.exitCode(), command + ": " + refused.err());
        assertTrue(refused.err().contains("another process has the image open for writing"),
            command + ": " + refused.err());
        Cli.Result shared = Cli.run(command, "-U", image.toString());
        assertTrue(shared.exitCode() <= 1, command + " -U: " + shared.err());
      }
      Path raw = dir.resolve("copy.raw");
      Cli.Result refused = Cli.run("convert", image.toString(), raw.toString());
      assertEquals(2, refused.exitCode(), refused.err());
      Cli.Result shared = Cli.run("convert", "-U", image.toString(), raw.toString());
      assertEquals(0, shared.exitCode(), shared.err());
      assertEquals(16L << 20, Files.size(raw));
      Cli.Result repair = Cli.run("check", "--repair", "--force-share", image.toString());
      assertEquals(2, repair.exitCode(), repair.err());
      assertTrue(repair.err().contains("cannot go with --repair"), repair.err());
    }
  }

  @Test
  void readersInTwoJvmsCoexist() throws Exception {
    Path image = newImage();
    try (SeekableByteChannel ch = Files.newByteChannel(Path.of(uri(image)));
        ImageHolder other = ImageHolder.start(image, "read")) {
      assertEquals("holding", other.firstLine());
      assertEquals(512, ch.read(ByteBuffer.allocate(512)));
    }
  }

  @Test
  void lockingOnRefusesHostsWithoutProcessLocks() throws IOException {
    try (FileSystem mem = Jimfs.newFileSystem(Configuration.unix())) {
      Path image = mem.getPath("/a.vhd");
      VhdFileSystemProvider provider = new VhdFileSystemProvider();
      provider.newFileSystem(image, Map.of("create", "true", "size", "1M", "exactSize", "true")).close();
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> provider.newFileSystem(image, Map.of("locking", "on")));
      assertTrue(e.getMessage().contains("locking=on"), e.getMessage());
      try (FileSystem fs = provider.newFileSystem(image, Map.of("locking", "auto"))) {
        assertEquals(1L << 20, Files.size(fs.getPath("/disk")));
      }
    }
  }

  @Test
  void badLockingValueNamesTheKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(newImage(), Map.of("locking", "maybe")));
    assertTrue(e.getMessage().contains("'locking'"), e.getMessage());
  }
}
