package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * libvhdi (Debian {@code python3-libvhdi}, {@code import pyvhdi}) as a second reference reader.
 *
 * <p>Output stays small however large the disk: libvhdi hashes the windows it is asked for and
 * prints one short hash per window, and {@link #hashes(FileChannel, List)} computes the same
 * hashes over a raw file on our side. Tests call {@link #require()} first and are skipped with a
 * message saying what to install when no python3 can import the module, or fail where peers are
 * required (see {@link PeerRequirement}).
 */
public final class Libvhdi {
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  /**
   * Arguments: window file, block size (0: none), then the images of a differencing chain, the
   * one to read first and its base last (a single image for one that is not differencing). Each
   * image but the base is given the next one as its parent ({@code set_parent}), from the base up,
   * so every child sees a complete chain. Prints the first image's media size, then "offset hash"
   * per "offset length" line of the window file, the hash being the first 16 hex digits of the
   * window's sha256. Reads never cross a block boundary: libvhdi 20210425 returns zeros for the
   * second block of a read that starts in unwritten sectors at the end of one 512 KiB block and
   * runs into the next allocated one (a read of the same bytes split at the boundary gives them
   * right; 2 MiB and 4 KiB blocks are not affected).
   */
  private static final String SCRIPT = String.join("\n",
      "import hashlib, sys, pyvhdi",
      "block = int(sys.argv[2])",
      "files = []",
      "for path in sys.argv[3:]:",
      "    f = pyvhdi.file()",
      "    f.open(path)",
      "    files.append(f)",
      "for i in range(len(files) - 2, -1, -1):",
      "    files[i].set_parent(files[i + 1])",
      "f = files[0]",
      "print(f.get_media_size())",
      "with open(sys.argv[1]) as windows:",
      "    for line in windows:",
      "        off, n = (int(x) for x in line.split())",
      "        h = hashlib.sha256()",
      "        at = off",
      "        while at < off + n:",
      "            k = min(1 << 20, off + n - at)",
      "            if block:",
      "                k = min(k, block - at % block)",
      "            h.update(f.read_buffer_at_offset(k, at))",
      "            at += k",
      "        print(off, h.hexdigest()[:16])",
      "for f in files:",
      "    f.close()",
      "");

  private static volatile Optional<Path> python;

  private final Path pythonPath;

  private Libvhdi(Path pythonPath) {
    this.pythonPath = pythonPath;
  }

  /** The python3 that imports pyvhdi, for tests that run their own scripts. */
  public Path python() {
    return pythonPath;
  }

  /** One range of guest bytes. */
  public record Window(long offset, long length) {}

  /** What libvhdi reports: the media size and one hash line per window. */
  public record Reading(long mediaSize, List<String> lines) {}

  /** A python3 that imports pyvhdi, or the calling test is skipped (failed where required). */
  public static Libvhdi require() {
    Optional<Libvhdi> found = locate();
    PeerRequirement.assumePresent(found.isPresent(), MISSING);
    return found.get();
  }

  /** Why a test that needs libvhdi was skipped. */
  public static final String MISSING = "no python3 that can 'import pyvhdi'; install Debian "
      + "package python3-libvhdi to compare with libvhdi";

  /**
   * libvhdi when some python3 can import it, for tests that use it as one verdict of several;
   * empty when none can, except where peers are required: there a missing libvhdi fails the test.
   */
  public static Optional<Libvhdi> find() {
    Optional<Libvhdi> found = locate();
    if (found.isEmpty() && PeerRequirement.peersRequired()) {
      PeerRequirement.assumePresent(false, MISSING);
    }
    return found;
  }

  private static Optional<Libvhdi> locate() {
    if (python == null) {
      // Debian's module lives in the system python; a pyenv shim earlier on PATH may lack it.
      List<Path> candidates = new ArrayList<>();
      candidates.add(Path.of("/usr/bin/python3"));
      QemuTools.onPath("python3").ifPresent(candidates::add);
      Optional<Path> found = Optional.empty();
      for (Path candidate : candidates) {
        if (Files.isExecutable(candidate) && imports(candidate, "pyvhdi")) {
          found = Optional.of(candidate);
          break;
        }
      }
      python = found;
    }
    return python.map(Libvhdi::new);
  }

  /** Reads the windows of {@code image} through libvhdi; {@code scratch} is a writable dir. */
  public Reading read(Path image, List<Window> windows, Path scratch) throws IOException {
    return read(image, windows, 0, scratch);
  }

  /**
   * Reads the windows of {@code image} through libvhdi in pieces that never cross a multiple of
   * {@code blockSize} (0: 1 MiB pieces anywhere), working around the libvhdi bug described at
   * {@link #SCRIPT}.
   */
  public Reading read(Path image, List<Window> windows, int blockSize, Path scratch)
      throws IOException {
    return readChain(List.of(image), windows, blockSize, scratch);
  }

  /**
   * Reads the windows of a differencing chain through libvhdi: {@code chain} holds the image to
   * read first, then its parent, and so on down to the base, which libvhdi opens as they are given
   * (it does not look parents up itself). Pieces never cross a multiple of {@code blockSize}
   * (0: 1 MiB pieces anywhere), as in {@link #read(Path, List, int, Path)}.
   */
  public Reading readChain(List<Path> chain, List<Window> windows, int blockSize, Path scratch)
      throws IOException {
    Path script = Files.writeString(Files.createTempFile(scratch, "libvhdi-", ".py"), SCRIPT);
    StringBuilder lines = new StringBuilder();
    for (Window w : windows) {
      lines.append(w.offset()).append(' ').append(w.length()).append('\n');
    }
    Path windowFile = Files.writeString(Files.createTempFile(scratch, "windows-", ".txt"), lines);
    try {
      List<String> command = new ArrayList<>(List.of(pythonPath.toString(), script.toString(),
          windowFile.toString(), Integer.toString(blockSize)));
      for (Path image : chain) {
        command.add(image.toString());
      }
      String out = QemuTools.run(TIMEOUT, command).stdout();
      List<String> all = new ArrayList<>(out.strip().lines().toList());
      long mediaSize = Long.parseLong(all.remove(0).strip());
      return new Reading(mediaSize, all);
    } finally {
      Files.deleteIfExists(script);
      Files.deleteIfExists(windowFile);
    }
  }

  /** The lines libvhdi would print for the same windows of a raw file (zeros past its end). */
  public static List<String> hashes(FileChannel raw, List<Window> windows) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
    for (Window w : windows) {
      MessageDigest digest = Chains.newSha256();
      for (long at = w.offset(); at < w.offset() + w.length(); ) {
        int want = (int) Math.min(chunk.capacity(), w.offset() + w.length() - at);
        chunk.clear().limit(want);
        while (chunk.hasRemaining()) {
          if (raw.read(chunk, at + chunk.position()) < 0) {
            break; // a sparse mirror may be shorter than the disk: the rest reads as zeros
          }
        }
        digest.update(chunk.array(), 0, want);
        at += want;
      }
      lines.add(w.offset() + " " + HexFormat.of().formatHex(digest.digest()).substring(0, 16));
    }
    return lines;
  }

  /** Consecutive windows of {@code chunk} bytes covering a whole disk. */
  public static List<Window> chunks(long size, long chunk) {
    List<Window> windows = new ArrayList<>();
    for (long at = 0; at < size; at += chunk) {
      windows.add(new Window(at, Math.min(chunk, size - at)));
    }
    return windows;
  }

  private static boolean imports(Path python, String module) {
    try {
      Process p = new ProcessBuilder(python.toString(), "-c", "import " + module)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
