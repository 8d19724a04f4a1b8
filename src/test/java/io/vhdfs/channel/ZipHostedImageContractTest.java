package io.vhdfs.channel;

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
 * The channel contract on a builder-made dynamic image (2 MiB blocks) stored in a zip. zipfs
 * hands out plain {@link java.nio.channels.SeekableByteChannel}s that are neither FileChannels
 * nor interruptible, so the library's seek-and-read host path and its own interrupt handling carry
 * every test.
 */
final class ZipHostedImageContractTest extends FileChannelContract {
  private final List<FileSystem> fileSystems = new ArrayList<>();

  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    Path image = BuiltImageContractSupport.write(tempDir, content, false,
        VhdImageBuilder.DEFAULT_BLOCK_SIZE);
    Path zip = image.resolveSibling(image.getFileName() + ".zip");
    // Stored, not deflated: the content is random, so compressing it only costs time.
    try (FileSystem writing = FileSystems.newFileSystem(zip,
        Map.of("create", "true", "noCompression", "true"))) {
      Files.copy(image, writing.getPath("/disk.vhd"));
    }
    FileSystem zipfs = FileSystems.newFileSystem(zip, Map.of());
    fileSystems.add(zipfs);
    FileSystem vhd = FileSystems.newFileSystem(zipfs.getPath("/disk.vhd"), Map.of());
    fileSystems.add(0, vhd); // closed before the zip it lives in
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
