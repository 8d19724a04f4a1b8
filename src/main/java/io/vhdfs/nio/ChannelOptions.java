package io.vhdfs.nio;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * The open options of a channel on {@code /disk}, checked once as {@code FileChannel.open} does:
 * no options means {@code READ}; {@code READ}+{@code APPEND} and {@code APPEND}+
 * {@code TRUNCATE_EXISTING} are illegal; options this provider does not know are unsupported.
 * A disk always exists and never changes size, so {@code CREATE}, {@code SPARSE} and
 * {@code TRUNCATE_EXISTING} change nothing, {@code CREATE_NEW} fails for writers, and
 * {@code APPEND} (which could only ever write past the end) is unsupported.
 *
 * @param read whether the channel reads
 * @param write whether the channel writes
 * @param createNew whether a writer asked for a new file
 * @param sync whether every write must be durable before it returns ({@code SYNC}, {@code DSYNC})
 */
record ChannelOptions(boolean read, boolean write, boolean createNew, boolean sync) {
  static ChannelOptions of(Set<? extends OpenOption> options) {
    for (OpenOption o : options) {
      if (o == null) {
        throw new NullPointerException("null open option");
      }
      if (!(o instanceof StandardOpenOption) && o != LinkOption.NOFOLLOW_LINKS) {
        throw new UnsupportedOperationException("unsupported open option " + o);
      }
    }
    boolean append = options.contains(StandardOpenOption.APPEND);
    boolean write = append || options.contains(StandardOpenOption.WRITE);
    boolean read = options.contains(StandardOpenOption.READ) || !write;
    if (append && options.contains(StandardOpenOption.READ)) {
      throw new IllegalArgumentException("READ + APPEND not allowed");
    }
    if (append && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
      throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
    }
    if (options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
      throw new UnsupportedOperationException("DELETE_ON_CLOSE: the disk of an image cannot be deleted");
    }
    if (append) {
      throw new UnsupportedOperationException(
          "APPEND: a virtual disk has a fixed size, so appending could only write past its end");
    }
    boolean sync = options.contains(StandardOpenOption.SYNC)
        || options.contains(StandardOpenOption.DSYNC);
    return new ChannelOptions(read, write, write && options.contains(StandardOpenOption.CREATE_NEW),
        write && sync);
  }
}
