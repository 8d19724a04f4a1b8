package io.vhdfs.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store of an image tells copy tools what they need: capacity, what can still be written,
 * the sector, and the image it is.
 */
class VhdFileStoreTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;

  private FileSystem create(String name, String type) throws IOException {
    Path image = dir.resolve(name);
    return FileSystems.newFileSystem(URI.create("vhd:" + image.toUri().getRawPath()),
        Map.of("create", "true", "size", "8M", "exactSize", "true", "type", type,
            "blockSize", "1M"));
  }

  private static FileStore store(FileSystem fs) {
    return fs.getFileStores().iterator().next();
  }

  @Test
  void dynamicImageCanStillTakeWhatItsUnallocatedBlocksHold() throws IOException {
    try (FileSystem fs = create("d.vhd", "dynamic")) {
      FileStore store = store(fs);
      long hostUsable = Files.getFileStore(dir).getUsableSpace();
      assertEquals(8 * MIB, store.getTotalSpace());
      assertEquals(Math.min(8 * MIB, hostUsable), store.getUsableSpace());
      try (SeekableByteChannel ch = Files.newByteChannel(fs.getPath("/disk"),
          StandardOpenOption.WRITE)) {
        ch.position(3 * MIB + 5);
        ch.write(ByteBuffer.wrap(new byte[] {1})); // allocates one 1 MiB block
      }
      assertEquals(Math.min(7 * MIB, hostUsable), store.getUsableSpace());
      assertTrue(store.getUnallocatedSpace() <= 7 * MIB);
      assertEquals(512, store.getBlockSize());
      assertEquals(8 * MIB, store.getAttribute("totalSpace"));
      assertEquals(store.getUsableSpace(), store.getAttribute("usableSpace"));
      assertEquals(512L, store.getAttribute("blockSize"));
      assertThrows(UnsupportedOperationException.class, () -> store.getAttribute("nosuch"));
      assertTrue(store.toString().contains("d.vhd"), store.toString());
    }
  }

  @Test
  void fixedImageCanTakeItsWholeDiskAndReadOnlyNothing() throws IOException {
    try (FileSystem fs = create("f.vhd", "fixed")) {
      assertEquals(8 * MIB, store(fs).getUsableSpace());
    }
    Path image = dir.resolve("f.vhd");
    try (FileSystem ro = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
      assertEquals(0, store(ro).getUsableSpace());
      assertEquals(0, store(ro).getUnallocatedSpace());
      assertEquals(8 * MIB, store(ro).getTotalSpace());
    }
  }
}
