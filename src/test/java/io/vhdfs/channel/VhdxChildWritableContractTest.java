package io.vhdfs.channel;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The write contract on a differencing VHDX the library created over a qemu-made parent (see
 * {@link ChildImageSupport#makeVhdx}): every write meets sectors the child holds, sectors whose
 * bits are clear over the parent's data, and blocks the child lacks; the parent never changes.
 */
final class VhdxChildWritableContractTest extends WritableFileChannelContract {
  private ChildImageSupport.Made made;
  private String parentHash;

  @Override
  protected Path create(byte[] content) throws IOException {
    made = ChildImageSupport.makeVhdx(tempDir, content);
    parentHash = Chains.sha256(made.parent());
    return Path.of(Chains.uriOf(made.child()));
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    assertSameBytes(expected, Chains.readDisk(made.child()), 0,
        "a new file system on the child " + made.child());
    assertEquals(parentHash, Chains.sha256(made.parent()),
        "the parent " + made.parent() + " changed under writes into its child");
  }
}
