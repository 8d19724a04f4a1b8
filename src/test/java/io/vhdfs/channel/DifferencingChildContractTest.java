package io.vhdfs.channel;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The read contract on a differencing image the library created: its sectors come from the
 * child itself, from the parent under clear bits and unallocated child blocks (see
 * {@link ChildImageSupport}), so reads cross between the two images everywhere.
 */
final class DifferencingChildContractTest extends FileChannelContract {
  @Override
  protected FileChannel openReadOnly(byte[] content) throws IOException {
    ChildImageSupport.Made made = ChildImageSupport.make(tempDir, content);
    return FileChannel.open(Path.of(Chains.uriOf(made.child())), StandardOpenOption.READ);
  }

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected boolean supportsMap() {
    return false;
  }
}
