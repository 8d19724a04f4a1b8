package io.vhdfs.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;

/** What every benchmark here needs: full positional transfers, a warm page cache, medians. */
final class BenchSupport {
  private BenchSupport() {}

  /** Fills {@code buf} from {@code pos}; the end of the channel first is an error. */
  static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long start = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, start + buf.position());
      if (n < 0) {
        throw new IOException("end of stream at " + (start + buf.position()));
      }
    }
  }

  /** Reads the whole file once so timed runs all read from the page cache. */
  static void warmPageCache(Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
    try (FileChannel ch = FileChannel.open(file)) {
      long pos = 0;
      int n;
      while ((n = ch.read(buf.clear(), pos)) > 0) {
        pos += n;
      }
    }
  }

  static double median(List<Long> nanos) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  }

  /**
   * Runs {@code command} with its output discarded; whether it exited with 0. A two-word command
   * ({@code tool --version}) that cannot start means the tool is not installed: false.
   */
  static boolean run(List<String> command) throws IOException, InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor() == 0;
    } catch (IOException e) {
      if (command.size() == 2) {
        return false;
      }
      throw e;
    }
  }
}
