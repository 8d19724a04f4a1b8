package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How many bytes a file takes on its host's disks, as {@code du} and qemu-img's "disk size" count
 * them: the blocks the file system allocated, which for a sparse image is far less than its
 * length.
 *
 * <p>No attribute view of the JDK's file systems has the count ({@code unix:*} has no
 * {@code st_blocks}). On Linux with Java 22 or later and native access enabled ({@code vhd.jar}'s
 * manifest enables it; elsewhere {@code --enable-native-access=ALL-UNNAMED}), it comes from the C
 * library's {@code statx} ({@link NativeFileCalls}). Everywhere else, and for files on any other
 * provider, the answer is "unknown" and callers show the file's length instead.
 */
public final class HostAllocation {
  private HostAllocation() {}

  /** The bytes {@code file}'s host allocated to it, or empty where that cannot be known here. */
  public static OptionalLong of(Path file) {
    if (file.getFileSystem() != FileSystems.getDefault()) {
      return OptionalLong.empty();
    }
    try {
      NativeFileCalls calls = NativeFileCalls.ofThisJvm();
      long[] found = calls == null ? null : calls.allocation(file.toAbsolutePath().toString());
      return found != null && sameFile(file, found[0], found[1]) ? OptionalLong.of(found[2])
          : OptionalLong.empty();
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // A JDK refusing the call, a file that went away: the count is unknown, which callers
      // show as such.
      return OptionalLong.empty();
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
