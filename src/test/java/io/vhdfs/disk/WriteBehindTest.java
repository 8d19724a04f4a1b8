package io.vhdfs.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostFaults;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/** {@link WriteBehind}: forces in the background as bytes go in; a failed one is reported. */
final class WriteBehindTest {
  private static final int MIB = 1 << 20;

  @Test
  void aForceRunsAfterEachStretchOfWrittenBytesAndNotBefore() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      Path file = host.wrap(jimfs.getPath("/new.raw"));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
          WriteBehind writeBehind = new WriteBehind(ch)) {
        long written = write(ch, writeBehind, 0, WriteBehind.EVERY - MIB);
        writeBehind.await();
        assertEquals(0, host.log().forces().size(), "no force before a stretch is written");
        written = write(ch, writeBehind, written, MIB);
        writeBehind.await();
        assertEquals(1, host.log().forces().size(), "one force after " + written + " bytes");
        write(ch, writeBehind, written, WriteBehind.EVERY);
        writeBehind.await();
        assertEquals(2, host.log().forces().size());
      }
    }
  }

  @Test
  void aFailedBackgroundForceIsThrownByAwait() throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      // Calls 0 to 63 are the 1 MiB writes; call 64 is the background force.
      host.injectFaults(HostFaults.at((int) (WriteBehind.EVERY / MIB), HostFaults.Mode.FAILS_ONCE));
      Path file = host.wrap(jimfs.getPath("/new.raw"));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
          WriteBehind writeBehind = new WriteBehind(ch)) {
        write(ch, writeBehind, 0, WriteBehind.EVERY);
        assertThrows(IOException.class, writeBehind::await);
      }
    }
  }

  private static long write(FileChannel ch, WriteBehind writeBehind, long at, long bytes)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(MIB);
    for (long done = 0; done < bytes; done += MIB) {
      b.clear();
      while (b.hasRemaining()) {
        ch.write(b, at + done + b.position());
      }
      writeBehind.wrote(MIB);
    }
    return at + bytes;
  }
}
