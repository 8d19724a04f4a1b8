package io.vhdfs.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Files.probeContentType} names VHD images by their footer, never by their name. */
class VhdFileTypeDetectorTest {
  @TempDir Path dir;

  private Path image(String name) throws IOException {
    Path image = dir.resolve(name);
    FileSystems.newFileSystem(URI.create("vhd:" + image.toUri().getRawPath()),
        Map.of("create", "true", "size", "1M")).close();
    return image;
  }

  @Test
  void aVhdIsNamedWhateverItsFileNameSays() throws IOException {
    assertEquals("application/x-vhd", Files.probeContentType(image("disk.vhd")));
    assertEquals("application/x-vhd", Files.probeContentType(image("backup.bin")));
  }

  @Test
  void otherFilesAreLeftToOtherDetectors() throws IOException {
    Path raw = Files.write(dir.resolve("zeros.vhd"), new byte[4096]);
    assertNotEquals("application/x-vhd", Files.probeContentType(raw));
    assertNull(new VhdFileTypeDetector().probeContentType(raw));
    assertNull(new VhdFileTypeDetector().probeContentType(dir));
    assertNull(new VhdFileTypeDetector().probeContentType(dir.resolve("missing.vhd")));
    Path tiny = Files.write(dir.resolve("tiny.vhd"), new byte[] {'c', 'o', 'n'});
    assertNull(new VhdFileTypeDetector().probeContentType(tiny));
  }

  @Test
  void imagesOnOtherProvidersAreNamedToo() throws IOException {
    byte[] bytes = Files.readAllBytes(image("copy.vhd"));
    try (FileSystem mem = Jimfs.newFileSystem(Configuration.unix())) {
      Path held = Files.write(mem.getPath("/held.img"), bytes);
      assertEquals("application/x-vhd", new VhdFileTypeDetector().probeContentType(held));
    }
  }
}
