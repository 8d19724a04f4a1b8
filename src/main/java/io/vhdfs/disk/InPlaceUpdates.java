package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;

/**
 * Whether an image's host updates a file in place, asked before the image is ever opened for
 * writing.
 *
 * <p>Writing a VHD means rewriting a few bytes in the middle of a large file, and seeing them at
 * once. Not every {@code FileSystemProvider} can: zipfs opens an entry for writing as a new, empty
 * entry (so the first read of the image finds nothing, and the zip is rewritten without it when it
 * closes); object-store providers upload a local copy when the channel closes, so a failure there
 * loses every write; some providers only stream. Opening the image itself for writing to find out
 * would already destroy it on such hosts, so a scratch file beside the image is put through what
 * writing an image needs: opened for reading and writing it keeps its length and bytes, a
 * positional write in the middle is seen by a second reader before the writer closes, and after
 * the close the file holds exactly the old bytes plus the write. The scratch file is deleted
 * again. Providers are never recognised by name; the verdict is kept per host file system (and
 * file store), so each host is probed once.
 *
 * <p>Where no scratch file can be made (a directory the process may not write), the platform's
 * own file system is trusted, since its channels are the operating system's files; any other host
 * is refused, since nothing shows that it is safe.
 */
public final class InPlaceUpdates {
  /** How the scratch files beside images begin; they live for the few calls of a probe. */
  public static final String SCRATCH_PREFIX = ".vhdfs-probe-";
  private static final int PROBE_SIZE = 4096;
  private static final int WRITE_AT = 1024;
  private static final int WRITE_LENGTH = 16;

  /** Verdicts by host file system, then by file store (null where the store is unknown). */
  private static final Map<FileSystem, Map<Object, String>> VERDICTS = new WeakHashMap<>();
  /** The verdict for a host that can: no reason to refuse. */
  private static final String CAN = "";
  /** How a reason begins when the probe itself failed, which says nothing lasting. */
  private static final String FAILED = "probing a scratch file failed: ";

  private InPlaceUpdates() {}

  /**
   * Returns when {@code image}'s host updates files in place.
   *
   * @throws FileSystemException saying why not, before the image was opened for writing
   */
  public static void require(Path image) throws IOException {
    if (!Files.isWritable(image)) {
      // Nothing to probe: the host would refuse the write open anyway, and says so plainer.
      throw new AccessDeniedException(image.toString(), null, "the image file is not writable");
    }
    String reason = verdict(image);
    if (!reason.equals(CAN)) {
      throw new FileSystemException(image.toString(), null, "its host ("
          + image.getFileSystem().provider().getClass().getName() + ") cannot update a file in "
          + "place: " + reason + "; opening the image for writing there could lose it, so it "
          + "can only be read (accessMode=readOnly); copy it to a local file system to write "
          + "it");
    }
  }

  private static String verdict(Path image) throws IOException {
    FileSystem fs = image.getFileSystem();
    Object store = storeOf(image);
    synchronized (VERDICTS) {
      String known = VERDICTS.getOrDefault(fs, Map.of()).get(store);
      if (known != null) {
        return known;
      }
    }
    String reason = probe(image);
    if (reason != null && !reason.startsWith(FAILED)) {
      synchronized (VERDICTS) {
        VERDICTS.computeIfAbsent(fs, k -> new java.util.HashMap<>()).put(store, reason);
      }
    }
    if (reason != null) {
      return reason;
    }
    // No scratch file: no verdict to keep, and only the platform's file system is trusted.
    return fs == FileSystems.getDefault() ? CAN : "no scratch file could be made beside the "
        + "image to find out whether it can";
  }

  private static Object storeOf(Path image) {
    try {
      // By name and type: some providers make a new store object each time.
      FileStore s = Files.getFileStore(image);
      return s.name() + "\0" + s.type();
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /**
   * The reason the host cannot, {@link #CAN}, a reason beginning {@link #FAILED}, or null when no
   * scratch file could be made.
   */
  private static String probe(Path image) {
    Path dir = image.toAbsolutePath().getParent();
    if (dir == null) {
      return null;
    }
    Path scratch = dir.resolve(SCRATCH_PREFIX + UUID.randomUUID() + ".tmp");
    byte[] original = new byte[PROBE_SIZE];
    for (int i = 0; i < original.length; i++) {
      original[i] = (byte) (i * 31 + 7);
    }
    ScratchFiles.created(scratch);
    try {
      try (SeekableByteChannel out = Files.newByteChannel(scratch, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        writeFully(out, ByteBuffer.wrap(original));
      }
    } catch (IOException | RuntimeException e) {
      ScratchFiles.delete(scratch);
      return null;
    }
    try {
      return probe(scratch, original);
    } catch (IOException | RuntimeException e) {
      return FAILED + e; // perhaps for a moment (a full disk): asked again next time
    } finally {
      ScratchFiles.delete(scratch);
    }
  }

  private static String probe(Path scratch, byte[] original) throws IOException {
    byte[] expected = original.clone();
    Arrays.fill(expected, WRITE_AT, WRITE_AT + WRITE_LENGTH, (byte) 0xA5);
    SeekableByteChannel rw;
    try {
      rw = Files.newByteChannel(scratch, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      return "it will not open a file for reading and writing at once (" + e + ")";
    }
    try (rw) {
      long size = rw.size();
      if (size != PROBE_SIZE) {
        return "opening a " + PROBE_SIZE + "-byte file for writing left it " + size
            + " bytes long";
      }
      if (!Arrays.equals(readAt(rw, PROBE_SIZE / 2, WRITE_LENGTH),
          Arrays.copyOfRange(original, PROBE_SIZE / 2, PROBE_SIZE / 2 + WRITE_LENGTH))) {
        return "a file opened for writing does not read back its own bytes";
      }
      rw.position(WRITE_AT);
      writeFully(rw, ByteBuffer.wrap(expected, WRITE_AT, WRITE_LENGTH));
      if (rw instanceof FileChannel fc) {
        fc.force(false);
      }
      try (SeekableByteChannel r = Files.newByteChannel(scratch, StandardOpenOption.READ)) {
        byte[] seen = readAt(r, WRITE_AT, WRITE_LENGTH);
        if (!Arrays.equals(seen, Arrays.copyOfRange(expected, WRITE_AT, WRITE_AT + WRITE_LENGTH))
            || r.size() != PROBE_SIZE) {
          return "a write is not seen by other readers until its channel closes (the file is "
              + "rewritten or uploaded whole then)";
        }
      }
    } catch (IOException | RuntimeException e) {
      return "it will not read, seek and write one channel (" + e + ")";
    }
    byte[] after = Files.readAllBytes(scratch);
    if (!Arrays.equals(after, expected)) {
      return "a file written in the middle did not keep its other bytes (" + after.length
          + " bytes after, " + PROBE_SIZE + " before)";
    }
    return CAN;
  }

  private static byte[] readAt(SeekableByteChannel ch, long position, int length)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    ch.position(position);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  private static void writeFully(SeekableByteChannel ch, ByteBuffer src) throws IOException {
    int stalls = 0;
    while (src.hasRemaining()) {
      if (ch.write(src) == 0 && ++stalls > 1000) {
        throw new IOException("the host channel accepts no data");
      }
    }
  }
}
