package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A named pipe made by {@code mkfifo}, with a reader on a thread of its own that copies all that
 * is written into it to a file, as {@code cat fifo > file} would. Tests skip where there is no
 * {@code mkfifo}.
 */
public final class Fifo implements AutoCloseable {
  private final Path path;
  private final Path copy;
  private final Thread reader;
  private final CountDownLatch opened = new CountDownLatch(1);
  private volatile Throwable failure;

  private Fifo(Path path, Path copy) {
    this.path = path;
    this.copy = copy;
    this.reader = new Thread(this::readAll, "test: read " + path.getFileName());
    reader.setDaemon(true);
  }

  /** Makes the FIFO {@code path}, with no reader. */
  public static Path make(Path path) {
    PeerRequirement.assumePresent(QemuTools.onPath("mkfifo").isPresent(),
        "no mkfifo to make a FIFO (Debian package coreutils)");
    QemuTools.run(Duration.ofSeconds(30), List.of("mkfifo", path.toString()));
    return path;
  }

  /**
   * Makes the FIFO {@code path} and starts reading it: its reader opens it (waiting for a
   * writer) and copies everything until the last writer closes it into {@code copy}.
   */
  public static Fifo readInto(Path path, Path copy) {
    Fifo fifo = new Fifo(make(path), copy);
    fifo.reader.start();
    return fifo;
  }

  /** The FIFO. */
  public Path path() {
    return path;
  }

  private void readAll() {
    try (FileChannel in = openForReading();
        FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      while (in.read(buf.clear()) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          out.write(buf);
        }
      }
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
  }

  /** Opens the FIFO for reading, which waits for a writer, and says when the wait is over. */
  private FileChannel openForReading() throws IOException {
    try {
      return FileChannel.open(path, StandardOpenOption.READ);
    } finally {
      opened.countDown();
    }
  }

  /**
   * Waits until the writer has closed the FIFO and everything is copied, and returns the copy.
   * Call it only once a writer has had the FIFO open (a conversion that returned normally);
   * otherwise {@link #close} lets the waiting reader go.
   *
   * @throws AssertionError if the reader failed
   */
  public Path awaitCopy() throws InterruptedException {
    reader.join();
    if (failure != null) {
      fail("reading " + path + " failed", failure);
    }
    return copy;
  }

  /**
   * Lets a reader still waiting for a writer go, and waits for it to end: a read-write open of a
   * FIFO does not wait, and counts as the writer the reader's open waits for, whether that open
   * has begun or not; closing it once the reader has the FIFO open ends the reader's copy.
   */
  @Override
  public void close() throws IOException {
    try {
      if (opened.getCount() > 0) {
        SeekableByteChannel writer = Files.newByteChannel(path, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        try {
          opened.await();
        } finally {
          writer.close();
        }
      }
      reader.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the reader, a daemon, ends with the pipe
    }
  }
}
