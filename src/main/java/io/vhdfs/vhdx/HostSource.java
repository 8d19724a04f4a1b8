package io.vhdfs.vhdx;

import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/** The image file on its host as a {@link ByteSource}, for the readers of this package. */
final class HostSource implements ByteSource {
  private final HostFile host;

  HostSource(HostFile host) {
    this.host = host;
  }

  @Override
  public void readFully(ByteBuffer dst, long offset) throws IOException {
    host.readFully(dst, offset);
  }

  @Override
  public long size() throws IOException {
    return host.size();
  }

  @Override
  public String name() {
    return host.name();
  }
}
