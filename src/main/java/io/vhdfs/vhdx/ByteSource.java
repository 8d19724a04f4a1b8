package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Random-access bytes a VHDX structure is read from: the host file, or the host file seen through
 * the in-memory replay of a dirty log ({@link LogOverlay#over(ByteSource)}).
 *
 * <p>The codecs of this package do no I/O themselves; the readers that must reach into the file
 * (the metadata items, {@link BatReader}, {@link LogReplay}) do it through this interface only, so
 * they run the same over a host file, a byte array in a test, or an overlay.
 */
interface ByteSource {
  /**
   * Fills {@code dst} from its position to its limit with the bytes at {@code offset}, or throws
   * {@link EOFException} when the source ends first.
   */
  void readFully(ByteBuffer dst, long offset) throws IOException;

  /** The number of bytes in the source. */
  long size() throws IOException;

  /** The name of the image for messages, as the user gave it. */
  String name();

  /** {@code length} bytes at {@code offset}, or {@link EOFException} past the end. */
  default byte[] read(long offset, int length) throws IOException {
    byte[] b = new byte[length];
    readFully(ByteBuffer.wrap(b), offset);
    return b;
  }

  /**
   * The {@code length} bytes of the structure {@code what} at {@code offset}; a structure the
   * source does not wholly hold is a {@link VhdFormatException} saying so.
   */
  default byte[] readStructure(long offset, int length, String what) throws IOException {
    long size = size();
    if (offset < 0 || offset > size || size - offset < length) {
      throw new VhdFormatException(name(), offset, what + " (" + length
          + " bytes) lies past the end of the file (" + size + " bytes)");
    }
    return read(offset, length);
  }

  /** A source over a copy-free view of {@code bytes}, which the caller must not change. */
  static ByteSource of(byte[] bytes, String name) {
    return new ByteArraySource(bytes, name);
  }
}
