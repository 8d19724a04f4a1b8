package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;

/** A fixed image: the virtual disk is the file's first {@code size} bytes, read straight through. */
final class FixedDisk implements VirtualDisk {
  private final HostFile host;
  private final DiskInfo info;

  FixedDisk(HostFile host, DiskInfo info) {
    this.host = host;
    this.info = info;
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
  public DiskInfo info() {
    return info;
  }

  @Override
  public void close() throws IOException {
    host.close();
  }
}
