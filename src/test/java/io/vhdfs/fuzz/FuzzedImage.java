package io.vhdfs.fuzz;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.VhdEnv;
import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.opentest4j.AssertionFailedError;

/**
 * One fuzzer input written as {@code image.vhd} in a directory of its own (on a fresh in-memory
 * host, or in a temporary directory), beside {@code parent.vhd}: the small dynamic image every
 * differencing seed is a child of, so children read through a real parent instead of stopping at
 * a missing one. The env confines parents to that directory ({@code parentRoot}), as a service
 * opening untrusted images would.
 *
 * <p>The checks every harness shares live here: a file with no footer cookie must be declined with
 * {@link UnsupportedOperationException} (the provider contract, so other providers get their
 * turn), and any other refusal must be a {@link VhdFormatException} naming the image. Anything
 * else that escapes a harness is a finding.
 */
final class FuzzedImage implements Closeable {
  static final String NAME = "image.vhd";
  static final String PARENT_NAME = "parent.vhd";
  static final int BLOCK_SIZE = 4096;
  static final long PARENT_SIZE = 32 * 1024;
  /** The time stamp of the parent and of every seed. */
  static final Instant TIME = Instant.parse("2026-01-01T00:00:00Z");

  private static final FileSystemProvider PROVIDER = FileSystemProvider.installedProviders()
      .stream().filter(p -> p.getScheme().equals("vhd")).findFirst()
      .orElseThrow(() -> new IllegalStateException("no installed provider for vhd:"));
  private static final byte[] COOKIE = "conectix".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PARENT_BYTES = parentBytes();

  /** Deletes the image's directory (or in-memory host) with everything in it. */
  private final Closeable cleanup;
  private final Path image;
  private final byte[] input;

  private FuzzedImage(Closeable cleanup, Path image, byte[] input) {
    this.cleanup = cleanup;
    this.image = image;
    this.input = input;
  }

  /** Writes {@code input} as the image, next to the parent, on a new in-memory host. */
  static FuzzedImage inMemory(byte[] input) throws IOException {
    FileSystem host = Jimfs.newFileSystem(Configuration.unix());
    try {
      return new FuzzedImage(host, write(Files.createDirectories(host.getPath("/images")), input),
          input.clone());
    } catch (IOException | RuntimeException e) {
      host.close();
      throw e;
    }
  }

  /**
   * Writes {@code input} as the image, next to the parent, in a new temporary directory of the
   * default file system. For harnesses that write: a crafted block size of up to 256 MiB makes a
   * sparse file there, but would take as much heap on the in-memory host.
   */
  static FuzzedImage inTemporaryDirectory(byte[] input) throws IOException {
    Path dir = Files.createTempDirectory("vhdfs-fuzz");
    Closeable delete = () -> {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    };
    try {
      return new FuzzedImage(delete, write(dir, input), input.clone());
    } catch (IOException | RuntimeException e) {
      delete.close();
      throw e;
    }
  }

  private static Path write(Path dir, byte[] input) throws IOException {
    Path parent = Files.write(dir.resolve(PARENT_NAME), PARENT_BYTES);
    // The time children record for it: a parent that looks changed is opened with a warning.
    Files.setLastModifiedTime(parent, FileTime.from(TIME));
    return Files.write(dir.resolve(NAME), input);
  }

  /**
   * The parent seeds of differencing images name: a dynamic image of {@link #PARENT_SIZE} bytes
   * in {@link #BLOCK_SIZE} blocks, with a fixed unique id and time, so its bytes never change.
   */
  static VhdImageBuilder parent() {
    byte[] a = new byte[BLOCK_SIZE];
    byte[] b = new byte[BLOCK_SIZE];
    for (int i = 0; i < BLOCK_SIZE; i++) {
      a[i] = (byte) (i * 7 + 1);
      b[i] = (byte) (i * 13 + 5);
    }
    return VhdImageBuilder.dynamic(PARENT_SIZE).blockSize(BLOCK_SIZE)
        .uniqueId(UUID.fromString("0f0e0d0c-0b0a-4908-8706-050403020100"))
        .timestamp(TIME)
        .block(0, a).block(5, b).bitmap(5, new byte[] {(byte) 0xF0});
  }

  private static byte[] parentBytes() {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      Path p = fs.getPath("/" + PARENT_NAME);
      parent().writeTo(p);
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path image() {
    return image;
  }

  /** The env of every operation: parents only from the image's directory. */
  Map<String, Object> env() {
    return Map.of(VhdEnv.PARENT_ROOT, image.getParent().toString());
  }

  /** {@link #env()} for an open with this {@code accessMode}. */
  Map<String, Object> env(String accessMode) {
    return Map.of(VhdEnv.PARENT_ROOT, image.getParent().toString(),
        VhdEnv.ACCESS_MODE, accessMode);
  }

  /**
   * Opens the image through the provider as {@code FileSystems.newFileSystem(hostPath, env)}
   * does, or returns null where the provider declines it, which it must do exactly when the file
   * has no footer cookie.
   *
   * @throws VhdFormatException naming the image, for an image it refuses
   */
  FileSystem open(String accessMode) throws IOException {
    boolean candidate = hasFooterCookie();
    try {
      FileSystem fs = PROVIDER.newFileSystem(image, env(accessMode));
      if (!candidate) {
        fs.close();
        throw new AssertionFailedError("opened a file with no footer cookie");
      }
      return fs;
    } catch (UnsupportedOperationException declined) {
      if (candidate) {
        throw new AssertionFailedError("declined an image with a footer cookie", declined);
      }
      return null;
    } catch (IOException refused) {
      if (!candidate) {
        throw new AssertionFailedError("a file with no footer cookie must be declined, not "
            + "refused", refused);
      }
      throw refused;
    }
  }

  /**
   * Whether "conectix" starts a footer candidate: the last 512 bytes or the first 512 of a file
   * that long, or the last 511 (the short footer of old Virtual PC images).
   */
  boolean hasFooterCookie() {
    int n = input.length;
    return n >= 512 && (startsWithCookie(n - 512) || startsWithCookie(0))
        || n >= 511 && startsWithCookie(n - 511);
  }

  private boolean startsWithCookie(int at) {
    return Arrays.equals(input, at, at + COOKIE.length, COOKIE, 0, COOKIE.length);
  }

  /** Whether the image file still holds exactly the input. */
  boolean unchanged() throws IOException {
    return Arrays.equals(input, Files.readAllBytes(image));
  }

  /**
   * Passes a refusal that keeps the contract (a {@link VhdFormatException} whose message starts
   * with the image it is about); anything else becomes the failure.
   */
  void checkRefusal(IOException e) {
    if (!(e instanceof VhdFormatException v)) {
      throw new AssertionFailedError("refused with " + e.getClass().getName()
          + ", not a VhdFormatException", e);
    }
    String message = String.valueOf(v.getMessage());
    if (v.file() == null || !v.file().endsWith(NAME) || !message.startsWith(v.file() + ": ")) {
      throw new AssertionFailedError("refusal does not name " + NAME + " first: " + message, e);
    }
    if (v.offset() < -1) {
      throw new AssertionFailedError("refusal with offset " + v.offset(), e);
    }
  }

  @Override
  public void close() throws IOException {
    cleanup.close();
  }
}
