package io.vhdfs.vhdx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * The codecs chained in the order the engine will chain them, with a plain read path on top, so
 * tests can check whole images end to end: identifier, headers, log replay, region tables, areas,
 * metadata, BAT, then guest bytes per block state (sector bitmaps for PARTIALLY_PRESENT blocks,
 * the parent or zeros for NOT_PRESENT). Deliberately simple: one block at a time, no caching.
 */
final class CodecImage {
  final ByteSource raw;
  final ByteSource source;
  final FileIdentifier identifier;
  final HeaderChoice headers;
  final ReplayedLog log;
  final RegionTableChoice regions;
  final StructureAreas areas;
  final VhdxMetadata metadata;
  final BatReader bat;

  private CodecImage(ByteSource raw, int pageBytes, int cachedPages) throws IOException {
    this.raw = raw;
    String name = raw.name();
    identifier = FileIdentifier.decode(raw.readStructure(0, FileIdentifier.DECODED_BYTES,
        "file identifier"), name);
    headers = HeaderChoice.choose(raw.readStructure(VhdxHeader.HEADER1_OFFSET, VhdxHeader.SIZE,
        "header 1"), raw.readStructure(VhdxHeader.HEADER2_OFFSET, VhdxHeader.SIZE, "header 2"),
        name);
    log = LogReplay.replay(raw, headers.current());
    source = log.overlay().over(raw);
    regions = RegionTableChoice.choose(
        source.readStructure(RegionTable.COPY1_OFFSET, RegionTable.SIZE, "region table 1"),
        source.readStructure(RegionTable.COPY2_OFFSET, RegionTable.SIZE, "region table 2"),
        name);
    areas = StructureAreas.of(headers.current(), regions.table(), source.size(), name);
    metadata = VhdxMetadata.read(source, regions.table().metadata());
    bat = new BatReader(source, metadata.batGeometry(), regions.table().bat(), areas, pageBytes,
        cachedPages);
  }

  static CodecImage open(ByteSource raw) throws IOException {
    return new CodecImage(raw, BatReader.DEFAULT_PAGE_BYTES, BatReader.DEFAULT_CACHED_PAGES);
  }

  static CodecImage open(ByteSource raw, int pageBytes, int cachedPages) throws IOException {
    return new CodecImage(raw, pageBytes, cachedPages);
  }

  static CodecImage open(byte[] bytes) throws IOException {
    return open(ByteSource.of(bytes, "test.vhdx"));
  }

  long size() {
    return metadata.virtualDiskSize();
  }

  /** Guest bytes at {@code offset}; {@code parent} serves PARENT reads (zeros when null). */
  void read(long offset, byte[] dst, int off, int len, CodecImage parent) throws IOException {
    BatGeometry g = metadata.batGeometry();
    boolean differencing = g.differencing();
    int lss = metadata.logicalSectorSize();
    while (len > 0) {
      long block = offset / g.blockSize();
      int within = (int) (offset % g.blockSize());
      int n = (int) Math.min(len, g.blockSize() - within);
      BatEntry e = bat.payloadEntry(block);
      switch (e.payloadState().content(differencing)) {
        case ZEROS -> Arrays.fill(dst, off, off + n, (byte) 0);
        case PARENT -> fromParent(parent, offset, dst, off, n);
        case FILE -> source.readFully(ByteBuffer.wrap(dst, off, n), e.fileOffset() + within);
        case BY_SECTOR -> {
          BatEntry sb = bat.bitmapEntry(g.chunkOf(block));
          byte[] slice = source.read(sb.fileOffset() + g.bitmapSliceOffset(block),
              g.bitmapSliceBytes());
          int done = 0;
          while (done < n) {
            int sector = (within + done) / lss;
            int inSector = (within + done) % lss;
            int run = SectorBitmap.runLength(slice, sector, g.sectorsPerBlock() - sector);
            int k = (int) Math.min(n - done, (long) run * lss - inSector);
            if (SectorBitmap.isPresent(slice, sector)) {
              source.readFully(ByteBuffer.wrap(dst, off + done, k),
                  e.fileOffset() + within + done);
            } else {
              fromParent(parent, offset + done, dst, off + done, k);
            }
            done += k;
          }
        }
        default -> throw new AssertionError();
      }
      offset += n;
      off += n;
      len -= n;
    }
  }

  private static void fromParent(CodecImage parent, long offset, byte[] dst, int off, int n)
      throws IOException {
    Arrays.fill(dst, off, off + n, (byte) 0);
    if (parent != null && offset < parent.size()) {
      int k = (int) Math.min(n, parent.size() - offset);
      parent.read(offset, dst, off, k, null);
    }
  }

  byte[] readAll(CodecImage parent) throws IOException {
    byte[] all = new byte[Math.toIntExact(size())];
    read(0, all, 0, all.length, parent);
    return all;
  }

  /** A host file as a ByteSource, closed by the test. */
  static final class HostSource implements ByteSource, AutoCloseable {
    private final Path path;
    private final FileChannel ch;
    long bytesRead;

    HostSource(Path path) throws IOException {
      this.path = path;
      this.ch = FileChannel.open(path, StandardOpenOption.READ);
    }

    @Override
    public void readFully(ByteBuffer dst, long offset) throws IOException {
      long at = offset;
      while (dst.hasRemaining()) {
        int r = ch.read(dst, at);
        if (r < 0) {
          throw new java.io.EOFException(path + ": end of file at " + at);
        }
        at += r;
        bytesRead += r;
      }
    }

    @Override
    public long size() throws IOException {
      return ch.size();
    }

    @Override
    public String name() {
      return path.getFileName().toString();
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
