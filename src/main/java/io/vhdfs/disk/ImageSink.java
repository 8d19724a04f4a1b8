package io.vhdfs.disk;

import io.vhdfs.format.DiskType;
import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a conversion writes a new disk's bytes: a raw file, or a VHD made by {@link ImageCreator}
 * and written through its {@link VirtualDisk}, as any other writer of the library would. Only
 * bytes that are not zero are handed to it; everything else a new image already reads as zeros.
 */
abstract class ImageSink implements Closeable {
  /** Writes all of {@code src} at disk offset {@code position}. */
  abstract void write(ByteBuffer src, long position) throws IOException;

  /** Completes the disk at {@code size} bytes and makes it durable. */
  abstract void finish(long size) throws IOException;

  /** A new raw file, {@code file}, which must not exist. */
  static ImageSink raw(Path file) throws IOException {
    return new Raw(file, Files.newByteChannel(file, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE));
  }

  /**
   * A new VHD, {@code file}, which must not exist, created as {@link ImageCreator#create} does and
   * opened for writing.
   *
   * @throws IllegalStateException if the created image does not read as {@code size} bytes
   */
  static ImageSink vhd(Path file, DiskType type, long size, int blockSize, boolean exactSize)
      throws IOException {
    ImageCreator.create(file, type, size, blockSize, exactSize);
    VirtualDisk disk = DiskOpener.open(file, SizeRule.AUTO, ParentChain.detached());
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

  /** A raw file written sparse: zeros are holes, and its length is set without writing them. */
  private static final class Raw extends ImageSink {
    private final Path file;
    private final SeekableByteChannel channel;
    private long end;

    Raw(Path file, SeekableByteChannel channel) {
      this.file = file;
      this.channel = channel;
    }

    @Override
    void write(ByteBuffer src, long position) throws IOException {
      long at = position;
      if (channel instanceof FileChannel fc) {
        while (src.hasRemaining()) {
          at += fc.write(src, at);
        }
      } else {
        channel.position(at);
        while (src.hasRemaining()) {
          at += channel.write(src);
        }
      }
      end = Math.max(end, at);
    }

    @Override
    void finish(long size) throws IOException {
      if (end < size) {
        extend(size);
      }
      if (channel instanceof FileChannel fc) {
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
      channel.close();
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
    void finish(long size) throws IOException {
      disk.force();
    }

    @Override
    public void close() throws IOException {
      disk.close();
    }
  }
}
