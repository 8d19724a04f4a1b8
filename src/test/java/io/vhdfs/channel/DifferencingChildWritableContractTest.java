package io.vhdfs.channel;

import static io.vhdfs.testing.Chains.assertSameBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The write contract on a differencing image the library created over a dynamic parent holding
 * random bytes wherever the child holds its own (see {@link ChildImageSupport}), used through
 * {@code Path.of(vhd URI)}: every write meets sectors the child holds, sectors it reads from the
 * parent and blocks it lacks, and the parent file never changes.
 */
final class DifferencingChildWritableContractTest extends WritableFileChannelContract {
  private ChildImageSupport.Made made;
  private String parentHash;

  @Override
  protected Path create(byte[] content) throws IOException {
    made = ChildImageSupport.make(tempDir, content);
    parentHash = Chains.sha256(made.parent());
    return Path.of(Chains.uriOf(made.child()));
  }

  @Override
  protected boolean resizable() {
    return false;
  }

  /** A new file system on the child reads the model; the parent file is as it was made. */
  @Override
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {
    assertSameBytes(expected, Chains.readDisk(made.child()), 0,
        "a new file system on the child " + made.child());
    assertEquals(parentHash, Chains.sha256(made.parent()),
        "the parent " + made.parent() + " changed under writes into its child");
  }

  /** Zeros written over a sector the parent holds are the child's own: they hide the parent's. */
  @Test
  void zeroWriteOverAParentSectorReadsZerosAndLeavesTheParentAlone() throws IOException {
    Path disk = Path.of(Chains.uriOf(made.child()));
    // Block 2 the child leaves to the parent, which holds stamped data 128 KiB into it.
    long at = 2L * ChildImageSupport.BLOCK + 128 * KIB;
    long before = CreatedDynamicImageWritableContractTest.allocatedBlocks(disk);
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      assertFalse(Arrays.equals(new byte[SECTOR], Chains.read(ch, at, SECTOR)),
          "fixture: the parent's sector holds data");
      assertEquals(SECTOR, ch.write(ByteBuffer.allocate(SECTOR), at));
      assertSameBytes(new byte[SECTOR], Chains.read(ch, at, SECTOR), at,
          "the zeros written into the child");
      assertEquals(before + 1, CreatedDynamicImageWritableContractTest.allocatedBlocks(disk),
          "vhd:allocatedBlocks: the zeros allocated the child's block");
    }
    assertEquals(parentHash, Chains.sha256(made.parent()), "the parent changed");
  }
}
