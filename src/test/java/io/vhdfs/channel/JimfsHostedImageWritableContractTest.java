package io.vhdfs.channel;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
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

/**
 * The write contract on a dynamic image the library created on Jimfs. The host channel is then
 * Jimfs's own interruptible FileChannel, so an interrupt can close the host channel under the
 * disk: other channels of the image must keep working.
 *
 * <p>The fixture creates the image through the nested URI ({@code vhd:jimfs://...}, documented in
 * the provider's javadoc: for a missing file {@code FileSystems.newFileSystem(hostPath, env)} asks
 * the JDK's zip provider first, which takes {@code create} and makes a zip) and opens it with
 * {@code FileSystems.newFileSystem(hostPath, env)}.
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
}
