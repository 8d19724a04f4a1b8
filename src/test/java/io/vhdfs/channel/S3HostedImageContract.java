package io.vhdfs.channel;

import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;

/**
 * The read-only channel contract on qemu-made images held in S3 (issue 15): the host is the AWS
 * NIO provider talking HTTP to an in-process S3 server ({@link S3TestBed}). Its channels are
 * neither positional nor interruptible, every read is a network request, and it cannot update an
 * object in place, so images open with {@code accessMode=readOnly}.
 */
abstract class S3HostedImageContract extends FileChannelContract {
  private final List<FileSystem> fileSystems = new ArrayList<>();

  /** The test bed of the concrete class. */
  abstract S3TestBed s3();

  /**
   * Makes an image whose {@link #entry()} shows {@code content} and puts it into the test bed's
   * bucket.
   */
  abstract Path putImage(byte[] content) throws IOException;

  /** The env the image is opened with: read-only, and the library's defaults otherwise. */
  Map<String, String> env() {
    return Map.of("accessMode", "readOnly");
  }

  /** The entry of the image's file system the tests read: the whole disk unless overridden. */
  String entry() {
    return "/disk";
  }

  @Override
  protected final FileChannel openReadOnly(byte[] content) throws IOException {
    Path image = imageOf(content);
    FileSystem vhd = FileSystems.newFileSystem(image, env());
    fileSystems.add(vhd);
    return FileChannel.open(vhd.getPath(entry()), StandardOpenOption.READ);
  }

  /**
   * The image of {@code content} in the bucket, made and put there once per test class: every
   * test asks for the same bytes, and a read-only open leaves the object as it was, so one object
   * serves them all (a fresh vhd file system over it each time) and the class runs in seconds.
   */
  private Path imageOf(byte[] content) throws IOException {
    Uploaded last = UPLOADED.get(getClass());
    if (last != null && last.bed() == s3() && Arrays.equals(last.content(), content)) {
      return last.image();
    }
    Path image = putImage(content);
    UPLOADED.put(getClass(), new Uploaded(s3(), content.clone(), image));
    return image;
  }

  /** The object last made for a test class, for the bytes it shows. */
  private record Uploaded(S3TestBed bed, byte[] content, Path image) {}

  private static final Map<Class<?>, Uploaded> UPLOADED = new ConcurrentHashMap<>();

  /** DESIGN.md: map() is UnsupportedOperationException on vhd channels. */
  @Override
  protected final boolean supportsMap() {
    return false;
  }

  @AfterEach
  final void closeFileSystems() throws IOException {
    for (FileSystem fs : fileSystems) {
      fs.close();
    }
  }
}
