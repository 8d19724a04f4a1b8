package io.vhdfs.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The write contract on a dynamic image the library created on Jimfs. The host channel is then
 * Jimfs's own interruptible FileChannel, so an interrupt can close the host channel under the
 * disk: other channels of the image must keep working.
 *
 * <p>The fixture creates the image through the nested URI ({@code vhd:jimfs://...}, documented in
 * the provider's javadoc) and opens it with {@code FileSystems.newFileSystem(hostPath, env)}.
 * Creating with {@code FileSystems.newFileSystem(hostPath, env)} as the issue 3 contract says is
 * pinned separately ({@link #newFileSystemOfAMissingJimfsPathWithCreateMakesAVhdImage}), so that
 * one defect there does not hide the whole contract.
 */
final class JimfsHostedImageWritableContractTest extends WritableFileChannelContract {
  private final List<FileSystem> fileSystems = new ArrayList<>();
  private Path host;

  @Override
  protected Path create(byte[] content) throws IOException {
    FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix());
    fileSystems.add(jimfs);
    host = Files.createDirectories(jimfs.getPath("/images")).resolve("hosted"); // any name works
    URI nested = URI.create("vhd:" + host.toUri());
    Map<String, String> env = Map.of("create", "true", "size", Integer.toString(content.length),
        "exactSize", "true");
    try (FileSystem fs = FileSystems.newFileSystem(nested, env);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      WritableImageSupport.writeNonZeroSectors(ch, content);
    }
    FileSystem vhd = FileSystems.newFileSystem(host, Map.of());
    fileSystems.add(0, vhd); // closed before the Jimfs it lives on
    return vhd.getPath("/disk");
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    WritableImageSupport.checkStored(host, expected, tempDir);
  }

  @AfterEach
  void closeFileSystems() throws IOException {
    for (FileSystem fs : fileSystems) {
      fs.close();
    }
  }

  /**
   * Issue 3 contract: {@code FileSystems.newFileSystem(hostPath, env)} with {@code create=true}
   * creates on any host provider, Jimfs too, whatever the file name, and returns the image's
   * (unregistered) file system.
   */
  @Test
  void newFileSystemOfAMissingJimfsPathWithCreateMakesAVhdImage() throws IOException {
    FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix());
    fileSystems.add(jimfs);
    Path image = jimfs.getPath("/fresh-image");
    Map<String, String> env = Map.of("create", "true", "size", "1M", "exactSize", "true");
    try (FileSystem fs = FileSystems.newFileSystem(image, env)) {
      assertEquals("vhd", fs.provider().getScheme(),
          "FileSystems.newFileSystem(missing Jimfs path, {create=true, size=1M}) was taken by the '"
              + fs.provider().getScheme() + "' provider");
      try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        assertEquals(1 << 20, ch.size());
        assertEquals(4, ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 4096));
      }
    }
    assertTrue(Files.size(image) > (1 << 10), "no image was written on Jimfs");
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      ByteBuffer back = ByteBuffer.allocate(4);
      ch.read(back, 4096);
      assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), back.flip());
    }
  }
}
