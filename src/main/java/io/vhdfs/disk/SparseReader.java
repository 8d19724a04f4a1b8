package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;

/**
 * The read side of a sparse image, the same for every format: reads, transfers and extents,
 * worked out from the format's {@link BlockMap} by one {@link SectorMapper}. A read costs one run
 * list and one host read per run; a range inside one fully written block, or one the image does
 * not hold, is served without building runs at all. What the image does not hold comes from its
 * {@link Backing}.
 */
public final class SparseReader {
  private final HostFile host;
  private final BlockMap map;
  private final SectorMapper mapper;
  private final Backing backing;
  private final long size;
  /** Where stored bytes come from when not straight from the host file, or null. */
  private final StoredBytes stored;

  /**
   * @param size the virtual size of the disk, which the map's blocks cover
   */
  public SparseReader(HostFile host, BlockMap map, Backing backing, long size) {
    this(host, map, backing, size, null);
  }

  /**
   * A reader whose stored bytes come from {@code stored} rather than straight from
   * {@code host}; transfers of them then go through a buffer.
   *
   * @param stored how the file's bytes read, or {@code null} for as they lie on the host
   */
  public SparseReader(HostFile host, BlockMap map, Backing backing, long size,
      StoredBytes stored) {
    this.host = host;
    this.map = map;
    this.mapper = new SectorMapper(map);
    this.backing = backing;
    this.size = size;
    this.stored = stored;
  }

  /** {@link VirtualDisk#read}. */
  public int read(ByteBuffer dst, long position) throws IOException {
    int n = ReadSpan.length(dst, position, size);
    if (n <= 0) {
      return n;
    }
    long direct = mapper.directOffset(position, n);
    if (direct >= 0) {
      readStored(dst, n, direct);
      return n;
    }
    if (direct == SectorMapper.NOT_HELD) {
      backing.read(dst, n, position);
      return n;
    }
    long at = position;
    for (Run run : mapper.map(position, n)) {
      switch (run.kind()) {
        case DATA -> readStored(dst, run.length(), run.hostOffset());
        case ZERO -> Backing.fillZeros(dst, run.length());
        case BACKING -> backing.read(dst, run.length(), at);
      }
      at += run.length();
    }
    return n;
  }

  /** {@link VirtualDisk#transferTo}, a block at a time. */
  public long transferTo(long position, long length, WritableByteChannel target)
      throws IOException {
    long blockSize = map.blockSize();
    long done = 0;
    while (done < length) {
      long p = position + done;
      int n = (int) Math.min(length - done, blockSize - p % blockSize);
      long at = p;
      for (Run run : mapper.map(p, n)) {
        long sent = switch (run.kind()) {
          case DATA -> stored == null
              ? host.transferTo(run.hostOffset(), run.length(), target)
              : transferStored(run.hostOffset(), run.length(), target);
          case ZERO -> Backing.writeZeros(target, run.length());
          case BACKING -> backing.transferTo(at, run.length(), target);
        };
        done += sent;
        if (sent < run.length()) {
          return done;
        }
        at += run.length();
      }
    }
    return done;
  }

  private void readStored(ByteBuffer dst, int length, long hostOffset) throws IOException {
    if (stored == null) {
      host.readFully(dst, length, hostOffset);
    } else {
      stored.read(dst, length, hostOffset);
    }
  }

  /** Sends stored bytes that must be read through {@link #stored}, through a heap buffer. */
  private long transferStored(long hostOffset, int length, WritableByteChannel target)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Math.min(length, 1 << 20));
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(buf.capacity(), length - done);
      buf.clear();
      stored.read(buf, n, hostOffset + done);
      buf.flip();
      while (buf.hasRemaining()) {
        if (target.write(buf) == 0 && buf.hasRemaining()) {
          return done + buf.position();
        }
      }
      done += n;
    }
    return done;
  }

  /** {@link VirtualDisk#extents}: worked out a block at a time as the cursor moves. */
  public ExtentCursor extents(long from, long to) {
    return ExtentCursor.merging(new SparseExtentCursor(this, from, to));
  }

  /** The runs of {@code [position, position + length)}, a range inside the disk. */
  List<Run> runs(long position, int length) throws IOException {
    return mapper.map(position, length);
  }

  BlockMap map() {
    return map;
  }

  Backing backing() {
    return backing;
  }

  HostFile host() {
    return host;
  }

  long size() {
    return size;
  }
}
