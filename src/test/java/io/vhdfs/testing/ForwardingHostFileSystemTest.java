package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The test host itself: what the crash and access-mode tests rely on it to do. */
final class ForwardingHostFileSystemTest {
  private FileSystem jimfs;
  private ForwardingHostFileSystem host;
  private Path file;
  private byte[] initial;

  @BeforeEach
  void setUp() throws IOException {
    jimfs = Jimfs.newFileSystem(Configuration.unix());
    host = ForwardingHostFileSystem.over(jimfs);
    initial = new byte[1000];
    Arrays.fill(initial, (byte) 7);
    file = Files.write(jimfs.getPath("/f.bin"), initial);
  }

  @AfterEach
  void tearDown() throws IOException {
    jimfs.close();
  }

  @Test
  void replayOfEveryPrefixGivesTheFileAsItStoodThen() throws IOException {
    Path wrapped = host.wrap(file);
    byte[][] states = new byte[5][];
    states[0] = Files.readAllBytes(file);
    try (FileChannel ch = FileChannel.open(wrapped, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 10);
      states[1] = Files.readAllBytes(file);
      ch.position(1200).write(ByteBuffer.allocateDirect(4).putInt(0x01020304).flip());
      states[2] = Files.readAllBytes(file);
      ch.truncate(500);
      states[3] = Files.readAllBytes(file);
      ch.position(0).write(new ByteBuffer[] {ByteBuffer.wrap(new byte[] {9}),
          ByteBuffer.wrap(new byte[] {8, 8})});
      ch.force(false);
      states[4] = Files.readAllBytes(file);
    }
    HostWriteLog log = host.log();
    assertEquals(4, log.mutationCount());
    assertEquals(java.util.List.of(4), log.forces());
    assertEquals(1, log.writeOpens());
    for (int n = 0; n <= 4; n++) {
      assertArrayEquals(states[n], log.replay(initial, n, file.toString()), "prefix " + n);
    }
  }

  @Test
  void readOnlySwitchRefusesWritesAndReportsNotWritable() throws IOException {
    Path wrapped = host.wrap(file);
    assertTrue(Files.isWritable(wrapped));
    host.setReadOnly(true);
    assertFalse(Files.isWritable(wrapped));
    assertTrue(Files.isReadable(wrapped));
    assertTrue(host.isReadOnly());
    assertThrows(AccessDeniedException.class,
        () -> wrapped.getFileSystem().provider().checkAccess(wrapped, AccessMode.WRITE));
    assertThrows(AccessDeniedException.class,
        () -> Files.newByteChannel(wrapped, StandardOpenOption.READ, StandardOpenOption.WRITE));
    assertThrows(AccessDeniedException.class, () -> Files.delete(wrapped));
    try (SeekableByteChannel ch = Files.newByteChannel(wrapped)) {
      assertEquals(initial.length, ch.size());
    }
    assertEquals(1, host.log().writeOpens());
    assertEquals(0, host.log().mutationCount());
    assertArrayEquals(initial, Files.readAllBytes(file));
  }

  @Test
  void pathsForwardToTheHostAndStayWrapped() throws IOException {
    Path wrapped = host.wrap(file);
    assertEquals(host, wrapped.toRealPath().getFileSystem());
    assertEquals(wrapped, host.getPath("/f.bin"));
    assertEquals(host.getPath("/"), wrapped.getParent());
    assertTrue(Files.isRegularFile(wrapped));
    assertEquals(initial.length, Files.size(wrapped));
    assertEquals(Files.getLastModifiedTime(file), Files.getLastModifiedTime(wrapped));
  }
}
