package io.vhdfs.vhdx;

import java.io.EOFException;
import java.nio.ByteBuffer;

/** A {@link ByteSource} over a byte array: tests' images and one-entry log decoding. */
final class ByteArraySource implements ByteSource {
  private final byte[] bytes;
  private final String name;

  ByteArraySource(byte[] bytes, String name) {
    this.bytes = bytes;
    this.name = name;
  }

  @Override
  public void readFully(ByteBuffer dst, long offset) throws EOFException {
    int n = dst.remaining();
    if (offset < 0 || offset > bytes.length || bytes.length - offset < n) {
      throw new EOFException(name + ": read of " + n + " bytes at " + offset + " past the end ("
          + bytes.length + " bytes)");
    }
    dst.put(bytes, (int) offset, n);
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public String name() {
    return name;
  }
}
