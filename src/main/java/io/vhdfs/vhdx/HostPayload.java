package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Whether a file's payload blocks hold, as they lie on the host, the bytes its disk reads: true
 * for any file but a VHDX whose log waits to be replayed, since a log entry may carry any sector
 * of the file, data included, and a reader then reads the file as the replay would leave it. A
 * copy straight from the host file ({@link io.vhdfs.disk.KernelCopy}) asks this first.
 */
public final class HostPayload {
  private HostPayload() {}

  /**
   * Whether {@code file} is not a VHDX, or is one whose current header names no log; false also
   * where the headers cannot be read (the caller then reads the disk the ordinary way).
   */
  public static boolean readsAsStored(Path file) throws IOException {
    try (HostFile host = HostFile.openForReading(file)) {
      if (!VhdxFormat.INSTANCE.probe(host)) {
        return true;
      }
      try {
        return !HeaderChoice.read(new HostSource(host)).current().hasLog();
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }
  }
}
