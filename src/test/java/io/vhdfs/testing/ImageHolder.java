package io.vhdfs.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Another process holding an image through vhdfs, for lock tests: {@code main(image, read|write)}
 * opens a channel on the disk, prints {@code holding} (or {@code refused: <message>} and exits 3),
 * and keeps the channel open until its standard input closes. In {@code write} mode it writes
 * 4 KiB of 0x5a at offset 0 first.
 */
public final class ImageHolder implements AutoCloseable {
  private final Process process;
  private final String firstLine;

  private ImageHolder(Process process, String firstLine) {
    this.process = process;
    this.firstLine = firstLine;
  }

  public static void main(String[] args) throws IOException {
    Path image = Path.of(args[0]).toAbsolutePath();
    boolean write = args[1].equals("write");
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of());
        SeekableByteChannel ch = write
            ? Files.newByteChannel(fs.getPath("/disk"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)
            : Files.newByteChannel(fs.getPath("/disk"), StandardOpenOption.READ)) {
      if (write) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (b.hasRemaining()) {
          b.put((byte) 0x5a);
        }
        ch.write(b.flip());
      }
      System.out.println("holding");
      System.out.flush();
      while (System.in.read() >= 0) {
        // held until the test closes our standard input
      }
    } catch (IOException e) {
      System.out.println("refused: " + e.getMessage());
      System.out.flush();
      System.exit(3);
    }
  }

  /** Starts a JVM holding {@code image} and waits for its first line. */
  public static ImageHolder start(Path image, String mode) throws IOException {
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classPath,
        ImageHolder.class.getName(), image.toString(), mode));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = p.getInputStream().read()) >= 0 && c != '\n') {
      sb.append((char) c);
    }
    return new ImageHolder(p, sb.toString());
  }

  /** {@code holding}, or {@code refused: ...}. */
  public String firstLine() {
    return firstLine;
  }

  /** Lets the other JVM close its channel and exit; returns its exit code. */
  @Override
  public void close() throws IOException {
    process.getOutputStream().close();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The other JVM's exit code once it has ended. */
  public int exitCode() throws InterruptedException {
    return process.waitFor();
  }
}
