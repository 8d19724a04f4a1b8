package io.vhdfs;

import static io.vhdfs.testing.Chains.randomBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.LogCapture;
import io.vhdfs.testing.Libvhdi.Window;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import io.vhdfs.testing.VhdImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reading differencing chains (issue 4): a child reads its own sectors where their bits are set
 * and its parent's (recursively) everywhere else, wherever the chain was moved, on any host, the
 * way libvhdi reads it, and without ever changing a parent.
 *
 * <p>Chains are built the way users build them: a base by {@code qemu-img create -f vpc} filled by
 * {@code qemu-io} writes, children created through the provider ({@code type=differencing},
 * {@code parent=...}) and written through our channels. Every write, base and children alike, is
 * also applied to a byte-array mirror of what the top of the chain must read. Offsets, lengths and
 * data come from the test's seed ({@code -Dvhdfs.seed=N} replays a failure).
 */
@ExtendWith(SeedExtension.class)
final class DifferencingChainReadTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final long BASE_SIZE = 20L * MIB;
  /** Block sizes of the children, level 1 first: the default, then others to mix them. */
  private static final Integer[] CHILD_BLOCK_SIZES = {null, 512 * KIB, 4 * KIB, 64 * KIB, null};

  @TempDir Path dir;

  /** Images reached through {@code Path.of(vhd: uri)}; their registered file systems close. */
  private final List<URI> registered = new ArrayList<>();

  @AfterEach
  void closeRegisteredFileSystems() throws IOException {
    closeRegistered();
  }

  // ---------------------------------------------------------------- chains

  /** Where a chain's bytes were written, so reads can aim at the edges of writes. */
  private static final class Chain {
    /** Base first, top last. */
    final List<Path> images = new ArrayList<>();
    /** Each image that is a parent, hashed when it became one. */
    final Map<Path, String> parentHashes = new LinkedHashMap<>();
    /** The start and end of every write, base and children. */
    final List<Long> edges = new ArrayList<>();
    /** What each image reads on its own, base first, when the chain is built with levels kept. */
    final List<byte[]> levels = new ArrayList<>();
    boolean keepLevels;
    byte[] mirror;

    void levelDone() {
      if (keepLevels) {
        levels.add(mirror.clone());
      }
    }

    Path top() {
      return images.get(images.size() - 1);
    }

    long size() {
      return mirror.length;
    }
  }

  /**
   * A qemu-made base with {@code depth} children over it in {@code home}, each written in turn.
   *
   * @param unit the granularity of every write: 1 for any offset and length (children only; the
   *     base's qemu-io writes are whole sectors then), 4096 for libvhdi comparisons
   */
  private Chain buildChain(Path home, int depth, Random r, int unit) throws IOException {
    return buildChain(home, depth, r, unit, null, "");
  }

  /**
   * As above; a non-null {@code baseTime} becomes the base file's time before any child, and
   * {@code qemuOptions} go to {@code qemu-img create -o} ({@code subformat=fixed}).
   */
  private Chain buildChain(Path home, int depth, Random r, int unit, FileTime baseTime,
      String qemuOptions) throws IOException {
    return buildChain(home, depth, r, unit, baseTime, qemuOptions, false);
  }

  private Chain buildChain(Path home, int depth, Random r, int unit, FileTime baseTime,
      String qemuOptions, boolean keepLevels) throws IOException {
    QemuTools qemu = QemuTools.require();
    Files.createDirectories(home);
    Chain chain = new Chain();
    chain.keepLevels = keepLevels;
    Path base = home.resolve("base.vhd");
    qemu.create(base, BASE_SIZE, qemuOptions);
    chain.images.add(base);
    long size = Files.size(disk(base));
    closeRegistered();
    chain.mirror = new byte[Math.toIntExact(size)];
    qemu.write(base, baseWrites(chain, r, Math.max(unit, 512)));
    if (baseTime != null) {
      Files.setLastModifiedTime(base, baseTime);
    }
    chain.levelDone();
    for (int level = 1; level <= depth; level++) {
      Path parent = chain.top();
      chain.parentHashes.put(parent, Chains.sha256(parent));
      Path child = home.resolve("c" + level + ".vhd");
      // Odd levels name the parent relative to the child's directory, even ones absolutely.
      String parentName = level % 2 == 1 ? parent.getFileName().toString() : parent.toString();
      Integer blockSize = unit > 1 ? null : CHILD_BLOCK_SIZES[(level - 1) % 5];
      try (FileSystem fs = FileSystems.newFileSystem(Chains.uriOf(child),
          childEnv(parentName, blockSize))) {
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
          writeChild(ch, chain, r, unit, blockSize == null ? 2 * MIB : blockSize);
        }
      }
      chain.images.add(child);
      chain.levelDone();
    }
    return chain;
  }

  /** Seeded qemu-io writes of random patterns, one of them across a 2 MiB block boundary. */
  private static List<Write> baseWrites(Chain chain, Random r, int unit) {
    long units = chain.size() / unit;
    List<Write> writes = new ArrayList<>();
    int n = 8 + r.nextInt(8);
    for (int i = 0; i < n; i++) {
      long offset = i == 0 ? 2L * MIB - 3L * unit : r.nextLong(units) * unit;
      long length = Math.min((1 + r.nextInt(i % 3 == 0 ? 512 : 16)) * (long) unit,
          chain.size() - offset);
      int pattern = 1 + r.nextInt(255);
      writes.add(new Write(pattern, offset, length));
      Arrays.fill(chain.mirror, (int) offset, (int) (offset + length), (byte) pattern);
      chain.edges.add(offset);
      chain.edges.add(offset + length);
    }
    return writes;
  }

  /**
   * Seeded writes through our channel, mirrored: whole sectors, unaligned bytes, writes across
   * block boundaries, and zeros (which must hide the parent's bytes as well).
   */
  private static void writeChild(FileChannel ch, Chain chain, Random r, int unit, int blockSize)
      throws IOException {
    long size = chain.size();
    int n = 10 + r.nextInt(10);
    for (int i = 0; i < n; i++) {
      long offset;
      int length;
      int kind = i < 4 ? i : r.nextInt(4);
      if (unit > 1) {
        offset = r.nextLong(size / unit) * unit;
        length = (1 + r.nextInt(kind == 2 ? 256 : 32)) * unit;
      } else if (kind == 0) { // whole sectors
        offset = r.nextLong(size / 512) * 512;
        length = (1 + r.nextInt(64)) * 512;
      } else if (kind == 2) { // across a block boundary, unaligned
        long boundaries = size / blockSize;
        offset = Math.max(0, (1 + r.nextLong(Math.max(1, boundaries - 1))) * blockSize
            - 1 - r.nextInt(8 * KIB));
        length = 2 + r.nextInt(16 * KIB) + blockSize / 4;
      } else { // anywhere, any length
        offset = r.nextLong(size);
        length = 1 + r.nextInt(300 * KIB);
      }
      length = (int) Math.min(length, size - offset);
      byte[] data = new byte[length];
      if (kind != 3) {
        r.nextBytes(data);
      }
      ByteBuffer buf = ByteBuffer.wrap(data);
      while (buf.hasRemaining()) {
        ch.write(buf, offset + buf.position());
      }
      System.arraycopy(data, 0, chain.mirror, (int) offset, length);
      chain.edges.add(offset);
      chain.edges.add(offset + length);
    }
  }

  private static Map<String, Object> childEnv(String parent, Integer blockSize) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("create", "true");
    env.put("type", "differencing");
    env.put("parent", parent);
    if (blockSize != null) {
      env.put("blockSize", Integer.toString(blockSize));
    }
    return env;
  }

  // ---------------------------------------------------------------- reading and comparing

  /**
   * The whole disk, then seeded positional reads of random lengths, half of them starting near
   * the edge of some write (where set bits meet clear ones, and blocks meet), must read as the
   * mirror says.
   */
  private static void assertReadsMirror(Path disk, Chain chain, Random r, String how)
      throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      assertEquals(chain.size(), ch.size(), how + ": size");
      assertSameBytes(chain.mirror, 0, read(ch, 0, chain.mirror.length), how + ", whole disk");
      for (int i = 0; i < 150; i++) {
        long pos;
        if (r.nextBoolean()) {
          long edge = chain.edges.get(r.nextInt(chain.edges.size()));
          pos = Math.max(0, Math.min(chain.size() - 1, edge - r.nextInt(8 * KIB)));
        } else {
          pos = r.nextLong(chain.size());
        }
        int length = 1 + r.nextInt((int) Math.min(3L * MIB, chain.size() - pos));
        assertSameBytes(chain.mirror, pos, read(ch, pos, length),
            how + ", read of " + length + " bytes at " + pos);
      }
    }
  }

  private static byte[] read(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        fail("end of disk after " + buf.position() + " of " + length + " bytes at " + position);
      }
    }
    return buf.array();
  }

  /** {@code actual} must equal the mirror from {@code at}; the message names the first offset. */
  private static void assertSameBytes(byte[] mirror, long at, byte[] actual, String what) {
    int mismatch = Arrays.mismatch(mirror, (int) at, (int) at + actual.length, actual, 0,
        actual.length);
    if (mismatch >= 0) {
      fail(what + ": first difference at disk offset " + (at + mismatch) + ": expected "
          + (mirror[(int) at + mismatch] & 0xFF) + " but read " + (actual[mismatch] & 0xFF));
    }
  }

  /** Reads the top through {@code Path.of(vhd: uri)} and through {@code newFileSystem(path)}. */
  private void assertChainReadsMirror(Chain chain, Random r, String what) throws IOException {
    assertReadsMirror(disk(chain.top()), chain, r, what + " through Path.of(vhd: URI)");
    try (FileSystem fs = FileSystems.newFileSystem(chain.top(), Map.of())) {
      assertReadsMirror(fs.getPath("/disk"), chain, r, what + " through newFileSystem(path)");
    }
  }

  private static void assertParentsUnchanged(Chain chain) throws IOException {
    for (Map.Entry<Path, String> e : chain.parentHashes.entrySet()) {
      assertEquals(e.getValue(), Chains.sha256(e.getKey()), e.getKey() + " changed as a parent");
    }
  }

  // ---------------------------------------------------------------- tests

  @ParameterizedTest(name = "depth {0}")
  @ValueSource(ints = {1, 2, 5})
  void chainReadsEveryWriteOfEveryLevelAndLeavesParentsUnchanged(int depth, SeededRandom r)
      throws IOException {
    Chain chain = buildChain(dir.resolve("chain"), depth, r, 1);
    assertChainReadsMirror(chain, r, "depth " + depth);
    assertParentsUnchanged(chain);
    if (Files.isDirectory(Path.of("/proc/self/fd"))) {
      for (Path image : chain.images) {
        assertEquals(0, descriptorsOpenOn(image), image + " is still open after the last read");
      }
    }
  }

  @Test
  void chainOverAFixedBaseReadsThrough(SeededRandom r) throws IOException {
    Chain chain = buildChain(dir.resolve("chain"), 2, r, 1, null, "subformat=fixed");
    assertEquals("fixed", Files.getAttribute(disk(chain.images.get(0)), "vhd:diskType"));
    assertChainReadsMirror(chain, r, "over a fixed base");
    assertParentsUnchanged(chain);
  }

  @Test
  void chainInDirectoriesWithSpacesAndNonAsciiNamesReadsThroughAndAfterAMove(SeededRandom r)
      throws IOException {
    Path home = dir.resolve("vm disks")
        .resolve("\u00fcn\u00efc\u00f6d\u00e9 \u20ac \ud83d\udcbe");
    Chain chain = buildChain(home, 2, r, 1);
    assertChainReadsMirror(chain, r, "non-ASCII directory");
    closeRegistered();
    Path after = Files.move(dir.resolve("vm disks"), dir.resolve("moved \u00e9"));
    Chain moved = relocated(chain, dir.resolve("vm disks"), after);
    assertChainReadsMirror(moved, r, "non-ASCII directory, moved");
    assertParentsUnchanged(moved);
  }

  @ParameterizedTest(name = "{0} buffer")
  @ValueSource(strings = {"heap", "offset heap", "direct"})
  void childLargerThanItsParentReadsZerosPastTheParentsEnd(String buffer) throws IOException {
    byte[] parentData = randomBytes(2 * MIB, 21);
    VhdImageBuilder parent = VhdImageBuilder.dynamic(3L * MIB).block(0, parentData)
        .block(1, randomBytes(MIB, 22));
    byte[] bitmap = new byte[512];
    Arrays.fill(bitmap, 64, 128, (byte) 0xFF); // 2.25 to 2.5 MiB: in the child
    Arrays.fill(bitmap, 192, 320, (byte) 0xFF); // 2.75 to 3.25 MiB: across the parent's end
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "p.vhd").size(6L * MIB)
        .block(1, randomBytes(2 * MIB, 23)).bitmap(1, bitmap);
    parent.writeTo(dir.resolve("p.vhd"));
    child.writeTo(dir.resolve("c.vhd"));
    long from = 2L * MIB + 100;
    int length = 3 * MIB;
    byte[] expected = child.expectedContent(from, length);
    ByteBuffer dst = switch (buffer) {
      case "heap" -> ByteBuffer.allocate(length);
      case "offset heap" -> ByteBuffer.wrap(new byte[length + 777], 777, length).slice();
      default -> ByteBuffer.allocateDirect(length);
    };
    // Garbage where the zeros must go, so zeros that are not written show.
    while (dst.hasRemaining()) {
      dst.put((byte) 0x5A);
    }
    dst.clear();
    try (FileChannel ch = FileChannel.open(disk(dir.resolve("c.vhd")),
        StandardOpenOption.READ)) {
      assertEquals(6L * MIB, ch.size());
      while (dst.hasRemaining()) {
        assertTrue(ch.read(dst, from + dst.position()) > 0);
      }
    }
    byte[] got = new byte[length];
    dst.flip().get(got);
    assertSameBytes(expected, 0, got, "child over a smaller parent, " + buffer + " buffer");
    int pastParent = (int) (3L * MIB + 256 * 1024 - from); // after the child's run at the end
    assertEquals(-1, Arrays.mismatch(new byte[length - pastParent], 0, length - pastParent, got,
        pastParent, length), "zeros past the parent's end where the child holds nothing");
  }

  @Test
  void chainMovedToAnotherDirectoryOpensThroughItsRelativeLocators(SeededRandom r)
      throws IOException {
    Chain chain = buildChain(dir.resolve("before"), 2, r, 1);
    closeRegistered();
    Path after = Files.move(dir.resolve("before"), dir.resolve("after"));
    Chain moved = relocated(chain, dir.resolve("before"), after);
    for (Path old : chain.images) {
      assertFalse(Files.exists(old), "the absolute (W2ku) locators must name nothing now");
    }
    assertChainReadsMirror(moved, r, "moved chain");
    assertEquals(after.resolve("c1.vhd").toRealPath().toString(),
        Files.getAttribute(disk(moved.top()), "vhd:parentPath"));
    assertParentsUnchanged(moved);
  }

  @Test
  void parentInSiblingDirectoryIsFoundThroughDotDotRelativeLocatorAfterMove(SeededRandom r)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Path tree = dir.resolve("tree");
    Path base = Files.createDirectories(tree.resolve("base")).resolve("p.vhd");
    Path child = Files.createDirectories(tree.resolve("child")).resolve("c.vhd");
    qemu.create(base, BASE_SIZE, "");
    Chain chain = new Chain();
    chain.images.add(base);
    chain.mirror = new byte[Math.toIntExact(Files.size(disk(base)))];
    closeRegistered();
    qemu.write(base, baseWrites(chain, r, 512));
    chain.parentHashes.put(base, Chains.sha256(base));
    try (FileSystem fs = FileSystems.newFileSystem(Chains.uriOf(child),
        childEnv("../base/p.vhd", null))) {
      try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
        writeChild(ch, chain, r, 1, 2 * MIB);
      }
    }
    chain.images.add(child);
    assertTrue(contains(Files.readAllBytes(child),
        ".\\..\\base\\p.vhd".getBytes(StandardCharsets.UTF_16LE)),
        "the child records its parent as .\\..\\base\\p.vhd");
    assertChainReadsMirror(chain, r, "sibling parent");

    closeRegistered();
    Path after = Files.move(tree, dir.resolve("elsewhere"));
    Chain moved = relocated(chain, tree, after);
    assertFalse(Files.exists(base));
    assertChainReadsMirror(moved, r, "sibling parent, moved");
    assertEquals(after.resolve("base").resolve("p.vhd").toRealPath().toString(),
        Files.getAttribute(disk(moved.top()), "vhd:parentPath"));
    assertParentsUnchanged(moved);
  }

  @Test
  void childMovedAwayFromItsParentFindsItThroughTheAbsoluteLocator(SeededRandom r)
      throws IOException {
    Chain chain = buildChain(dir.resolve("chain"), 1, r, 1);
    closeRegistered();
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere").resolve("deeper"));
    Path child = Files.move(chain.top(), elsewhere.resolve("c1.vhd"));
    chain.images.set(1, child);
    assertChainReadsMirror(chain, r, "child moved, parent in place");
    assertEquals(chain.images.get(0).toRealPath().toString(),
        Files.getAttribute(disk(child), "vhd:parentPath"));
    assertParentsUnchanged(chain);
  }

  /**
   * On a Unix host a backslash is an ordinary character of a file name, but a Windows locator
   * reads it as a separator. Creating a child over such a parent must not leave behind an image
   * that cannot be opened: either the child opens and reads its parent, or it is not created.
   */
  @Test
  void childOverAParentWhosePathHoldsABackslashOpensOrIsNotCreated() throws IOException {
    Path base = Files.createDirectories(dir.resolve("x\\y")).resolve("p.vhd");
    VhdImageBuilder parent = VhdImageBuilder.dynamic(4L * MIB).block(0, randomBytes(2 * MIB, 31));
    parent.writeTo(base);
    Path child = Files.createDirectories(dir.resolve("child")).resolve("c.vhd");
    try {
      FileSystems.newFileSystem(Chains.uriOf(child), childEnv(base.toString(), null)).close();
    } catch (IOException | IllegalArgumentException refused) {
      assertFalse(Files.exists(child), "creation failed with " + refused
          + ", yet left an image behind that cannot be opened");
      return;
    }
    try (FileChannel ch = FileChannel.open(disk(child), StandardOpenOption.READ)) {
      assertSameBytes(parent.expectedContent(0, 2 * MIB), 0, read(ch, 0, 2 * MIB),
          "the new child reads its parent");
    }
  }

  @Test
  void clearBitsOfAnAllocatedChildBlockReadTheParent() throws IOException {
    byte[] parentData = randomBytes(2 * MIB, 11);
    byte[] childData = randomBytes(2 * MIB, 12);
    VhdImageBuilder parent = VhdImageBuilder.dynamic(4L * MIB).block(0, parentData);
    VhdImageBuilder child = VhdImageBuilder.differencing(parent, "p.vhd")
        .block(0, childData).bitmap(0, new byte[] {(byte) 0x80});
    parent.writeTo(dir.resolve("p.vhd"));
    child.writeTo(dir.resolve("c.vhd"));
    try (FileChannel ch = FileChannel.open(disk(dir.resolve("c.vhd")),
        StandardOpenOption.READ)) {
      byte[] first = read(ch, 0, 4 * KIB);
      assertEquals(-1, Arrays.mismatch(childData, 0, 512, first, 0, 512),
          "sector 0 (bit set) comes from the child");
      assertEquals(-1, Arrays.mismatch(parentData, 512, 4 * KIB, first, 512, 4 * KIB),
          "sectors 1-7 (bits clear) come from the parent");
      byte[] all = read(ch, 0, 4 * MIB);
      assertEquals(-1, Arrays.mismatch(child.expectedContent(0, 4 * MIB), all),
          "the whole disk: sector 0 from the child, everything else from the parent");
    }
  }

  @ParameterizedTest(name = "depth {0}")
  @ValueSource(ints = {1, 2})
  void libvhdiReadsOurChildrenAsWeDo(int depth, SeededRandom r) throws IOException {
    Libvhdi libvhdi = Libvhdi.require();
    // 4 KiB units: libvhdi 20210425 misreads a clear bit after a set one in one bitmap byte.
    Chain chain = buildChain(dir.resolve("chain"), depth, r, 4 * KIB);
    assertChainReadsMirror(chain, r, "depth " + depth);
    Path raw = dir.resolve("mirror.raw");
    Files.write(raw, chain.mirror);
    List<Window> windows = Libvhdi.chunks(chain.size(), 4 * KIB);
    Libvhdi.Reading reading = libvhdi.readChain(Chains.topFirst(chain.images), windows, 4 * KIB,
        dir);
    assertEquals(chain.size(), reading.mediaSize(), "libvhdi's media size");
    List<String> expected;
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      expected = Libvhdi.hashes(ch, windows);
    }
    for (int i = 0; i < windows.size(); i++) {
      assertEquals(expected.get(i), reading.lines().get(i),
          "libvhdi reads the 4 KiB at " + windows.get(i).offset() + " otherwise");
    }
    assertEquals(expected.size(), reading.lines().size());
    assertParentsUnchanged(chain);
  }

  @Test
  void twoChildrenOfOneParentShareOneOpenParentAndReadTheirOwnData(SeededRandom r)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Path base = dir.resolve("base.vhd");
    qemu.create(base, BASE_SIZE, "");
    Chain a = new Chain();
    a.images.add(base);
    a.mirror = new byte[Math.toIntExact(Files.size(disk(base)))];
    closeRegistered();
    qemu.write(base, baseWrites(a, r, 512));
    String baseHash = Chains.sha256(base);
    Chain b = new Chain();
    b.images.add(base);
    b.mirror = a.mirror.clone();
    b.edges.addAll(a.edges);
    for (Chain c : List.of(a, b)) {
      Path child = dir.resolve(c == a ? "a.vhd" : "b.vhd");
      try (FileSystem fs = FileSystems.newFileSystem(Chains.uriOf(child),
          childEnv("base.vhd", null))) {
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
          writeChild(ch, c, r, 1, 2 * MIB);
        }
      }
      c.images.add(child);
    }
    assertFalse(Arrays.equals(a.mirror, b.mirror), "the children hold different data");

    try (FileChannel chA = FileChannel.open(disk(a.top()), StandardOpenOption.READ);
        FileChannel chB = FileChannel.open(disk(b.top()), StandardOpenOption.READ)) {
      if (Files.isDirectory(Path.of("/proc/self/fd"))) {
        // One shared by both children's reads, and one holding QEMU's image locks on it.
        assertEquals(2, descriptorsOpenOn(base),
            "open file descriptors on the parent while both children are open");
      }
      // Interleaved, so each read goes through the shared parent while the other child is open.
      for (int at = 0; at < a.size(); at += MIB) {
        int n = (int) Math.min(MIB, a.size() - at);
        assertSameBytes(a.mirror, at, read(chA, at, n), "child a at " + at);
        assertSameBytes(b.mirror, at, read(chB, at, n), "child b at " + at);
      }
    }
    if (Files.isDirectory(Path.of("/proc/self/fd"))) {
      assertEquals(0, descriptorsOpenOn(base), "the parent is closed with its last child");
    }
    assertEquals(baseHash, Chains.sha256(base));
  }

  @Test
  void everyImageOfAChainReadsItsOwnContentWhileAllAreReadConcurrently(SeededRandom r)
      throws Exception {
    Chain chain = buildChain(dir.resolve("chain"), 3, r, 1, null, "", true);
    List<FileChannel> channels = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (Path image : chain.images) {
        channels.add(FileChannel.open(disk(image), StandardOpenOption.READ));
      }
      List<Future<?>> readers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Random tr = new Random(r.nextLong());
        readers.add(pool.submit(() -> {
          for (int i = 0; i < 60; i++) {
            int level = tr.nextInt(channels.size());
            byte[] expected = chain.levels.get(level);
            long pos = tr.nextLong(expected.length);
            int length = 1 + tr.nextInt((int) Math.min(MIB, expected.length - pos));
            assertSameBytes(expected, pos, read(channels.get(level), pos, length),
                chain.images.get(level).getFileName() + ", " + length + " bytes at " + pos);
          }
          return null;
        }));
      }
      for (Future<?> f : readers) {
        try {
          f.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof AssertionError a) {
            throw a;
          }
          throw e;
        }
      }
    } finally {
      pool.shutdownNow();
      for (FileChannel ch : channels) {
        ch.close();
      }
    }
    assertParentsUnchanged(chain);
  }

  @Test
  void parentTimestampMismatchIsLoggedAsWarningAndStillReads(SeededRandom r) throws Exception {
    // The child records the base file's time then; the base's footer says when qemu made it.
    FileTime recorded = FileTime.from(Instant.parse("2010-01-02T03:04:05Z"));
    Chain chain = buildChain(dir.resolve("chain"), 1, r, 1, recorded, "");
    Path base = chain.images.get(0);
    try (LogCapture log = new LogCapture("io.vhdfs")) {
      assertChainReadsMirror(chain, r, "parent untouched");
      assertEquals(List.of(), log.warnings(), "no warning while the parent's time matches");
      closeRegistered();

      Files.setLastModifiedTime(base, FileTime.from(Instant.parse("2003-04-05T06:07:08Z")));
      assertChainReadsMirror(chain, r, "parent time changed");
      List<String> warned = log.warnings();
      assertFalse(warned.isEmpty(), "a parent time mismatch is logged at WARNING");
      assertTrue(warned.get(0).contains(base.toRealPath().toString()),
          "the warning names the parent: " + warned.get(0));
    }
    assertParentsUnchanged(chain);
  }

  @Test
  void attributesNameEachImagesParentAndItsUniqueId(SeededRandom r) throws IOException {
    Chain chain = buildChain(dir.resolve("chain"), 2, r, 1);
    Path base = chain.images.get(0);
    Path c1 = chain.images.get(1);
    Path c2 = chain.images.get(2);
    Map<String, Object> top = Files.readAttributes(disk(c2), "vhd:*");
    assertEquals("differencing", top.get("diskType"));
    assertEquals(c1.toRealPath().toString(), top.get("parentPath"));
    assertEquals(HostBytes.footerUniqueId(c1), top.get("parentUniqueId"));
    assertEquals(HostBytes.footerUniqueId(c2), top.get("uniqueId"));

    assertEquals("differencing", Files.getAttribute(disk(c1), "vhd:diskType"));
    assertEquals(base.toRealPath().toString(), Files.getAttribute(disk(c1), "vhd:parentPath"));
    assertEquals(HostBytes.footerUniqueId(base),
        Files.getAttribute(disk(c1), "vhd:parentUniqueId"));

    assertEquals("dynamic", Files.getAttribute(disk(base), "vhd:diskType"));
    assertNull(Files.getAttribute(disk(base), "vhd:parentPath"));
    assertNull(Files.getAttribute(disk(base), "vhd:parentUniqueId"));
  }

  @Test
  void chainHostedOnJimfsReadsThrough(SeededRandom r) throws IOException {
    FileSystemProvider provider = Chains.vhd();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path home = Files.createDirectories(jimfs.getPath("/vm"));
      Path base = home.resolve("base.vhd");
      Chain chain = new Chain();
      chain.images.add(base);
      try (FileSystem fs = provider.newFileSystem(base,
          Map.of("create", "true", "size", "8M"))) {
        Path disk = fs.getPath("/disk");
        chain.mirror = new byte[Math.toIntExact(Files.size(disk))];
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE)) {
          writeChild(ch, chain, r, 1, 2 * MIB);
        }
      }
      Path c1 = home.resolve("c1.vhd");
      Path c2 = Files.createDirectories(home.resolve("sub")).resolve("c2.vhd");
      List<Map.Entry<Path, String>> levels = List.of(Map.entry(c1, "base.vhd"),
          Map.entry(c2, "/vm/c1.vhd"));
      for (Map.Entry<Path, String> level : levels) {
        chain.parentHashes.put(chain.top(), Chains.sha256(chain.top()));
        try (FileSystem fs = provider.newFileSystem(level.getKey(),
            childEnv(level.getValue(), 64 * KIB))) {
          try (FileChannel ch = FileChannel.open(fs.getPath("/disk"),
              StandardOpenOption.WRITE)) {
            writeChild(ch, chain, r, 1, 64 * KIB);
          }
        }
        chain.images.add(level.getKey());
      }
      try (FileSystem fs = provider.newFileSystem(c2, Map.of())) {
        assertReadsMirror(fs.getPath("/disk"), chain, r, "on Jimfs");
        assertEquals("/vm/c1.vhd", Files.getAttribute(fs.getPath("/disk"), "vhd:parentPath"));
      }
      assertParentsUnchanged(chain);
    }
  }

  @Test
  void parentsAreOnlyEverOpenedForReadingWhileTheirChildIsWritten(SeededRandom r)
      throws IOException {
    FileSystemProvider provider = Chains.vhd();
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path home = Files.createDirectories(jimfs.getPath("/vm"));
      Chain chain = new Chain();
      chain.images.add(home.resolve("base.vhd"));
      try (FileSystem fs = provider.newFileSystem(chain.top(),
          Map.of("create", "true", "size", "6M"))) {
        chain.mirror = new byte[Math.toIntExact(Files.size(fs.getPath("/disk")))];
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
          writeChild(ch, chain, r, 1, 2 * MIB);
        }
      }
      chain.parentHashes.put(chain.top(), Chains.sha256(chain.top()));
      try (FileSystem fs = provider.newFileSystem(home.resolve("c1.vhd"),
          childEnv("base.vhd", null))) {
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
          writeChild(ch, chain, r, 1, 2 * MIB);
        }
      }
      chain.images.add(home.resolve("c1.vhd"));
      chain.parentHashes.put(chain.top(), Chains.sha256(chain.top()));

      // c2 is created and written through a host that records every write and write open.
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      Path c2 = host.wrap(home.resolve("c2.vhd"));
      try (FileSystem fs = provider.newFileSystem(c2, childEnv("c1.vhd", 64 * KIB))) {
        try (FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
          writeChild(ch, chain, r, 1, 64 * KIB);
          assertSameBytes(chain.mirror, 0, read(ch, 0, chain.mirror.length), "c2 written");
        }
      }
      chain.images.add(c2);
      for (HostWriteLog.Mutation m : host.log().mutations()) {
        String file = m instanceof HostWriteLog.Write w ? w.file()
            : ((HostWriteLog.Truncate) m).file();
        assertEquals("/vm/c2.vhd", file, "only the child is written: " + m);
      }
      assertTrue(host.log().mutationCount() > 0, "the child's writes were recorded");

      // A host that refuses every write still serves the chain for reading.
      host.setReadOnly(true);
      try (FileSystem fs = provider.newFileSystem(c2, Map.of())) {
        assertReadsMirror(fs.getPath("/disk"), chain, r, "read-only host");
      }
      assertParentsUnchanged(chain);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The chain's images and hashes under {@code to} instead of {@code from}. */
  private static Chain relocated(Chain chain, Path from, Path to) {
    Chain moved = new Chain();
    for (Path p : chain.images) {
      moved.images.add(to.resolve(from.relativize(p)));
    }
    chain.parentHashes.forEach((p, h) -> moved.parentHashes.put(to.resolve(from.relativize(p)), h));
    moved.edges.addAll(chain.edges);
    moved.mirror = chain.mirror;
    return moved;
  }

  private Path disk(Path image) {
    URI uri = Chains.uriOf(image);
    registered.add(uri);
    return Path.of(uri);
  }

  private void closeRegistered() throws IOException {
    for (URI uri : registered) {
      try {
        FileSystems.getFileSystem(uri).close();
      } catch (FileSystemNotFoundException alreadyClosed) {
        // closed by an earlier call
      }
    }
    registered.clear();
  }

  /** How many of this process's file descriptors point at {@code file}. */
  private static long descriptorsOpenOn(Path file) throws IOException {
    Path real = file.toRealPath();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).equals(real);
        } catch (IOException | UnsupportedOperationException gone) {
          return false; // closed meanwhile (the listing's own descriptor, say)
        }
      }).count();
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
