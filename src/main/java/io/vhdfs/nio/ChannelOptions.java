package io.vhdfs.nio;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * The open options of a channel on {@code /disk}, checked once as {@code FileChannel.open} does:
 * no options means {@code READ}; {@code READ}+{@code APPEND} and {@code APPEND}+
 * {@code TRUNCATE_EXISTING} are illegal; options this provider does not know are unsupported.
 */
record ChannelOptions(boolean read, boolean write) {
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
    return new ChannelOptions(read, write);
  }
}
