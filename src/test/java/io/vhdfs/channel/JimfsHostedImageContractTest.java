package io.vhdfs.channel;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
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
 * The channel contract on a builder-made dynamic image (2 MiB blocks) held in Jimfs. The host
 * channel is then Jimfs's own interruptible FileChannel, with its own locking and close
 * behaviour, so interrupt and asynchronous-close handling is checked against a second host
 * implementation.
 */
final class JimfsHostedImageContractTest extends FileChannelContract {
  private final List<FileSystem> fileSystems = new ArrayList<>();

  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    Path image = BuiltImageContractSupport.write(tempDir, content, false,
        VhdImageBuilder.DEFAULT_BLOCK_SIZE);
    FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix());
    fileSystems.add(jimfs);
    Path hosted = jimfs.getPath("/" + image.getFileName());
    Files.copy(image, hosted);
    FileSystem vhd = FileSystems.newFileSystem(hosted, Map.of());
    fileSystems.add(0, vhd); // closed before the Jimfs it lives on
    return FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.READ);
  }

  @Override
  protected boolean supportsMap() {
    return false;
  }

  @AfterEach
  void closeFileSystems() throws IOException {
    for (FileSystem fs : fileSystems) {
      fs.close();
    }
  }
}
