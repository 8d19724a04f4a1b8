package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Whether sectors a differencing image holds could be dropped from it without changing what its
 * disk reads: whether its parent chain reads the same bytes there. Past the parent's end a child
 * reads zeros where it holds nothing, so the parent counts as zeros there.
 */
public final class ParentMatch {
  private final VirtualDisk parent;
  private final boolean zerosOnly;
  private ByteBuffer buf = ByteBuffer.allocate(0);

  /**
   * @param parent the parent chain, read only
   * @param zerosOnly whether held sectors must also hold only zeros: true when compacting without
   *     comparing against the parent, where only zeros that the parent also reads as zeros go
   */
  public ParentMatch(VirtualDisk parent, boolean zerosOnly) {
    this.parent = parent;
    this.zerosOnly = zerosOnly;
  }

  /**
   * Whether the parent reads {@code length} bytes of {@code data} from {@code from} at virtual
   * offset {@code position} (and they are zeros, if only zeros may go).
   */
  public boolean matches(byte[] data, int from, int length, long position) throws IOException {
    if (zerosOnly && !isZeros(data, from, length)) {
      return false;
    }
    long inParent = Math.max(0, Math.min(length, parent.size() - position));
    if (inParent < length && !isZeros(data, from + (int) inParent, length - (int) inParent)) {
      return false;
    }
    if (inParent == 0) {
      return true;
    }
    int n = (int) inParent;
    if (buf.capacity() < n) {
      buf = ByteBuffer.allocate(n);
    }
    buf.clear().limit(n);
    while (buf.hasRemaining()) {
      if (parent.read(buf, position + buf.position()) < 0) {
        break;
      }
    }
    Arrays.fill(buf.array(), buf.position(), n, (byte) 0);
    return Arrays.equals(data, from, from + n, buf.array(), 0, n);
  }

  /** Whether {@code length} bytes of {@code b} from {@code from} are all zero. */
  public static boolean isZeros(byte[] b, int from, int length) {
    int end = from + length;
    int i = from;
    for (; i + 8 <= end; i += 8) {
      if (b[i] != 0 || b[i + 1] != 0 || b[i + 2] != 0 || b[i + 3] != 0 || b[i + 4] != 0
          || b[i + 5] != 0 || b[i + 6] != 0 || b[i + 7] != 0) {
        return false;
      }
    }
    for (; i < end; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
