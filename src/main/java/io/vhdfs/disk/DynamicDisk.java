package io.vhdfs.disk;

import io.vhdfs.format.Bat;
import io.vhdfs.format.DiskType;
import io.vhdfs.format.DynamicHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A dynamic image: blocks allocated on demand, each a sector bitmap and data. Unallocated blocks
 * and sectors whose bitmap bit is clear read as zeros.
 *
 * <p>A differencing image opens as one too, so its metadata can be shown, but reading it is
 * refused until parent chains are supported: its clear bits mean "ask the parent", not zeros.
 */
final class DynamicDisk implements VirtualDisk {
  private static final byte[] ZEROS = new byte[64 * 1024];

  private final HostFile host;
  private final DiskInfo info;
  private final SectorMapper mapper;

  DynamicDisk(HostFile host, DiskInfo info, Bat bat) {
    this.host = host;
    this.info = info;
    DynamicHeader h = info.header();
    BlockBitmaps bitmaps = new BlockBitmaps(host, bat.size(), h.blockSize(), h.bitmapSize());
    this.mapper = new SectorMapper(bat, h.blockSize(), h.bitmapSize(), bitmaps);
  }

  @Override
  public long size() {
    return info.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    if (info.footer().diskType() == DiskType.DIFFERENCING) {
      throw new IOException(host.name() + ": cannot read a differencing image: parent chains "
          + "are not supported yet (parent '" + info.header().parentName() + "')");
    }
    int n = ReadSpan.length(dst, position, info.size());
    if (n <= 0) {
      return n;
    }
    long direct = mapper.directOffset(position, n);
    if (direct >= 0) {
      host.readFully(dst, n, direct);
      return n;
    }
    for (Run run : mapper.map(position, n)) {
      if (run.kind() == Run.Kind.DATA) {
        host.readFully(dst, run.length(), run.hostOffset());
      } else {
        fillZeros(dst, run.length());
      }
    }
    return n;
  }

  /** Puts {@code length} zeros at the buffer's position, advancing it. */
  private static void fillZeros(ByteBuffer dst, int length) {
    if (dst.hasArray()) {
      int from = dst.arrayOffset() + dst.position();
      Arrays.fill(dst.array(), from, from + length, (byte) 0);
      dst.position(dst.position() + length);
      return;
    }
    for (int done = 0; done < length; ) {
      int chunk = Math.min(ZEROS.length, length - done);
      dst.put(ZEROS, 0, chunk);
      done += chunk;
    }
  }

  @Override
  public DiskInfo info() {
    return info;
  }

  @Override
  public void close() throws IOException {
    host.close();
  }
}
