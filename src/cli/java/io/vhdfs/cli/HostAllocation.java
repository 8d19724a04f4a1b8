package io.vhdfs.cli;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How many bytes a file takes on its host's disks, as {@code du} and qemu-img's "disk size" count
 * them: the blocks the file system allocated, which for a sparse image is far less than its
 * length.
 *
 * <p>No attribute view of the JDK's file systems has the count ({@code unix:*} has no
 * {@code st_blocks}). On Linux with Java 22 or later and native access enabled for the tool
 * ({@code vhd.jar}'s manifest enables it; elsewhere {@code --enable-native-access=ALL-UNNAMED}),
 * it comes from the C library's {@code statx} through the JDK's foreign function API, reached
 * reflectively so the tool still builds and runs on Java 17. Everywhere else, and for files on
 * any other provider, the answer is "unknown" and callers show the file's length instead. The
 * native call is made only when native access is already enabled, so it never prints the JDK's
 * warning about restricted methods.
 */
final class HostAllocation {
  private static final int AT_FDCWD = -100;
  private static final int STATX_INO = 0x100;
  private static final int STATX_SIZE = 0x200;
  private static final int STATX_BLOCKS = 0x400;
  private static final int WANTED = STATX_INO | STATX_SIZE | STATX_BLOCKS;
  // struct statx is laid out the same on every Linux architecture.
  private static final long STATX_BYTES = 256;
  private static final long MASK_AT = 0;
  private static final long INO_AT = 32;
  private static final long SIZE_AT = 40;
  private static final long BLOCKS_AT = 48;
  private static final long BLOCK_BYTES = 512;

  private HostAllocation() {}

  /** The bytes {@code file}'s host allocated to it, or empty where that cannot be known here. */
  static OptionalLong of(Path file) {
    if (file.getFileSystem() != FileSystems.getDefault()
        || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
        || !nativeAccessEnabled()) {
      return OptionalLong.empty();
    }
    try {
      return statx(file);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // A JDK without this API or refusing the call, a C library without statx, a file that
      // went away: the count is unknown, which callers show as such.
      return OptionalLong.empty();
    }
  }

  private static boolean nativeAccessEnabled() {
    try {
      Method enabled = Module.class.getMethod("isNativeAccessEnabled");
      return (Boolean) enabled.invoke(HostAllocation.class.getModule());
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false; // before Java 22
    }
  }

  private static OptionalLong statx(Path file) throws Throwable {
    Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
    Class<?> layoutType = Class.forName("java.lang.foreign.MemoryLayout");
    Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
    Class<?> segmentType = Class.forName("java.lang.foreign.MemorySegment");
    Class<?> allocatorType = Class.forName("java.lang.foreign.SegmentAllocator");
    Class<?> optionType = Class.forName("java.lang.foreign.Linker$Option");
    Class<?> descriptorType = Class.forName("java.lang.foreign.FunctionDescriptor");

    Object linker = linkerType.getMethod("nativeLinker").invoke(null);
    Object lookup = linkerType.getMethod("defaultLookup").invoke(linker);
    Optional<?> symbol = (Optional<?>) Class.forName("java.lang.foreign.SymbolLookup")
        .getMethod("find", String.class).invoke(lookup, "statx");
    if (symbol.isEmpty()) {
      return OptionalLong.empty(); // a C library older than statx
    }
    Object intLayout = valueLayout.getField("JAVA_INT").get(null);
    Object longLayout = valueLayout.getField("JAVA_LONG").get(null);
    Object address = valueLayout.getField("ADDRESS").get(null);
    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    Object parameters = Array.newInstance(layoutType, 5);
    Object[] kinds = {intLayout, address, intLayout, intLayout, address};
    for (int i = 0; i < kinds.length; i++) {
      Array.set(parameters, i, kinds[i]);
    }
    Object descriptor = descriptorType.getMethod("of", layoutType, parameters.getClass())
        .invoke(null, intLayout, parameters);
    MethodHandle call = (MethodHandle) linkerType.getMethod("downcallHandle", segmentType,
        descriptorType, Array.newInstance(optionType, 0).getClass())
        .invoke(linker, symbol.get(), descriptor, Array.newInstance(optionType, 0));

    Method intAt = segmentType.getMethod("get",
        Class.forName("java.lang.foreign.ValueLayout$OfInt"), long.class);
    Method longAt = segmentType.getMethod("get",
        Class.forName("java.lang.foreign.ValueLayout$OfLong"), long.class);
    Object arena = Class.forName("java.lang.foreign.Arena").getMethod("ofConfined")
        .invoke(null);
    try {
      Object path = allocatorType.getMethod("allocateFrom", String.class)
          .invoke(arena, file.toAbsolutePath().toString());
      Object buffer = allocatorType.getMethod("allocate", long.class, long.class)
          .invoke(arena, STATX_BYTES, 8L);
      int result = (Integer) call.invokeWithArguments(AT_FDCWD, path, 0, WANTED, buffer);
      int mask = (Integer) intAt.invoke(buffer, intLayout, MASK_AT);
      if (result != 0 || (mask & WANTED) != WANTED) {
        return OptionalLong.empty();
      }
      long ino = (Long) longAt.invoke(buffer, longLayout, INO_AT);
      long size = (Long) longAt.invoke(buffer, longLayout, SIZE_AT);
      long blocks = (Long) longAt.invoke(buffer, longLayout, BLOCKS_AT);
      return sameFile(file, ino, size) ? OptionalLong.of(blocks * BLOCK_BYTES)
          : OptionalLong.empty();
    } finally {
      ((AutoCloseable) arena).close();
    }
  }

  /**
   * Whether what statx described is {@code file} as Java sees it: a name that did not survive
   * the trip to bytes unchanged must not report another file's blocks.
   */
  private static boolean sameFile(Path file, long ino, long size) throws IOException {
    Object javaIno = Files.getAttribute(file, "unix:ino");
    return javaIno instanceof Long l && l == ino && Files.size(file) == size;
  }
}
