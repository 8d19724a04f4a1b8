package io.vhdfs.disk;

import io.vhdfs.vhd.LocatedFooter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * A fixed image: the virtual disk is the file's first {@code size} bytes, read and written straight
 * through. Writing never touches the footer, so there is no metadata to keep in order.
 */
public final class FlatDisk implements VirtualDisk {
  private final HostFile host;
  private final DiskInfo info;
  private final LocatedFooter located;

  public FlatDisk(HostFile host, DiskInfo info, LocatedFooter located) {
    this.host = host;
    this.info = info;
    this.located = located;
  }

  @Override
  public long size() {
    return info.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    int n = ReadSpan.length(dst, position, info.size());
    if (n > 0) {
      host.readFully(dst, n, position);
    }
    return n;
  }

  @Override
  public long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    return host.transferTo(position, length, target);
  }

  @Override
  public ExtentCursor extents(long from, long to) {
    long end = Math.max(from, Math.min(to, info.size()));
    return ExtentCursor.merging(ExtentCursor.of(List.of(
        new Extent(from, end - from, true, 0, host.path(), from),
        Extent.zeros(end, to - end, 0))));
  }

  @Override
  public synchronized void enableWrites() throws IOException {
    if (host.isWritable()) {
      return;
    }
    host.enableWrites();
    // A pre-2004 image ends in a 511-byte footer; put the whole one back where it belongs.
    if (host.size() != located.offset() + 512) {
      host.write(located.footer().encode(), located.offset());
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int n = WriteSpan.length(src, position, info.size(), host.name());
    if (n > 0) {
      host.write(src, position);
    }
    return n;
  }

  /** Zeros only over what does not read as zeros, so a sparse host file keeps its holes. */
  @Override
  public void writeZeros(long position, long length) throws IOException {
    WriteSpan.check(position, length, info.size(), host.name());
    ZeroFill.over(this, position, length, this::write);
  }

  @Override
  public void flush() {
    // Data goes straight to the host file; there is no metadata in memory.
  }

  @Override
  public void force() throws IOException {
    host.force(true);
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
