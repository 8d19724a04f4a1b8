package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.S3TestBed;
import io.vhdfs.testing.S3TestBed.S3Chain;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Images in an object store (issue 15): qemu-made VHD and VHDX images and a differencing chain
 * put into S3 read back byte for byte through the AWS NIO provider, opened by host path or by
 * {@code vhd:} URI, and a host that cannot update an object in place is never written.
 */
final class S3ReadTest {
  private static final int MIB = 1 << 20;

  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Test
  void fixedVhdInS3ReadsAsWritten() throws IOException {
    byte[] content = Chains.randomBytes(3 * MIB + 512, 11);
    Path image = S3.putVhd(content, "fixed");
    try (FileSystem vhd = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
      assertArrayEquals(content, Files.readAllBytes(vhd.getPath("/disk")));
    }
  }

  @Test
  void dynamicVhdxInS3ReadsAsWritten() throws IOException {
    byte[] content = new byte[6 * MIB];
    System.arraycopy(Chains.randomBytes(MIB + 4096, 12), 0, content, 2 * MIB - 4096,
        MIB + 4096);
    Path image = S3.putVhdx(content, "block_size=1M");
    try (FileSystem vhd = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"))) {
      assertArrayEquals(content, Files.readAllBytes(vhd.getPath("/disk")));
    }
  }

  @Test
  void threeLevelChainInS3FindsItsParentsBesideIt() throws IOException {
    S3Chain chain = S3.putChain(8L * MIB, 13);
    try (FileSystem vhd = FileSystems.newFileSystem(chain.top(),
        Map.of("accessMode", "readOnly"))) {
      Chains.assertSameBytes(chain.topDisk(), Files.readAllBytes(vhd.getPath("/disk")), 0,
          "the top of a chain in S3");
    }
  }

  @Test
  void vhdUriOfAnS3ObjectOpensItsDisk() throws IOException {
    byte[] content = Chains.randomBytes(2 * MIB, 14);
    Path image = S3.putVhd(content, "dynamic");
    Set<String> keys = S3.keys();
    URI uri = URI.create("vhd:" + image.toUri());
    Path disk = Path.of(uri);
    try {
      assertEquals(uri, disk.toUri());
      assertEquals(disk, Path.of(disk.toUri()));
      assertArrayEquals(content, Files.readAllBytes(disk));
    } finally {
      disk.getFileSystem().close();
    }
    assertEquals(keys, S3.keys(), "reading through a vhd: URI changed the bucket");
  }

  @Test
  void writeOpenInS3IsRefusedAndLeavesTheObjectAlone() throws IOException {
    byte[] content = Chains.randomBytes(2 * MIB, 15);
    Path image = S3.putVhd(content, "dynamic");
    byte[] before = Files.readAllBytes(image);
    Set<String> keys = S3.keys();
    FileSystemException refused = assertThrows(FileSystemException.class, () -> {
      try (FileSystem vhd = FileSystems.newFileSystem(image, Map.of("accessMode", "readWrite"));
          FileChannel ch = FileChannel.open(vhd.getPath("/disk"), StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      }
    });
    assertTrue(refused.getMessage().contains("cannot update a file in place"),
        refused.getMessage());
    assertArrayEquals(before, Files.readAllBytes(image), "the object changed");
    assertEquals(keys, S3.keys(), "objects were added to or removed from the bucket");
  }
}
