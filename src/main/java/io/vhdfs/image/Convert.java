package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.HostDataRanges;
import io.vhdfs.disk.KernelCopy;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.DiskView;
import io.vhdfs.disk.Extent;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.vhd.DynamicHeader;
import io.vhdfs.vhd.Footer;
import io.vhdfs.vhd.VhdCreator;
import io.vhdfs.vhd.VhdFormat;
import io.vhdfs.vhdx.HostPayload;
import io.vhdfs.vhdx.NewVhdxWriter;
import io.vhdfs.vhdx.VhdxFormat;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Converts a disk image, raw or in one of the {@link Formats} (told apart by signature, not the
 * name; a differencing image read with its parents), into a new raw file, a new fixed or
 * dynamic VHD, or a new fixed or dynamic VHDX. The source is read through its disk alone ({@link VirtualDisk#extents}, reads).
 *
 * <p>Only what the source stores is read: an image's allocated ranges, anywhere in its chain (a raw
 * file has no map, so all of it). Only what is not zero is written: a dynamic result allocates
 * no block that would hold only zeros, and a raw or fixed result leaves zeros as holes in the host
 * file where the host supports them, in 4 KiB pages, but for zeros inside a chunk the host
 * copies whole ({@link ParallelCopy} gives the rule). The result is written beside the destination (beside the
 * final target of a symbolic link) under a temporary name and moved into place when complete
 * ({@link StagedFile}). A FIFO, a device or a channel cannot be replaced or seek: a raw or fixed
 * result goes into it in order, its zeros written out ({@link SpecialFile}).
 *
 * <p>Sizes. A raw result has the source disk's size. A VHD result keeps it too, rounded up to a
 * whole sector where it is not one (a VHD holds whole sectors): with the CHS geometry that spans
 * it exactly where there is one, so Virtual PC reads the same size, else with 65535/16/255, which
 * every other reader takes to mean "use the size field" ({@code exactSize}); never the CHS round-up
 * of a new image, which would grow the disk for no reason. An Azure result is fixed, its size
 * rounded up to a whole MiB and kept exact. A VHDX result has 512-byte logical sectors and the
 * disk's size rounded up to a whole one, as a VHD; it is written by {@link NewVhdxWriter}, without
 * its log, as only a staged file no one sees may be.
 */
public final class Convert {
  private static final int MIB = 1 << 20;
  /** Granularity of holes in a raw or fixed result: a page, as qemu-img's default. */
  private static final int RAW_GRAIN = 4096;
  /** The most a dynamic result's zero check spans at once; a larger block is checked in parts. */
  private static final int MAX_CHUNK = 4 * MIB;

  private Convert() {}

  /** What a conversion makes. */
  public enum Output {
    /** The disk's bytes, nothing else. */
    RAW,
    /** A fixed VHD. */
    FIXED,
    /** A dynamic VHD. */
    DYNAMIC,
    /** A dynamic VHDX: blocks that would hold only zeros are not allocated. */
    VHDX,
    /** A fixed VHDX: every block allocated, zeros left as holes in the host file. */
    VHDX_FIXED;

    /** The lower-case name used on the command line and in summaries: {@code vhdx-fixed}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether the result is a VHDX. */
    boolean vhdx() {
      return this == VHDX || this == VHDX_FIXED;
    }

    /** Whether only blocks not all zero are allocated, each written whole or not at all. */
    boolean sparseBlocks() {
      return this == DYNAMIC || this == VHDX;
    }

    /** Whether the result can be written front to back into a stream: raw and fixed VHD. */
    boolean inOrder() {
      return this == RAW || this == FIXED;
    }
  }

  /**
   * What to make.
   *
   * @param output the kind of result; null for the other kind than the source's: a raw source
   *     becomes a dynamic VHD, a VHD becomes raw (an Azure result is fixed); but a destination
   *     whose name ends in {@code .vhdx} becomes a dynamic VHDX
   * @param blockSize the block size of a dynamic or VHDX result, a power of two from 512 bytes to
   *     256 MiB (from 1 MiB for a VHDX); 0 for the result format's default, 2 MiB for a VHD and
   *     32 MiB for a VHDX
   * @param azure a fixed result sized for Azure: rounded up to a whole MiB, kept exact
   * @param replace whether an existing destination is replaced
   * @param chain how a differencing source's parents are found and checked
   * @param view the part of a VHD source's disk to convert (a partition), or null for all of it
   * @param sync whether the result is forced to the disk before it takes the destination's name
   */
  public record Request(Output output, int blockSize, boolean azure, boolean replace,
      ChainOptions chain, DiskView view, boolean sync) {
    /** Checks the combination. */
    public Request {
      if (view == null) {
        view = DiskView.WHOLE;
      }
      if (blockSize != 0 && (blockSize < DynamicHeader.MIN_BLOCK_SIZE
          || blockSize > DynamicHeader.MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1)) {
        throw new IllegalArgumentException("block size " + blockSize
            + " is not a power of two from 512 bytes to 256 MiB");
      }
      if (azure && output != null && output != Output.FIXED) {
        throw new IllegalArgumentException("an Azure image is fixed, not "
            + output.label());
      }
      if (chain == null) {
        throw new NullPointerException("chain");
      }
    }
  }

  /**
   * What a conversion did.
   *
   * @param sourceType {@code raw}, or the source VHD's type: {@code fixed}, {@code dynamic},
   *     {@code differencing}
   * @param output what was made
   * @param size the result's disk size in bytes
   * @param bytesRead bytes read from the source's disk: its allocated ranges
   * @param bytesWritten bytes of data written into the result (metadata not counted): runs not
   *     all zero (a dynamic result's in whole blocks), and chunks the host copied whole
   */
  public record Result(String sourceType, Output output, long size, long bytesRead,
      long bytesWritten) {}

  /**
   * Converts {@code src} into {@code dst}.
   *
   * <p>A regular file (or none) is staged ({@link StagedFile}); a symbolic link is followed to its
   * final target, which gets the result while the link stays. A FIFO or a character or block
   * device is written where it is, in order, with no temporary file and whatever {@code replace}
   * says: a raw or fixed result only.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code dst} exists and is not to be
   *     replaced
   * @throws java.nio.file.FileSystemException if {@code dst} is a FIFO or device and the result
   *     is dynamic, or a block device too small for it; both before the source's disk is read
   * @throws IllegalArgumentException if the result cannot hold the disk (a VHD larger than 2040
   *     GiB, a block size too small for the size)
   * @throws InterruptedIOException if the thread is interrupted; nothing is left behind
   */
  public static Result convert(Path src, Path dst, Request request, ProgressListener progress)
      throws IOException {
    SpecialFile special = SpecialFile.of(dst);
    if (special != null) {
      return convertInPlace(src, special, request, progress);
    }
    Output named = namedOutput(dst, request);
    try (ImageSource source = ImageSource.open(src, request.chain(), request.view())) {
      Output output = named != null ? named : outputOf(source, request);
      long size = resultSize(source.size(), output, request.azure());
      int blockSize = blockSize(output, request);
      if (output.vhdx()) {
        NewVhdxWriter.checkParameters(size, blockSize); // before the destination is touched
      }
      Stored stored = stored(source, src);
      try (StagedFile staged = StagedFile.begin(dst, request.replace())) {
        long[] counts;
        try (ImageSink sink = openSink(staged.temp(), output, size, blockSize, request)) {
          counts = copy(source, stored, sink, output, size, blockSize, progress);
          sink.finish(size, request.sync());
        }
        staged.commit();
        return new Result(sourceType(source), output, size, counts[0], counts[1]);
      }
    }
  }

  /**
   * Converts {@code src} into {@code dst} in order, every byte of the disk written, zeros too: a
   * raw disk, or a fixed VHD's disk followed by its footer. {@code dst} is a blocking channel and
   * is left open; it is written from its position on.
   *
   * @throws IllegalArgumentException if the result would be dynamic, which cannot be written in
   *     order (refused before the source's disk is read), or cannot hold the disk
   */
  public static Result convert(Path src, WritableByteChannel dst, Request request,
      ProgressListener progress) throws IOException {
    if (request.output() != null && !request.output().inOrder()) {
      throw new IllegalArgumentException(dynamicInOrder(request.output(), "a stream"));
    }
    try (ImageSource source = ImageSource.open(src, request.chain(), request.view())) {
      Output output = outputOf(source, request);
      if (!output.inOrder()) {
        throw new IllegalArgumentException(dynamicInOrder(output, "a stream"));
      }
      return writeInOrder(source, src, dst, output, request, progress);
    }
  }

  /**
   * Writes into a FIFO or device where it is: renaming a file onto it would take the node away,
   * and a pipe takes bytes only in order.
   */
  private static Result convertInPlace(Path src, SpecialFile dst, Request request,
      ProgressListener progress) throws IOException {
    if (request.output() != null && !request.output().inOrder()) {
      throw new FileSystemException(dst.path().toString(), null,
          dynamicInOrder(request.output(), dst.kind().label()));
    }
    try (ImageSource source = ImageSource.open(src, request.chain(), request.view())) {
      Output output = outputOf(source, request);
      if (!output.inOrder()) {
        throw new FileSystemException(dst.path().toString(), null,
            dynamicInOrder(output, dst.kind().label()));
      }
      long size = resultSize(source.size(), output, request.azure());
      try (SeekableByteChannel channel = dst.openForWriting()) {
        dst.checkRoom(channel, size + (output == Output.FIXED ? Footer.SIZE : 0));
        Result r = writeInOrder(source, src, channel, output, request, progress);
        if (request.sync()) {
          dst.force(channel);
        }
        return r;
      }
    }
  }

  private static String dynamicInOrder(Output output, String what) {
    return (output.vhdx() ? "a VHDX" : "a dynamic VHD") + " cannot be written into " + what
        + ", which is written front to back in place; convert to raw or fixed";
  }

  private static Result writeInOrder(ImageSource source, Path src, WritableByteChannel out,
      Output output, Request request, ProgressListener progress) throws IOException {
    long size = resultSize(source.size(), output, request.azure());
    Footer footer = output == Output.FIXED
        ? VhdCreator.newFooter(DiskType.FIXED, size, exactSize(size, request)) : null;
    Stored stored = stored(source, src);
    try (ImageSink sink = ImageSink.inOrder(out, footer)) {
      long[] counts = copy(source, stored, sink, output, size, blockSize(output, request),
          progress);
      sink.finish(size, request.sync());
      return new Result(sourceType(source), output, size, counts[0], counts[1]);
    }
  }

  /** The result the request asks for, or the other kind than the source's. */
  private static Output outputOf(ImageSource source, Request request) {
    return request.output() != null ? request.output()
        : request.azure() ? Output.FIXED : source.isImage() ? Output.RAW : Output.DYNAMIC;
  }

  /**
   * A dynamic VHDX for a destination named {@code *.vhdx} when no result is asked for (and no
   * Azure image, which is a VHD); else null, the result then chosen by the source.
   */
  private static Output namedOutput(Path dst, Request request) {
    Path name = dst.getFileName();
    return request.output() == null && !request.azure() && name != null
        && name.toString().toLowerCase(Locale.ROOT).endsWith(".vhdx") ? Output.VHDX : null;
  }

  /** The request's block size, or the result format's default. */
  private static int blockSize(Output output, Request request) {
    if (request.blockSize() != 0) {
      return request.blockSize();
    }
    return output.vhdx() ? VhdxFormat.INSTANCE.defaultBlockSize()
        : VhdFormat.INSTANCE.defaultBlockSize();
  }

  private static String sourceType(ImageSource source) {
    return source.isImage() ? source.disk().info().type().label() : "raw";
  }

  /** The result's disk size for a source disk of {@code sourceSize} bytes; see the class doc. */
  static long resultSize(long sourceSize, Output output, boolean azure) {
    if (output == Output.RAW) {
      return sourceSize;
    }
    long unit = azure ? MIB : 512;
    return (sourceSize + unit - 1) / unit * unit;
  }

  private static ImageSink openSink(Path file, Output output, long size, int blockSize,
      Request request) throws IOException {
    if (output == Output.RAW) {
      return ImageSink.raw(file, request.sync());
    }
    if (output.vhdx()) {
      return ImageSink.vhdx(file, output == Output.VHDX_FIXED, size, blockSize,
          request.sync());
    }
    if (output == Output.DYNAMIC) {
      return ImageSink.dynamicVhd(file, size, blockSize, exactSize(size, request),
          request.sync());
    }
    return ImageSink.vhd(file, DiskType.FIXED, size, blockSize, exactSize(size, request));
  }

  /** The geometry rounded up for a new image is used only where it spans the size exactly. */
  private static boolean exactSize(long size, Request request) {
    return request.azure() || VhdCreator.createdSize(size, false) != size;
  }

  /**
   * The bytes of the source disk that are stored anywhere: as {start, end} ranges in order and
   * merged, and as extents that each lie in a row in one file (a VHD's data extents, its parents'
   * included, less the holes of their files where the host tells them; a raw file's data ranges
   * where its host tells them ({@link HostDataRanges}), else all of it).
   */
  private record Stored(List<long[]> ranges, List<Extent> extents) {}

  private static Stored stored(ImageSource source, Path src) throws IOException {
    List<long[]> ranges = new ArrayList<>();
    List<Extent> extents = new ArrayList<>();
    if (!source.isImage()) {
      // Where the host says where a raw file's holes are, they are zeros and are not read.
      Optional<List<long[]>> data = HostDataRanges.of(src);
      if (data.isPresent()) {
        ranges = data.get();
      } else if (source.size() > 0) {
        ranges.add(new long[] {0, source.size()});
      }
      for (long[] r : ranges) {
        extents.add(new Extent(r[0], r[1] - r[0], true, 0, src, r[0]));
      }
      return new Stored(ranges, extents);
    }
    Map<Path, Optional<List<long[]>>> holes = new HashMap<>();
    for (Extent e : ExtentMap.of(source.disk())) {
      if (!e.data()) {
        continue;
      }
      for (Extent d : hostData(e, holes)) {
        extents.add(d);
        long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
        if (last != null && last[1] == d.offset()) {
          last[1] += d.length();
        } else {
          ranges.add(new long[] {d.offset(), d.offset() + d.length()});
        }
      }
    }
    return new Stored(ranges, extents);
  }

  /**
   * The parts of stored extent {@code e} that its file holds as data: where the host tells where
   * the file's holes are ({@link HostDataRanges}) and the file reads as it lies there
   * ({@link HostPayload}), a hole under an extent reads as zeros and need not be read (an image
   * whose blocks were written sparse, as qemu-img and a fixed VHDX of ours leave them); else all
   * of it. {@code known} keeps each file's answer.
   */
  private static List<Extent> hostData(Extent e, Map<Path, Optional<List<long[]>>> known)
      throws IOException {
    Path file = e.file();
    if (file == null) {
      return List.of(e);
    }
    Optional<List<long[]>> data = known.get(file);
    if (data == null) {
      data = KernelCopy.supports(file) && HostPayload.readsAsStored(file)
          ? HostDataRanges.of(file) : Optional.empty();
      known.put(file, data);
    }
    if (data.isEmpty()) {
      return List.of(e);
    }
    List<long[]> r = data.get();
    long from = e.hostOffset();
    long to = from + e.length();
    // The first data range that ends after the extent starts, by binary search.
    int lo = 0;
    int hi = r.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (r.get(mid)[1] <= from) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    List<Extent> parts = new ArrayList<>();
    for (int k = lo; k < r.size() && r.get(k)[0] < to; k++) {
      long a = Math.max(from, r.get(k)[0]);
      long b = Math.min(to, r.get(k)[1]);
      parts.add(new Extent(e.offset() + (a - from), b - a, true, e.depth(), file, a));
    }
    return parts;
  }

  /**
   * The files the stored extents lie in whose bytes may be copied by the host: on the default
   * file system, and read as they lie there ({@link HostPayload}).
   */
  private static Set<Path> copyable(List<Extent> extents) throws IOException {
    Set<Path> files = new HashSet<>();
    Set<Path> seen = new HashSet<>();
    for (Extent e : extents) {
      Path f = e.file();
      if (f != null && seen.add(f) && KernelCopy.supports(f) && HostPayload.readsAsStored(f)) {
        files.add(f);
      }
    }
    return files;
  }

  /**
   * Copies the stored ranges chunk by chunk, skipping chunks outside them unread; within a chunk
   * only runs of grains that are not all zero are written. A dynamic result's grain is its block
   * (or 4 MiB of a larger one), so a block is allocated whole or not at all; of a block read
   * into the JVM only the pages with data are written, the rest holes of the new file. A sink
   * that takes bytes in order gets each chunk whole, read ahead of its writes, and writes the
   * zeros between chunks itself; any other sink gets chunks from several threads, some copied by
   * the host ({@link ParallelCopy}, whose class doc gives the rule for when).
   *
   * @return bytes read and bytes written: runs not all zero, and chunks the host copied
   */
  private static long[] copy(ImageSource source, Stored stored, ImageSink sink,
      Output output, long size, int blockSize, ProgressListener progress) throws IOException {
    boolean sparse = output.sparseBlocks();
    long end = Math.min(size, source.size());
    if (!sink.inOrder()) {
      // A raw result's chunk is a MiB: one read into a buffer stays in the cache until it is
      // written (a whole ./vhd convert of a 1 GiB VHD to raw took twice the CPU with 4 MiB).
      int chunk = sparse ? Math.max(MIB, Math.min(blockSize, MAX_CHUNK)) : MIB;
      int grain = sparse ? Math.min(blockSize, chunk) : RAW_GRAIN;
      Set<Path> copyable = sink.hostFile() != null ? copyable(stored.extents()) : Set.of();
      return new ParallelCopy(source, stored.ranges(), stored.extents(), copyable, sink, sparse,
          chunk, grain, end).run(progress);
    }
    List<long[]> ranges = stored.ranges();
    int chunk = sparse ? Math.max(MIB, Math.min(blockSize, MAX_CHUNK)) : MIB;
    int grain = sparse ? Math.min(blockSize, chunk) : RAW_GRAIN;
    long read = 0;
    long written = 0;
    long done = 0;
    try (ReadAhead chunks = new ReadAhead(source, ranges, end, chunk, grain)) {
      for (ReadAhead.Chunk c; (c = chunks.next()) != null; ) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("conversion interrupted");
        }
        ByteBuffer buf = c.buf();
        int[] runs = c.runs();
        sink.write(buf.limit(c.length()).position(0), c.at());
        for (int i = 0; i < runs.length; i += 2) {
          written += runs[i + 1] - runs[i]; // data, not zeros, whatever the sink took
        }
        read += c.read();
        chunks.release(c);
        done = c.at() + c.length();
        progress.advanced(done, end);
      }
    }
    if (done < end) {
      progress.advanced(end, end);
    }
    return new long[] {read, written};
  }
}
