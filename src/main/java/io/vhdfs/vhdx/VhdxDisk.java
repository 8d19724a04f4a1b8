package io.vhdfs.vhdx;

import io.vhdfs.disk.Backing;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.ExtentCursor;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SparseReader;
import io.vhdfs.disk.StoredBytes;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.disk.WriteSpan;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * An open VHDX. Every read goes through the shared read path ({@link SparseReader}) over the
 * file's {@link VhdxBlockMap}, and, where a dirty log was replayed in memory, reads the stored
 * bytes as the replay leaves them.
 *
 * <p>Writes go through a {@link VhdxBlockWriter}, made when the disk is made writable: a dirty log
 * is then replayed onto the file first (headers, sectors, headers, as {@link VhdxRepair} writes
 * them), after which the file itself reads as the replay did. Nothing else is written until the
 * first write, so a writable open that only reads leaves the file as it was.
 */
final class VhdxDisk implements VirtualDisk {
  private final HostFile host;
  private final DiskInfo info;
  private final BatReader bat;
  private final VhdxBlockMap map;
  private final PendingSectors pending;
  private final Backing backing;
  /** The replayed file while its dirty log is replayed only in memory, else null. */
  private ByteSource replayedSource;
  private volatile SparseReader reader;
  private volatile VhdxBlockWriter writer;
  private boolean keepDataWriteGuid;

  /**
   * @param source the file as the log's replay leaves it, or {@code null} where the log is clean
   *     and stored bytes are read straight from the host
   */
  VhdxDisk(HostFile host, DiskInfo info, BatReader bat, VhdxBlockMap map, PendingSectors pending,
      Backing backing, ByteSource source) {
    this.host = host;
    this.info = info;
    this.bat = bat;
    this.map = map;
    this.pending = pending;
    this.backing = backing;
    this.replayedSource = source;
    this.reader = new SparseReader(host, map, backing, info.size(), storedBytes(source));
  }

  private static StoredBytes storedBytes(ByteSource source) {
    return source == null ? null : (dst, length, position) -> {
      int limit = dst.limit();
      dst.limit(dst.position() + length);
      try {
        source.readFully(dst, position);
      } finally {
        dst.limit(limit);
      }
    };
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
  public synchronized void enableWrites() throws IOException {
    if (writer != null) {
      return;
    }
    host.enableWrites();
    HeaderChoice headers = HeaderChoice.read(new HostSource(host));
    UUID fileWriteGuid = UUID.randomUUID();
    if (replayedSource != null) {
      VhdxRepair.replayOnto(host, headers, fileWriteGuid);
      pending.rebase(new HostSource(host));
      reader = new SparseReader(host, map, backing, info.size());
      replayedSource = null;
      headers = HeaderChoice.read(new HostSource(host));
    }
    pending.reserveOn(host);
    writer = new VhdxBlockWriter(host, bat, map, pending,
        new LoggedMetadata(host, pending, HeaderPairWriter.of(host, headers), headers.current(),
            fileWriteGuid, keepDataWriteGuid),
        reader, info.size());
  }

  /**
   * Makes the disk writable for a commit into it: the DataWriteGuid its children link by is kept
   * until the disk closes, so a commit cut short leaves the child it came from still linked, its
   * chain reading as before, ready to run again.
   */
  @Override
  public synchronized void enableWritesForCommit() throws IOException {
    if (writer == null) {
      keepDataWriteGuid = true;
    }
    enableWrites();
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    VhdxBlockWriter w = writer;
    if (w == null) {
      throw new IllegalStateException("write before enableWrites");
    }
    return w.write(src, position);
  }

  @Override
  public void writeZeros(long position, long length) throws IOException {
    WriteSpan.check(position, length, info.size(), host.name());
    VirtualDisk.super.writeZeros(position, length);
  }

  @Override
  public void flush() throws IOException {
    VhdxBlockWriter w = writer;
    if (w != null) {
      w.flush();
    }
  }

  @Override
  public void force() throws IOException {
    VhdxBlockWriter w = writer;
    if (w != null) {
      w.flush();
      host.force(true);
    }
  }

  @Override
  public List<Path> parents() {
    return backing.chain();
  }

  @Override
  public DiskInfo info() {
    VhdxBlockWriter w = writer;
    if (w == null) {
      return info;
    }
    long allocated = info.allocatedBlocks() < 0 ? -1 : info.allocatedBlocks() + w.newBlocks();
    return info.withUsage(allocated, w.fileEnd());
  }

  @Override
  public void close() throws IOException {
    try (Backing b = backing; HostFile h = host) {
      VhdxBlockWriter w = writer;
      if (w != null) {
        w.close();
      }
    }
  }
}
