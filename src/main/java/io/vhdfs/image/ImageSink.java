package io.vhdfs.image;

import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.KernelCopy;
import io.vhdfs.disk.NewImageWriter;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.disk.WriteBehind;
import io.vhdfs.vhd.Footer;
import io.vhdfs.vhd.NewVhdFile;
import io.vhdfs.vhd.VhdCreator;
import io.vhdfs.vhdx.NewVhdxWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a conversion writes a new disk's bytes: a raw file; a fixed VHD made by
 * {@link VhdCreator} and written through its {@link VirtualDisk}, as any other writer of the
 * library would; a new dynamic VHD filled by {@link NewVhdFile}; a new VHDX filled by
 * {@link NewVhdxWriter}; or a stream taking a raw disk or fixed VHD in order. Only
 * bytes that are not zero are handed to a file, which already reads as zeros everywhere else; a
 * stream gets every byte. A raw file, a dynamic VHD and a VHDX also let the caller put bytes into their host file
 * itself ({@link #hostFile}), for a copy by the host that never passes through the JVM.
 *
 * <p>A sink that does not take bytes {@link #inOrder} takes {@link #write}, {@link #hostOffset}
 * and {@link #copied} from several threads at once.
 */
abstract class ImageSink implements Closeable {
  /** Writes all of {@code src} at disk offset {@code position}. */
  abstract void write(ByteBuffer src, long position) throws IOException;

  /**
   * The file of the default file system the disk's bytes go into, where the caller may put them
   * itself ({@link #hostOffset}); null where they must be handed to {@link #write}.
   */
  Path hostFile() {
    return null;
  }

  /**
   * Where in {@link #hostFile} disk offset {@code position} goes, its block allocated now (to be
   * filled whole) if it has none; the bytes from there up to {@link #hostRegionEnd} lie in a row.
   * A host offset lies within its page as its disk offset does.
   */
  long hostOffset(long position) throws IOException {
    throw new UnsupportedOperationException("no host file");
  }

  /** The disk offset where the host bytes in a row from {@code position} on end. */
  long hostRegionEnd(long position) {
    throw new UnsupportedOperationException("no host file");
  }

  /** Counts {@code length} bytes put at disk offset {@code position} into the host file. */
  void copied(long position, long length) throws IOException {
    throw new UnsupportedOperationException("no host file");
  }

  /**
   * Completes the disk at {@code size} bytes and, with {@code sync}, makes it durable; without,
   * what it holds in memory still goes to the file, but nothing is forced that need not be.
   */
  abstract void finish(long size, boolean sync) throws IOException;

  /**
   * Whether bytes must be handed over in disk order; such a sink takes whole chunks, zeros and
   * all, in as few writes as it can.
   */
  boolean inOrder() {
    return false;
  }

  /**
   * A new raw file, {@code file}, which must not exist; forced in the background as it fills
   * only if it is to be made durable ({@code sync}).
   */
  static ImageSink raw(Path file, boolean sync) throws IOException {
    return new Raw(file, Files.newByteChannel(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE), sync);
  }

  /**
   * A new VHD, {@code file}, which must not exist, created as {@link VhdCreator#create} does and
   * opened for writing.
   *
   * @throws IllegalStateException if the created image does not read as {@code size} bytes
   */
  static ImageSink vhd(Path file, DiskType type, long size, int blockSize, boolean exactSize)
      throws IOException {
    VhdCreator.create(file, type, size, blockSize, exactSize);
    return openVhd(file, size);
  }

  /**
   * A new dynamic VHD, {@code file}, which must not exist, created as {@link VhdCreator#create}
   * does and filled by {@link NewVhdFile}, as only a file no one else sees yet may be: blocks
   * appended, the table written once at the end, nothing forced before that unless {@code sync}.
   */
  static ImageSink dynamicVhd(Path file, long size, int blockSize, boolean exactSize,
      boolean sync) throws IOException {
    return new NewFile(NewVhdFile.create(file, size, blockSize, exactSize, sync));
  }

  private static ImageSink openVhd(Path file, long size) throws IOException {
    VirtualDisk disk = Formats.openAlone(file, SizeRule.AUTO);
    try {
      if (disk.size() != size) {
        throw new IllegalStateException(file + ": created for " + size + " bytes but reads as "
            + disk.size());
      }
      disk.enableWrites();
    } catch (IOException | RuntimeException e) {
      disk.close();
      throw e;
    }
    return new Vhd(disk);
  }

  /**
   * A new VHDX, {@code file}, which must not exist, written without its log as only a file no one
   * else sees yet may be ({@link NewVhdxWriter}).
   */
  static ImageSink vhdx(Path file, boolean fixed, long size, int blockSize, boolean sync)
      throws IOException {
    return new NewFile(NewVhdxWriter.create(file, fixed, size, blockSize, sync));
  }

  /**
   * A disk written in order into {@code out}, a blocking channel that cannot seek or hold holes
   * (a pipe, a device, a stream): the zeros between the bytes handed over are written out, and a
   * fixed VHD, given its {@code footer}, is its disk followed by the footer and nothing else.
   * {@code out} is left open.
   *
   * @param footer the footer of a fixed VHD, or null for a raw disk
   */
  static ImageSink inOrder(WritableByteChannel out, Footer footer) {
    return new InOrder(out, footer);
  }

  /** A raw file written sparse: zeros are holes, and its length is set without writing them. */
  private static final class Raw extends ImageSink {
    private final Path file;
    private final SeekableByteChannel channel;
    private final WriteBehind writeBehind;
    private long end;

    Raw(Path file, SeekableByteChannel channel, boolean sync) {
      this.file = file;
      this.channel = channel;
      this.writeBehind = sync && channel instanceof FileChannel fc ? new WriteBehind(fc) : null;
    }

    @Override
    void write(ByteBuffer src, long position) throws IOException {
      long at = position;
      if (channel instanceof FileChannel fc) {
        while (src.hasRemaining()) {
          at += fc.write(src, at);
        }
      } else {
        synchronized (this) {
          channel.position(at);
          while (src.hasRemaining()) {
            at += channel.write(src);
          }
        }
      }
      copied(position, at - position);
    }

    @Override
    Path hostFile() {
      return channel instanceof FileChannel && KernelCopy.supports(file) ? file : null;
    }

    @Override
    long hostOffset(long position) {
      return position;
    }

    @Override
    long hostRegionEnd(long position) {
      return Long.MAX_VALUE;
    }

    @Override
    synchronized void copied(long position, long length) {
      if (writeBehind != null) {
        writeBehind.wrote(length);
      }
      end = Math.max(end, position + length);
    }

    @Override
    synchronized void finish(long size, boolean sync) throws IOException {
      if (end < size) {
        extend(size);
      }
      if (sync && channel instanceof FileChannel fc) {
        writeBehind.await();
        fc.force(true);
      }
    }

    /**
     * Sets the length without writing: a channel only truncates, so on the default file system
     * the file's own call does it; elsewhere one zero byte at the end has to.
     */
    private void extend(long size) throws IOException {
      if (file.getFileSystem() == FileSystems.getDefault()) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
          f.setLength(size);
        }
      } else {
        write(ByteBuffer.allocate(1), size - 1);
      }
      end = size;
    }

    @Override
    public void close() throws IOException {
      try (SeekableByteChannel c = channel) {
        if (writeBehind != null) {
          writeBehind.close();
        }
      }
    }
  }

  /** A raw disk, or a fixed VHD's disk and footer, written front to back. */
  private static final class InOrder extends ImageSink {
    private static final int ZEROS = 1 << 20;
    private final WritableByteChannel out;
    private final Footer footer;
    private ByteBuffer zeros;
    private long at;

    InOrder(WritableByteChannel out, Footer footer) {
      this.out = out;
      this.footer = footer;
    }

    @Override
    boolean inOrder() {
      return true;
    }

    @Override
    void write(ByteBuffer src, long position) throws IOException {
      if (position < at) {
        throw new IllegalStateException("disk offset " + position + " handed over after "
            + at + ": a stream is written in order");
      }
      zerosUpTo(position);
      at += writeFully(src);
    }

    @Override
    void finish(long size, boolean sync) throws IOException {
      zerosUpTo(size);
      if (footer != null) {
        if (footer.currentSize() != size) {
          throw new IllegalStateException("a footer for " + footer.currentSize()
              + " bytes after a disk of " + size);
        }
        writeFully(ByteBuffer.wrap(footer.encode()));
      }
    }

    /** A pipe cannot have holes: the disk's zeros are written as zeros. */
    private void zerosUpTo(long position) throws IOException {
      while (at < position) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("conversion interrupted");
        }
        if (zeros == null) {
          zeros = ByteBuffer.allocateDirect(ZEROS);
        }
        zeros.clear().limit((int) Math.min(ZEROS, position - at));
        at += writeFully(zeros);
      }
    }

    private int writeFully(ByteBuffer src) throws IOException {
      int n = src.remaining();
      while (src.hasRemaining()) {
        out.write(src);
      }
      return n;
    }

    @Override
    public void close() {
      // The channel is its opener's to close.
    }
  }

  /** A new fixed or dynamic image, written through its disk. */
  private static final class Vhd extends ImageSink {
    private final VirtualDisk disk;

    Vhd(VirtualDisk disk) {
      this.disk = disk;
    }

    @Override
    void write(ByteBuffer src, long position) throws IOException {
      disk.write(src, position);
    }

    @Override
    void finish(long size, boolean sync) throws IOException {
      if (sync) {
        disk.force();
      } else {
        disk.flush();
      }
    }

    @Override
    public void close() throws IOException {
      disk.close();
    }
  }

  /** A new dynamic VHD or a new VHDX, filled by its format's writer for unseen files. */
  private static final class NewFile extends ImageSink {
    private final NewImageWriter writer;

    NewFile(NewImageWriter writer) {
      this.writer = writer;
    }

    @Override
    void write(ByteBuffer src, long position) throws IOException {
      writer.write(src, position);
    }

    @Override
    Path hostFile() {
      return KernelCopy.supports(writer.file()) ? writer.file() : null;
    }

    @Override
    long hostOffset(long position) throws IOException {
      return writer.fileOffset(position);
    }

    @Override
    long hostRegionEnd(long position) {
      return writer.blockEnd(position);
    }

    @Override
    void copied(long position, long length) {
      writer.copied(length);
    }

    @Override
    void finish(long size, boolean sync) throws IOException {
      writer.finish(sync);
    }

    @Override
    public void close() throws IOException {
      writer.close();
    }
  }
}
