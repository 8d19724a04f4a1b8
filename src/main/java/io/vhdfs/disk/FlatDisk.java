package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * A disk that lies in place: its bytes are the file's first {@code size} bytes, read and written
 * straight through (a fixed VHD, whose footer follows them). Writing never touches what follows
 * the disk, so there is no metadata to keep in order; a trailer lost or cut short is put back
 * when the disk is first made writable.
 */
public final class FlatDisk implements VirtualDisk {
  private final HostFile host;
  private final DiskInfo info;
  private final byte[] trailer;
  private final long trailerAt;

  /**
   * @param trailer the bytes that belong after the disk (a fixed VHD's footer), or null for none
   * @param trailerAt where they belong
   */
  public FlatDisk(HostFile host, DiskInfo info, byte[] trailer, long trailerAt) {
    this.host = host;
    this.info = info;
    this.trailer = trailer == null ? null : trailer.clone();
    this.trailerAt = trailerAt;
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
    // A pre-2004 VHD ends in a 511-byte footer; put the whole one back where it belongs.
    if (trailer != null && host.size() != trailerAt + trailer.length) {
      host.write(trailer, trailerAt);
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
