package io.vhdfs.nio;

import io.vhdfs.disk.ExtentCursor;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** A {@link Stream} over an {@link ExtentCursor}, consumed as the cursor works the extents out. */
final class ExtentStream extends Spliterators.AbstractSpliterator<VhdImages.Extent> {
  private final ExtentCursor cursor;

  private ExtentStream(ExtentCursor cursor) {
    super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT);
    this.cursor = cursor;
  }

  /**
   * The extents of {@code cursor}; closing the stream closes {@code resource}. An
   * {@link IOException} of either reaches the caller as an {@link UncheckedIOException}.
   */
  static Stream<VhdImages.Extent> of(ExtentCursor cursor, Closeable resource) {
    return StreamSupport.stream(new ExtentStream(cursor), false).onClose(() -> {
      try {
        resource.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Override
  public boolean tryAdvance(Consumer<? super VhdImages.Extent> action) {
    io.vhdfs.disk.Extent e;
    try {
      e = cursor.next();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    if (e == null) {
      return false;
    }
    action.accept(VhdImages.Extent.of(e));
    return true;
  }
}
