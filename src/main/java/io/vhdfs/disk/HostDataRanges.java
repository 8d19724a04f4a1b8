package io.vhdfs.disk;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a file on the local disk holds data, as its host reports it: the ranges between
 * {@code lseek(SEEK_DATA)} and {@code lseek(SEEK_HOLE)}, so that a raw image that is mostly holes
 * is read only where it has data (issue 14: a 1 GiB raw file holding 306 MiB was read whole).
 *
 * <p>Java has no call for this. On Linux with Java 22 or later and native access enabled (the
 * tool's jar enables it; a program using the library passes
 * {@code --enable-native-access=ALL-UNNAMED}, or its module's name), the C library is asked
 * through {@link NativeFileCalls}, whose implementation is a class of the jar's
 * {@code META-INF/versions/22}; everywhere else the answer is "unknown" and callers read the
 * whole file, as before.
 *
 * <p>Holes are a promise of zeros: a range reported as a hole reads as zeros, whatever the file
 * system's block size. To be sure the native calls see the file Java sees, only paths that are
 * plain ASCII are looked at (the C library gets the same bytes), and the answer is used only if
 * the file's length seen through the descriptor is the length Java sees.
 */
public final class HostDataRanges {
  /**
   * Smallest file asked about: the first call starts the foreign-function API, 75-95 ms of a
   * fresh JVM (Java 25), more than reading a smaller file whole, holes and all.
   */
  static final long MIN_SIZE = 256L << 20;
  /** Most ranges kept; a file more fragmented than that is read whole. */
  private static final int MAX_RANGES = 1 << 20;

  private HostDataRanges() {}

  /**
   * The {start, end} ranges of {@code file} that hold data, in order, or empty where the host
   * cannot tell or the file is smaller than {@link #MIN_SIZE} (then every byte must be read).
   */
  public static Optional<List<long[]>> of(Path file) {
    if (file.getFileSystem() != FileSystems.getDefault()) {
      return Optional.empty();
    }
    String path = file.toAbsolutePath().toString();
    if (!StandardCharsets.US_ASCII.newEncoder().canEncode(path) || path.indexOf('\0') >= 0) {
      return Optional.empty();
    }
    try {
      long size = Files.size(file);
      NativeFileCalls calls = size < MIN_SIZE ? null : NativeFileCalls.ofThisJvm();
      return calls == null ? Optional.empty()
          : Optional.ofNullable(calls.dataRanges(path, size, MAX_RANGES));
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // A JDK refusing the call, a file that went away: unknown, so the caller reads everything.
      return Optional.empty();
    }
  }
}
