package io.vhdfs.testing;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The disks of images a test opens, each through a new unregistered file system that is closed
 * after the test: {@code @RegisterExtension final OpenedImages images = new OpenedImages();} then
 * {@code images.disk(image)}.
 */
public final class OpenedImages implements AfterEachCallback {
  private final List<FileSystem> open = new ArrayList<>();

  /** {@code /disk} of {@code image}, in a file system of its own. */
  public Path disk(Path image) throws IOException {
    FileSystem fs = Chains.open(image);
    open.add(fs);
    return fs.getPath("/disk");
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    for (FileSystem fs : open) {
      fs.close();
    }
    open.clear();
  }
}
