package io.vhdfs.disk;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a file on the local disk holds data, as its host reports it: the ranges between
 * {@code lseek(SEEK_DATA)} and {@code lseek(SEEK_HOLE)}, so that a raw image that is mostly holes
 * is read only where it has data (issue 14: a 1 GiB raw file holding 306 MiB was read whole).
 *
 * <p>Java has no call for this. On Linux with Java 22 or later and native access enabled (the
 * tool's jar enables it; a program using the library passes
 * {@code --enable-native-access=ALL-UNNAMED}), the C library's {@code open}, {@code lseek} and
 * {@code close} are called through the JDK's foreign function API, reached reflectively so the
 * library still builds and runs on Java 17; everywhere else the answer is "unknown" and callers
 * read the whole file, as before. The native calls are made only when native access is already
 * enabled, so they never print the JDK's warning about restricted methods.
 *
 * <p>Holes are a promise of zeros: a range reported as a hole reads as zeros, whatever the file
 * system's block size. To be sure the native calls see the file Java sees, only paths that are
 * plain ASCII are looked at (the C library gets the same bytes), and the answer is used only if
 * the file's length seen through the descriptor is the length Java sees.
 */
public final class HostDataRanges {
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int SEEK_END = 2;
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  /**
   * Smallest file asked about: starting the foreign-function API takes about 0.14 s of a fresh
   * JVM (measured on Java 25), more than reading a smaller file whole, holes and all.
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
    if (file.getFileSystem() != FileSystems.getDefault()
        || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
        || !nativeAccessEnabled()) {
      return Optional.empty();
    }
    String path = file.toAbsolutePath().toString();
    if (!StandardCharsets.US_ASCII.newEncoder().canEncode(path) || path.indexOf('\0') >= 0) {
      return Optional.empty();
    }
    try {
      long size = Files.size(file);
      return size < MIN_SIZE ? Optional.empty() : ranges(path, size);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // A JDK without this API or refusing the call, a file that went away: unknown, so the
      // caller reads everything.
      return Optional.empty();
    }
  }

  private static boolean nativeAccessEnabled() {
    try {
      Method enabled = Module.class.getMethod("isNativeAccessEnabled");
      return (Boolean) enabled.invoke(HostDataRanges.class.getModule());
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false; // before Java 22
    }
  }

  private static Optional<List<long[]>> ranges(String path, long size) throws Throwable {
    Calls c = new Calls();
    Object arena = Class.forName("java.lang.foreign.Arena").getMethod("ofConfined")
        .invoke(null);
    int fd;
    try {
      Object name = Class.forName("java.lang.foreign.SegmentAllocator")
          .getMethod("allocateFrom", String.class).invoke(arena, path);
      fd = (Integer) c.open.invokeWithArguments(name, O_RDONLY | O_CLOEXEC);
    } finally {
      ((AutoCloseable) arena).close();
    }
    if (fd < 0) {
      return Optional.empty();
    }
    try {
      if ((Long) c.lseek.invokeWithArguments(fd, 0L, SEEK_END) != size) {
        return Optional.empty();
      }
      List<long[]> ranges = new ArrayList<>();
      long at = 0;
      while (at < size) {
        long data = (Long) c.lseek.invokeWithArguments(fd, at, SEEK_DATA);
        if (data < 0) {
          // ENXIO: no data from here on; but where even the first hole cannot be found, the
          // host does not answer at all, and nothing may be skipped.
          if (ranges.isEmpty() && (Long) c.lseek.invokeWithArguments(fd, 0L, SEEK_HOLE) < 0) {
            return Optional.empty();
          }
          break;
        }
        long hole = (Long) c.lseek.invokeWithArguments(fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size) {
          hole = size;
        }
        if (hole <= data || ranges.size() >= MAX_RANGES) {
          return Optional.empty();
        }
        ranges.add(new long[] {data, hole});
        at = hole;
      }
      return Optional.of(ranges);
    } finally {
      c.close.invokeWithArguments(fd);
    }
  }

  /** The downcall handles: {@code open}, {@code lseek}, {@code close}. */
  private static final class Calls {
    final MethodHandle open;
    final MethodHandle lseek;
    final MethodHandle close;

    Calls() throws ReflectiveOperationException {
      Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
      Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
      Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
      Object linker = linkerType.getMethod("nativeLinker").invoke(null);
      Object intLayout = valueLayout.getField("JAVA_INT").get(null);
      Object longLayout = valueLayout.getField("JAVA_LONG").get(null);
      Object address = valueLayout.getField("ADDRESS").get(null);
      // int open(const char *path, int flags, ...): variadic from its third argument.
      Object variadic = optionType.getMethod("firstVariadicArg", int.class).invoke(null, 2);
      open = downcall(linker, "open", intLayout, new Object[] {address, intLayout}, variadic);
      // off_t lseek(int fd, off_t offset, int whence); off_t is 64 bits on 64-bit Linux.
      lseek = downcall(linker, "lseek", longLayout,
          new Object[] {intLayout, longLayout, intLayout}, null);
      close = downcall(linker, "close", intLayout, new Object[] {intLayout}, null);
    }

    private static MethodHandle downcall(Object linker, String function, Object result,
        Object[] arguments, Object option) throws ReflectiveOperationException {
      Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
      Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
      Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
      Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
      Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");
      Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
      Optional<?> symbol = (Optional<?>) Class.forName("java.lang.foreign.SymbolLookup")
          .getMethod("find", String.class).invoke(lookup, function);
      if (symbol.isEmpty()) {
        throw new ReflectiveOperationException("no " + function + " in the C library");
      }
      Object parameters = Array.newInstance(layoutType, arguments.length);
      for (int i = 0; i < arguments.length; i++) {
        Array.set(parameters, i, arguments[i]);
      }
      Object descriptor = descriptorType.getMethod("of", layoutType, parameters.getClass())
          .invoke(null, result, parameters);
      Object options = Array.newInstance(optionType, option == null ? 0 : 1);
      if (option != null) {
        Array.set(options, 0, option);
      }
      return (MethodHandle) linkerType.getMethod("downcallHandle", segmentType, descriptorType,
          options.getClass()).invoke(linker, symbol.get(), descriptor, options);
    }
  }
}
