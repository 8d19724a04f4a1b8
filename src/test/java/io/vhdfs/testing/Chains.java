package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fixtures for differencing chains made through the public API: creating dynamic, fixed and
 * differencing images on any host with the {@code vhd} provider, writing and reading their disks,
 * hashing host files to show that parents are never written, and seeded random bytes.
 */
public final class Chains {
  private Chains() {}

  /** The installed {@code vhd} provider. */
  public static FileSystemProvider vhd() {
    return FileSystemProvider.installedProviders().stream()
        .filter(p -> p.getScheme().equals("vhd")).findFirst()
        .orElseThrow(() -> new AssertionError("no installed vhd provider"));
  }

  /** The {@code vhd:} URI of an image on the default file system. */
  public static URI uriOf(Path image) {
    return URI.create("vhd:" + image.toAbsolutePath().toUri().getRawPath());
  }

  /** An absolute path as a W2ku locator holds it on Unix: {@code \dir\name}. */
  public static String windowsPath(Path absolute) {
    return absolute.toString().replace('/', '\\');
  }

  /** {@code length} bytes from {@code new Random(seed)}. */
  public static byte[] randomBytes(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** {@code baseFirst}, the images of a chain from its base up, in reverse: the top first. */
  public static List<Path> topFirst(List<Path> baseFirst) {
    List<Path> all = new ArrayList<>(baseFirst);
    Collections.reverse(all);
    return all;
  }

  /**
   * Creates a differencing image over {@code parent} (a path string on the child's host,
   * relative to the child's directory unless absolute).
   *
   * @param blockSize bytes per block, or null for the default
   */
  public static void createChild(Path child, String parent, Integer blockSize)
      throws IOException {
    Map<String, String> env = new HashMap<>(Map.of("create", "true", "type", "differencing",
        "parent", parent));
    if (blockSize != null) {
      env.put("blockSize", Integer.toString(blockSize));
    }
    // Straight to the vhd provider: FileSystems.newFileSystem(path, env) asks the JDK's zip
    // provider first, which takes "create=true" for itself.
    vhd().newFileSystem(child, env).close();
  }

  /**
   * Creates a differencing image over {@code parent} (a path from the child's directory, or a
   * URI) with {@code blockSize}-byte blocks and the env keys {@code more} besides.
   */
  public static void createChild(Path child, String parent, int blockSize,
      Map<String, String> more) throws IOException {
    Map<String, String> env = new HashMap<>(Map.of("create", "true", "type", "differencing",
        "parent", parent, "blockSize", Integer.toString(blockSize)));
    env.putAll(more);
    vhd().newFileSystem(child, env).close();
  }

  /** Creates a dynamic image of exactly {@code size} bytes with {@code blockSize}-byte blocks. */
  public static void createDynamic(Path image, long size, int blockSize) throws IOException {
    vhd().newFileSystem(image, Map.of("create", "true", "type", "dynamic", "size",
        Long.toString(size), "exactSize", "true", "blockSize", Integer.toString(blockSize)))
        .close();
  }

  /** Creates a fixed image of exactly {@code size} bytes. */
  public static void createFixed(Path image, long size) throws IOException {
    vhd().newFileSystem(image, Map.of("create", "true", "type", "fixed", "size",
        Long.toString(size), "exactSize", "true")).close();
  }

  /** Opens a new, unregistered file system on the image. */
  public static FileSystem open(Path image) throws IOException {
    return vhd().newFileSystem(image, Map.of());
  }

  /** The whole disk of {@code image}, read through a new file system. */
  public static byte[] readDisk(Path image) throws IOException {
    try (FileSystem fs = open(image)) {
      return readDisk(fs);
    }
  }

  /**
   * The whole disk of {@code image}, as {@link #readDisk(Path)}; an image that does not open fails
   * the test, saying {@code what} does not open (a crash test's cut, say) and why.
   */
  public static byte[] readDiskOrFail(Path image, String what) {
    try {
      return readDisk(image);
    } catch (IOException e) {
      throw new AssertionError(what + " does not open: " + e, e);
    }
  }

  /** The size of {@code image}'s disk, read through a new file system. */
  public static long diskSize(Path image) throws IOException {
    return diskSize(image, Map.of());
  }

  /** The size of {@code image}'s disk, read through a new file system opened with {@code env}. */
  public static long diskSize(Path image, Map<String, ?> env) throws IOException {
    try (FileSystem fs = vhd().newFileSystem(image, env)) {
      return Files.size(fs.getPath("/disk"));
    }
  }

  /** Bytes {@code [from, to)} of {@code image}'s disk, read through a new file system. */
  public static byte[] readDisk(Path image, long from, long to) throws IOException {
    try (FileSystem fs = open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      return read(ch, from, (int) (to - from));
    }
  }

  /**
   * Fails, naming {@code who} and the first offending byte, unless bytes {@code [from, to)} of
   * {@code image}'s disk are zeros; read a MiB at a time, so any range may be checked.
   */
  public static void assertDiskZeros(Path image, long from, long to, String who)
      throws IOException {
    try (FileSystem fs = open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      for (long at = from; at < to; at += buf.capacity()) {
        buf.clear().limit((int) Math.min(buf.capacity(), to - at));
        while (buf.hasRemaining() && ch.read(buf, at + buf.position()) >= 0) {
          // reads until full
        }
        for (int i = 0; i < buf.position(); i++) {
          if (buf.get(i) != 0) {
            fail(who + ": byte " + (at + i) + " is " + buf.get(i) + ", not zero");
          }
        }
      }
    }
  }

  /** The whole disk of an open {@code vhd} file system. */
  public static byte[] readDisk(FileSystem fs) throws IOException {
    try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      return readAll(ch);
    }
  }

  /** Every byte of an entry of an image's file system ({@code /disk}, {@code /p1}). */
  public static byte[] readAll(Path entry) throws IOException {
    try (FileChannel ch = FileChannel.open(entry, StandardOpenOption.READ)) {
      return readAll(ch);
    }
  }

  /** Every byte of a channel, read positionally. */
  public static byte[] readAll(FileChannel ch) throws IOException {
    long size = ch.size();
    assertTrue(size <= Integer.MAX_VALUE, "disk too big for a test: " + size);
    return read(ch, 0, (int) size);
  }

  /** {@code length} bytes at {@code position}; fails the test if the channel ends first. */
  public static byte[] read(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer dst = ByteBuffer.allocate(length);
    while (dst.hasRemaining()) {
      int n = ch.read(dst, position + dst.position());
      if (n <= 0) {
        fail("disk ended early at " + (position + dst.position()));
      }
    }
    return dst.array();
  }

  /** Writes {@code data} at {@code offset} of the disk of {@code image} through a new channel. */
  public static void write(Path image, long offset, byte[] data) throws IOException {
    try (FileSystem fs = open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      writeFully(ch, offset, data);
    }
  }

  /** Writes all of {@code data} at {@code offset}. */
  public static void writeFully(FileChannel ch, long offset, byte[] data) throws IOException {
    ByteBuffer src = ByteBuffer.wrap(data);
    while (src.hasRemaining()) {
      ch.write(src, offset + src.position());
    }
  }

  /** The {@code vhd:allocatedBlocks} attribute of the image's disk. */
  public static long allocatedBlocks(Path image) throws IOException {
    try (FileSystem fs = open(image)) {
      return ((Number) Files.getAttribute(fs.getPath("/disk"), "vhd:allocatedBlocks"))
          .longValue();
    }
  }

  /** The SHA-256 of a host file, in hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest = newSha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        digest.update(buf, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }

  /** A new SHA-256 digest. */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Each file's hash, in order. */
  public static Map<Path, String> hashes(List<Path> files) throws IOException {
    Map<Path, String> out = new LinkedHashMap<>();
    for (Path f : files) {
      out.put(f, sha256(f));
    }
    return out;
  }

  /** Fails unless every file still has the hash it had. */
  public static void assertUnchanged(Map<Path, String> before, String when) throws IOException {
    for (Map.Entry<Path, String> e : before.entrySet()) {
      assertEquals(e.getValue(), sha256(e.getKey()),
          e.getKey() + " changed (its SHA-256 differs) " + when);
    }
  }

  /**
   * Fails with the first differing offset (and a few bytes around it) unless {@code actual} is
   * {@code expected}.
   */
  public static void assertSameBytes(byte[] expected, byte[] actual, long base, String who) {
    assertEquals(expected.length, actual.length, "length of what " + who + " read");
    int at = Arrays.mismatch(expected, actual);
    if (at >= 0) {
      int from = at & ~15;
      fail(who + ": virtual offset " + (base + at) + " reads " + hex(actual, from, 16)
          + " (from " + (base + from) + ") where " + hex(expected, from, 16) + " was expected");
    }
  }

  /** Up to {@code len} bytes from {@code from} in hex. */
  public static String hex(byte[] b, int from, int len) {
    StringBuilder sb = new StringBuilder();
    for (int i = Math.max(0, from); i < Math.min(b.length, from + len); i++) {
      sb.append(String.format("%02x", b[i]));
    }
    return sb.toString();
  }
}
