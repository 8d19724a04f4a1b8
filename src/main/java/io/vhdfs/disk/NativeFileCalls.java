package io.vhdfs.disk;

import java.util.List;
import java.util.Locale;

/**
 * The C library's calls on files that Java has no API for: where a file's holes are
 * ({@code lseek(SEEK_DATA/SEEK_HOLE)}) and how many bytes its host allocated ({@code statx}).
 *
 * <p>Its one implementation, {@code ForeignFileCalls}, calls them through the foreign function
 * API of Java 22 and later. It is compiled with the build's JDK 17 against a declaration of that
 * API ({@code src/build/java22-api}) and lives in the jar's {@code META-INF/versions/22}, so Java
 * 17 to 21 never load it, and neither do tools that scan a class path on those JDKs. It is used
 * only where native access is already enabled (the tool's jar enables it; a program using the
 * library passes {@code --enable-native-access}), so the JDK never prints its warning about
 * restricted methods.
 */
interface NativeFileCalls {
  /** On Linux with Java 22 or later and native access enabled, the calls; else null. */
  static NativeFileCalls ofThisJvm() {
    return Holder.CALLS;
  }

  /**
   * The {start, end} ranges of the file at {@code path} that hold data, in order; null where the
   * host does not tell, the file's length is not {@code size} or it has more than
   * {@code maxRanges} ranges.
   */
  List<long[]> dataRanges(String path, long size, int maxRanges) throws Throwable;

  /**
   * {inode, length, allocated bytes} of the file at {@code path}, from {@code statx}; null where
   * the C library has no {@code statx} or the call fails.
   */
  long[] allocation(String path) throws Throwable;

  /** Looked up once, on first use. */
  final class Holder {
    static final NativeFileCalls CALLS = load();

    private Holder() {}

    private static NativeFileCalls load() {
      if (Runtime.version().feature() < 22
          || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
        return null;
      }
      try {
        if (!(Boolean) Module.class.getMethod("isNativeAccessEnabled")
            .invoke(NativeFileCalls.class.getModule())) {
          return null;
        }
        return (NativeFileCalls) Class.forName("io.vhdfs.disk.ForeignFileCalls")
            .getDeclaredConstructor().newInstance();
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable e) {
        // Not from a multi-release jar or its versions/22 directory, a JDK refusing the
        // linker: the calls are not to be had, and callers read everything.
        return null;
      }
    }
  }
}
