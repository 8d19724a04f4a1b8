package io.vhdfs.vhdx;

import io.vhdfs.disk.Backing;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SparseReader;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;

/**
 * An open VHDX, read-only: every read goes through the shared read path ({@link SparseReader})
 * over the file's {@link VhdxBlockMap}, and, where a dirty log was replayed in memory, reads the
 * stored bytes as the replay leaves them. Writing waits for the format's writer (issue 9); the
 * provider refuses write opens before one reaches this class
 * ({@link io.vhdfs.disk.ImageFormat#require}), so a write here is a caller's error.
 */
final class VhdxDisk implements VirtualDisk {
  private final HostFile host;
  private final DiskInfo info;
  private final Backing backing;
  private final SparseReader reader;

  /**
   * @param source the file as the log's replay leaves it, or {@code null} where the log is clean
   *     and stored bytes are read straight from the host
   */
  VhdxDisk(HostFile host, DiskInfo info, VhdxBlockMap map, Backing backing, ByteSource source) {
    this.host = host;
    this.info = info;
    this.backing = backing;
    this.reader = source == null
        ? new SparseReader(host, map, backing, info.size())
        : new SparseReader(host, map, backing, info.size(), (dst, length, position) -> {
          int limit = dst.limit();
          dst.limit(dst.position() + length);
          try {
            source.readFully(dst, position);
          } finally {
            dst.limit(limit);
          }
        });
  }

  @Override
  public long size() {
    return info.size();
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return reader.read(dst, position);
  }

  @Override
  public long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    return reader.transferTo(position, length, target);
  }

  @Override
  public ExtentCursor extents(long from, long to) {
    return reader.extents(from, to);
  }

  @Override
  public void enableWrites() throws IOException {
    VhdxFormat.INSTANCE.require(VhdxFormat.Capability.WRITE, host.name());
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    throw notWritable();
  }

  @Override
  public void writeZeros(long position, long length) throws IOException {
    throw notWritable();
  }

  private FileSystemException notWritable() {
    return new FileSystemException(host.name(), null, "VHDX writing is not supported yet");
  }

  @Override
  public void flush() {
    // Nothing is ever held back: the disk does not write.
  }

  @Override
  public void force() {
    // As flush.
  }

  @Override
  public List<Path> parents() {
    return backing.chain();
  }

  @Override
  public DiskInfo info() {
    return info;
  }

  @Override
  public void close() throws IOException {
    try (Backing b = backing; HostFile h = host) {
      // both released, the host file last
    }
  }
}
