package io.vhdfs.disk;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link NativeFileCalls} through the foreign function API of Java 22 and later: the C library's
 * {@code open}, {@code lseek}, {@code close} and {@code statx}, called with
 * {@code invokeExact}. In the jar's {@code META-INF/versions/22}; see {@link NativeFileCalls}.
 *
 * <p>Each function's handle is made on first use (a handle costs some milliseconds of a short
 * run): a conversion needs {@code lseek}, {@code vhd info} {@code statx}.
 */
final class ForeignFileCalls implements NativeFileCalls {
  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int SEEK_END = 2;
  private static final int SEEK_DATA = 3;
  private static final int SEEK_HOLE = 4;
  private static final int AT_FDCWD = -100;
  private static final int STATX_INO = 0x100;
  private static final int STATX_SIZE = 0x200;
  private static final int STATX_BLOCKS = 0x400;
  private static final int STATX_WANTED = STATX_INO | STATX_SIZE | STATX_BLOCKS;
  // struct statx is laid out the same on every Linux architecture.
  private static final long STATX_BYTES = 256;
  private static final long STATX_MASK_AT = 0;
  private static final long STATX_INO_AT = 32;
  private static final long STATX_SIZE_AT = 40;
  private static final long STATX_BLOCKS_AT = 48;
  private static final long BLOCK_BYTES = 512;

  ForeignFileCalls() {}

  @Override
  public List<long[]> dataRanges(String path, long size, int maxRanges) throws Throwable {
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = (int) Seeking.OPEN.invokeExact(arena.allocateFrom(path), O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
      return null;
    }
    try {
      if ((long) Seeking.LSEEK.invokeExact(fd, 0L, SEEK_END) != size) {
        return null;
      }
      List<long[]> ranges = new ArrayList<>();
      long at = 0;
      while (at < size) {
        long data = (long) Seeking.LSEEK.invokeExact(fd, at, SEEK_DATA);
        if (data < 0) {
          // ENXIO: no data from here on; but where even the first hole cannot be found, the
          // host does not answer at all, and nothing may be skipped.
          if (ranges.isEmpty() && (long) Seeking.LSEEK.invokeExact(fd, 0L, SEEK_HOLE) < 0) {
            return null;
          }
          break;
        }
        long hole = (long) Seeking.LSEEK.invokeExact(fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size) {
          hole = size;
        }
        if (hole <= data || ranges.size() >= maxRanges) {
          return null;
        }
        ranges.add(new long[] {data, hole});
        at = hole;
      }
      return ranges;
    } finally {
      int closed = (int) Seeking.CLOSE.invokeExact(fd);
    }
  }

  @Override
  public long[] allocation(String path) throws Throwable {
    if (Statx.STATX == null) {
      return null; // a C library older than statx
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment name = arena.allocateFrom(path);
      MemorySegment buffer = arena.allocate(STATX_BYTES, 8);
      int result = (int) Statx.STATX.invokeExact(AT_FDCWD, name, 0, STATX_WANTED, buffer);
      int mask = buffer.get(ValueLayout.JAVA_INT, STATX_MASK_AT);
      if (result != 0 || (mask & STATX_WANTED) != STATX_WANTED) {
        return null;
      }
      return new long[] {buffer.get(ValueLayout.JAVA_LONG, STATX_INO_AT),
          buffer.get(ValueLayout.JAVA_LONG, STATX_SIZE_AT),
          buffer.get(ValueLayout.JAVA_LONG, STATX_BLOCKS_AT) * BLOCK_BYTES};
    }
  }

  private static MethodHandle downcall(String function, FunctionDescriptor descriptor,
      Linker.Option... options) {
    Linker linker = Linker.nativeLinker();
    Optional<MemorySegment> symbol = linker.defaultLookup().find(function);
    return symbol.isEmpty() ? null : linker.downcallHandle(symbol.get(), descriptor, options);
  }

  /** {@code open}, {@code lseek} and {@code close}. */
  private static final class Seeking {
    // int open(const char *path, int flags, ...): variadic from its third argument.
    static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
    // off_t lseek(int fd, off_t offset, int whence); off_t is 64 bits on 64-bit Linux.
    static final MethodHandle LSEEK = downcall("lseek", FunctionDescriptor.of(
        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private Seeking() {}
  }

  /** {@code statx}, null where the C library has none. */
  private static final class Statx {
    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    static final MethodHandle STATX = downcall("statx", FunctionDescriptor.of(
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private Statx() {}
  }
}
