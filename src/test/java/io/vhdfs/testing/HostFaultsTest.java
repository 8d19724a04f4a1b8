package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.HostFaults.Call;
import io.vhdfs.testing.HostFaults.Mode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault plans of the test host: each fails the call it names, the way it says. */
final class HostFaultsTest {
  private FileSystem jimfs;
  private ForwardingHostFileSystem host;
  private Path file;

  @BeforeEach
  void setUp() throws IOException {
    jimfs = Jimfs.newFileSystem(Configuration.unix());
    host = ForwardingHostFileSystem.over(jimfs);
    file = Files.write(jimfs.getPath("/f.bin"), new byte[4096]);
  }

  @AfterEach
  void tearDown() throws IOException {
    jimfs.close();
  }

  private FileChannel open() throws IOException {
    return FileChannel.open(host.wrap(file), StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static ByteBuffer ones(int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) 1);
    return ByteBuffer.wrap(b);
  }

  @Test
  void callsOfEveryChannelAreCountedInOrderAndNoneFailsWithoutAPlan() throws IOException {
    HostFaults plan = HostFaults.none();
    host.injectFaults(plan);
    try (FileChannel a = open(); FileChannel b = open()) {
      a.write(ones(10), 0);
      b.size();
      a.force(true);
      b.write(ones(10));
    }
    assertEquals(List.of(Call.WRITE, Call.SIZE, Call.FORCE, Call.WRITE), plan.calls());
    assertNull(plan.fired());
  }

  @Test
  void failsOnceFailsTheChosenCallWritingNothingAndLetsLaterCallsThrough() throws IOException {
    HostFaults plan = HostFaults.at(1, Mode.FAILS_ONCE);
    host.injectFaults(plan);
    try (FileChannel ch = open()) {
      ch.write(ones(10), 0);
      IOException e = assertThrows(IOException.class, () -> ch.write(ones(10), 100));
      assertTrue(e.getMessage().startsWith("No space left on device"), e.getMessage());
      ch.write(ones(10), 200);
      ch.force(true);
    }
    byte[] now = Files.readAllBytes(file);
    assertEquals(0, now[100], "the failed write landed");
    assertEquals(1, now[200]);
    assertEquals(1, host.log().mutationCount() - 1, "the failed write was recorded");
  }

  @Test
  void diesFailsTheChosenCallAndEveryWriteForceAndSizeAfterIt() throws IOException {
    host.injectFaults(HostFaults.at(0, Mode.DIES));
    try (FileChannel ch = open()) {
      assertThrows(IOException.class, ch::size);
      assertThrows(IOException.class, () -> ch.write(ones(1), 0));
      assertThrows(IOException.class, () -> ch.force(false));
      assertEquals(4096, ch.read(ByteBuffer.allocate(8192), 0), "reads still work");
    }
    assertEquals(0, host.log().mutationCount());
  }

  @Test
  void tornWriteLandsUpToASectorBoundaryInsideItThenTheNextWriteFails() throws IOException {
    host.injectFaults(HostFaults.at(0, Mode.TORN_THEN_FAILS));
    try (FileChannel ch = open()) {
      assertEquals(1024 - 100, ch.write(ones(2000), 100), "torn at the boundary near the middle");
      assertThrows(IOException.class, () -> ch.write(ones(1076), 1024));
      ch.write(ones(1), 3000);
    }
    byte[] now = Files.readAllBytes(file);
    assertEquals(1, now[1023]);
    assertEquals(0, now[1024]);
    assertEquals(1, now[3000]);
    assertEquals(2, host.log().mutationCount(), "the torn part and the later write");
  }

  @Test
  void tornWriteWithinOneSectorFailsWhole() throws IOException {
    host.injectFaults(HostFaults.at(0, Mode.TORN_THEN_FAILS));
    try (FileChannel ch = open()) {
      assertThrows(IOException.class, () -> ch.write(ones(512), 512));
    }
    assertEquals(0, host.log().mutationCount());
  }

  @Test
  void shortCountWritesAboutHalfAndFailsNothing() throws IOException {
    HostFaults plan = HostFaults.at(0, Mode.SHORT_COUNT);
    host.injectFaults(plan);
    try (FileChannel ch = open()) {
      ByteBuffer src = ones(301);
      assertEquals(150, ch.write(src, 7));
      assertEquals(151, src.remaining());
      assertEquals(151, ch.write(src, 157));
    }
    byte[] now = Files.readAllBytes(file);
    assertEquals(0, now[6]);
    assertEquals(1, now[7]);
    assertEquals(1, now[307]);
    assertEquals(0, now[308]);
    assertTrue(plan.fired().contains("short count of 150"), plan.fired());
  }

  @Test
  void failedForceThatLosesUnforcedWritesRestoresTheFileOfTheLastGoodForce() throws IOException {
    HostFaults plan = HostFaults.at(4, Mode.FORCE_LOSES_UNFORCED);
    host.injectFaults(plan);
    byte[] forced;
    try (FileChannel ch = open()) {
      ch.write(ones(10), 0);
      ch.force(false);
      forced = Files.readAllBytes(file);
      ch.write(ones(10), 100);
      ch.write(ones(10), 8000);
      assertThrows(IOException.class, () -> ch.force(true));
      assertArrayEquals(forced, Files.readAllBytes(file), "unforced writes survived");
      ch.write(ones(10), 200);
      ch.force(true);
    }
    byte[] now = Files.readAllBytes(file);
    assertEquals(4096, now.length);
    assertEquals(1, now[0]);
    assertEquals(0, now[100]);
    assertEquals(1, now[200]);
  }
}
