package io.vhdfs.channel;

import static io.vhdfs.channel.ThreadCalls.assertEndedByClose;
import static io.vhdfs.channel.ThreadCalls.assertInstanceOf;
import static io.vhdfs.channel.ThreadCalls.assertThrewInThread;
import static io.vhdfs.channel.ThreadCalls.getOrRethrow;
import static io.vhdfs.channel.ThreadCalls.inFreshThread;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.Interrupts;
import io.vhdfs.channel.ThreadCalls.ThreadOutcome;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write side of the {@link FileChannel} contract (nio-provider-notes.md §6; DESIGN.md §1;
 * the decided write behaviour of issue 3), written once.
 *
 * <p>Subclasses supply a file whose bytes are given ({@link #create}); the tests open read-write,
 * write-only and read-only channels on it with {@link FileChannel#open}. {@code
 * RawFileWritableContractTest} runs every test against the JDK's own channel over a plain file
 * first, so a test that fails for a VHD channel but passes there points at the library, not at
 * the test. Where a disk legitimately differs from a file ({@link #resizable()}: writes past the
 * end are an {@link IOException} and write nothing, {@code truncate} below the size is an
 * {@code IOException}, {@code APPEND} is {@link UnsupportedOperationException},
 * {@code TRUNCATE_EXISTING} is ignored), one hook says which behaviour to expect.
 *
 * <p>The content has the shapes a dynamic image stores differently, so writes meet every kind of
 * run: stamped data in block 0 with a 64 KiB hole of zeros at 1 MiB (a partial bitmap in images we
 * write, unallocated small blocks), a whole 2 MiB block of zeros (unallocated in dynamic images),
 * and a last block of five sectors. Every test keeps a model of the expected bytes and compares
 * the whole file with it.
 */
@ExtendWith(SeedExtension.class)
public abstract class WritableFileChannelContract {
  protected static final int SECTOR = 512;
  protected static final int KIB = 1 << 10;
  protected static final int MIB = 1 << 20;
  /** The length of every test file: two 2 MiB blocks and five sectors of a third. */
  protected static final int LENGTH = 4 * MIB + 5 * SECTOR;
  /** A run of zeros inside the first block. */
  protected static final int HOLE_START = MIB;
  protected static final int HOLE_END = MIB + 64 * KIB;
  /** The second 2 MiB block is all zeros (unallocated in a dynamic image). */
  protected static final int ZEROS_START = 2 * MIB;
  protected static final int ZEROS_END = 4 * MIB;

  /** Scratch space; subclasses put their fixtures here too. */
  @TempDir protected Path tempDir;

  private final List<FileChannel> opened = new ArrayList<>();
  private Path file;
  private byte[] model;

  /**
   * Creates a file whose bytes are exactly {@code content} and returns the path to open channels
   * on (for a VHD, the {@code /disk} of its image). Each call makes a new, independent file.
   */
  protected abstract Path create(byte[] content) throws IOException;

  /**
   * Whether the file changes size like a plain file: writes past the end grow it, truncate cuts
   * it, {@code APPEND} appends and {@code TRUNCATE_EXISTING} empties it. A virtual disk has a fixed
   * size (DESIGN.md §1, issue 3 contract): writes that would pass the end are an
   * {@link IOException} and write nothing, truncate below the size is an {@code IOException},
   * {@code APPEND} is {@link UnsupportedOperationException}, {@code TRUNCATE_EXISTING} is ignored.
   */
  protected boolean resizable() {
    return true;
  }

  /**
   * Called with every channel on {@code file} closed: checks that {@code expected} is what is
   * stored, by means other than the channels the tests used (a fresh file system on the image,
   * qemu-img). The default checks nothing beyond what the tests read themselves.
   */
  protected void checkStoredBytes(Path file, byte[] expected) throws IOException {}

  /** The content every test starts from. */
  static byte[] initialContent() {
    byte[] bytes = FileChannelContract.sectorStampedBytes(LENGTH);
    Arrays.fill(bytes, HOLE_START, HOLE_END, (byte) 0);
    Arrays.fill(bytes, ZEROS_START, ZEROS_END, (byte) 0);
    return bytes;
  }

  @BeforeEach
  final void makeFile() throws IOException {
    model = initialContent();
    file = create(model.clone());
  }

  /**
   * Closes every channel the test opened, in a helper thread: after a deadlock in the library
   * (see {@link Interrupts}) a close may never return, and that must fail this test rather than
   * hang the run.
   */
  @AfterEach
  final void closeOpened() throws Exception {
    AtomicReference<Exception> failure = new AtomicReference<>();
    Thread closer = new Thread(() -> {
      for (FileChannel ch : opened) {
        try {
          ch.close();
        } catch (Exception e) {
          failure.compareAndSet(null, e);
        }
      }
    }, "contract-closer");
    closer.setDaemon(true);
    closer.start();
    closer.join(30_000);
    if (closer.isAlive()) {
      fail("closing the test's channels did not finish within 30 s (deadlocked?)");
    }
    if (failure.get() != null) {
      throw failure.get();
    }
  }

  private FileChannel open(OpenOption... options) throws IOException {
    FileChannel ch = FileChannel.open(file, options);
    opened.add(ch);
    return ch;
  }

  private FileChannel openReadWrite() throws IOException {
    return open(StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private FileChannel openWriteOnly() throws IOException {
    return open(StandardOpenOption.WRITE);
  }

  private FileChannel openReadOnly() throws IOException {
    return open(StandardOpenOption.READ);
  }

  // ---------------------------------------------------------------- relative writes

  @Test
  void relativeWriteWritesAtPositionAdvancesItAndConsumesTheBuffer() throws IOException {
    FileChannel ch = openReadWrite();
    long at = ZEROS_START - 1000; // from data into the zero block
    byte[] bytes = randomBytes(3000, 1);
    ByteBuffer src = ByteBuffer.wrap(bytes);
    assertSame(ch, ch.position(at));
    assertEquals(3000, ch.write(src));
    assertEquals(at + 3000, ch.position());
    assertFalse(src.hasRemaining(), "a write must consume what it wrote from the buffer");
    expect(at, bytes);
    assertDiskMatchesModel(ch, "after one relative write");
    assertEquals(LENGTH, ch.size(), "a write inside the file must not change its size");
  }

  @Test
  void consecutiveRelativeWritesFollowEachOther() throws IOException {
    FileChannel ch = openReadWrite();
    long at = HOLE_START - 777;
    ch.position(at);
    int[] sizes = {1, 511, 512, 513, 4096, 65_537, 100_003, 7};
    for (int i = 0; i < sizes.length; i++) {
      byte[] bytes = randomBytes(sizes[i], 10 + i);
      assertEquals(sizes[i], ch.write(ByteBuffer.wrap(bytes)), "write " + i);
      expect(at, bytes);
      at += sizes[i];
      assertEquals(at, ch.position(), "position after write " + i);
    }
    assertDiskMatchesModel(ch, "after consecutive relative writes");
  }

  @Test
  void newReadWriteChannelWritesFromPositionZero() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(1234, 2);
    assertEquals(1234, ch.write(ByteBuffer.wrap(bytes)));
    assertEquals(1234, ch.position());
    expect(0, bytes);
    assertDiskMatchesModel(ch, "after a write on a new channel");
  }

  @Test
  void relativeReadAfterWriteContinuesAfterTheWrittenBytes() throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(5000);
    byte[] bytes = randomBytes(100, 3);
    ch.write(ByteBuffer.wrap(bytes));
    expect(5000, bytes);
    ByteBuffer dst = ByteBuffer.allocate(200);
    assertEquals(200, ch.read(dst));
    assertEquals(5300, ch.position());
    assertArrayEquals(Arrays.copyOfRange(model, 5100, 5300), dst.array());
    ch.position(5000);
    ByteBuffer again = ByteBuffer.allocate(100);
    assertEquals(100, ch.read(again));
    assertArrayEquals(bytes, again.array(), "the written bytes read back through the same channel");
  }

  // ---------------------------------------------------------------- positional writes

  @Test
  void positionalWriteWritesAtItsOffsetAndLeavesThePositionAlone() throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(777);
    long at = ZEROS_START - 3 * SECTOR - 5;
    byte[] bytes = randomBytes(10_000, 4);
    ByteBuffer src = ByteBuffer.wrap(bytes);
    assertEquals(10_000, ch.write(src, at));
    assertFalse(src.hasRemaining(), "a positional write must consume the buffer too");
    assertEquals(777, ch.position(), "a positional write must not move the position");
    expect(at, bytes);
    assertDiskMatchesModel(ch, "after a positional write");
  }

  @Test
  void positionalWriteIgnoresAPositionPastTheEnd() throws IOException {
    FileChannel ch = openReadWrite();
    long far = LENGTH + 12_345L;
    ch.position(far);
    byte[] bytes = randomBytes(700, 5);
    assertEquals(700, ch.write(ByteBuffer.wrap(bytes), HOLE_END - 300));
    assertEquals(far, ch.position());
    assertEquals(LENGTH, ch.size());
    expect(HOLE_END - 300, bytes);
    assertDiskMatchesModel(ch, "after a positional write with the position past the end");
  }

  @Test
  void positionalWriteAtNegativePositionThrowsIllegalArgumentExceptionAndWritesNothing()
      throws IOException {
    FileChannel ch = openReadWrite();
    ByteBuffer src = ByteBuffer.wrap(randomBytes(SECTOR, 6));
    assertThrows(IllegalArgumentException.class, () -> ch.write(src, -1));
    assertEquals(SECTOR, src.remaining());
    assertDiskMatchesModel(ch, "after a refused negative-position write");
  }

  // ---------------------------------------------------------------- source buffers

  @Test
  void writeTakesOnlyTheBytesBetweenPositionAndLimitOfAHeapSlice() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] backing = randomBytes(8192, 7);
    // A slice has a non-zero array offset: an implementation that reads array() from index 0 or
    // ignores arrayOffset() writes the wrong bytes.
    ByteBuffer src = ByteBuffer.wrap(backing, 1000, 5000).slice();
    src.position(100).limit(1100);
    long at = HOLE_START - 300;
    assertEquals(1000, ch.write(src, at));
    assertEquals(1100, src.position());
    assertEquals(1100, src.limit());
    expect(at, Arrays.copyOfRange(backing, 1100, 2100));
    assertDiskMatchesModel(ch, "after a write from a heap slice");
  }

  @Test
  void writeTakesOnlyTheBytesBetweenPositionAndLimitOfADirectSlice() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] backing = randomBytes(8192, 8);
    ByteBuffer direct = ByteBuffer.allocateDirect(backing.length);
    direct.put(backing).clear();
    ByteBuffer src = direct.position(1000).limit(6000).slice();
    src.position(100).limit(4196);
    ch.position(ZEROS_START - 2000);
    assertEquals(4096, ch.write(src));
    assertEquals(4196, src.position());
    expect(ZEROS_START - 2000, Arrays.copyOfRange(backing, 1100, 5196));
    assertDiskMatchesModel(ch, "after a write from a direct slice");
  }

  @Test
  void readOnlyBuffersAreValidSources() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] heap = randomBytes(3000, 9);
    ByteBuffer readOnlyHeap = ByteBuffer.wrap(heap).asReadOnlyBuffer();
    assertEquals(3000, ch.write(readOnlyHeap, 4097));
    assertFalse(readOnlyHeap.hasRemaining());
    expect(4097, heap);
    byte[] direct = randomBytes(2000, 10);
    ByteBuffer readOnlyDirect = ByteBuffer.allocateDirect(2000).put(direct).flip().asReadOnlyBuffer();
    ch.position(ZEROS_START + 1);
    assertEquals(2000, ch.write(readOnlyDirect));
    expect(ZEROS_START + 1, direct);
    assertDiskMatchesModel(ch, "after writes from read-only buffers");
  }

  @Test
  void wholeFileWrittenFromOneHeapBufferInOneCall() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] all = randomBytes(LENGTH, 11);
    assertEquals(LENGTH, ch.write(ByteBuffer.wrap(all), 0),
        "a write to a blocking channel must write every byte it was given");
    expect(0, all);
    assertDiskMatchesModel(ch, "after a whole-file heap write");
  }

  @Test
  void wholeFileWrittenFromOneDirectBufferInOneCall() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] all = randomBytes(LENGTH, 12);
    ByteBuffer src = ByteBuffer.allocateDirect(LENGTH).put(all).flip();
    assertEquals(LENGTH, ch.write(src),
        "a write to a blocking channel must write every byte it was given");
    assertEquals(LENGTH, ch.position());
    expect(0, all);
    assertDiskMatchesModel(ch, "after a whole-file direct write");
  }

  // ---------------------------------------------------------------- gathering writes

  @Test
  void gatheringWriteWritesBuffersInOrderAndAdvancesPosition() throws IOException {
    FileChannel ch = openReadWrite();
    Random random = new Random(13);
    ByteBuffer untouchedBefore = ByteBuffer.wrap(randomBytes(10, 14));
    byte[] a = randomBytes(1000, 15);
    byte[] b = randomBytes(300_001, 16);
    byte[] d = randomBytes(70_000, 17);
    byte[] e = randomBytes(513, 18);
    ByteBuffer untouchedAfter = ByteBuffer.wrap(randomBytes(10, 19));
    ByteBuffer[] srcs = {untouchedBefore, ByteBuffer.wrap(a),
        ByteBuffer.allocateDirect(b.length).put(b).flip(), ByteBuffer.allocate(0),
        heapSlice(d, random), ByteBuffer.wrap(e).asReadOnlyBuffer(), untouchedAfter};
    long at = ZEROS_START - 200_003;
    ch.position(at);
    long total = a.length + b.length + d.length + e.length;
    assertEquals(total, ch.write(srcs, 1, 5), "one gathering write must write every byte given");
    assertEquals(at + total, ch.position());
    assertEquals(10, untouchedBefore.remaining(), "a buffer before the offset was used");
    assertEquals(10, untouchedAfter.remaining(), "a buffer after offset+length was used");
    for (int i = 1; i <= 5; i++) {
      assertFalse(srcs[i].hasRemaining(), "buffer " + i + " not consumed");
    }
    expect(at, a);
    expect(at + a.length, b);
    expect(at + a.length + b.length, d);
    expect(at + a.length + b.length + d.length, e);
    assertDiskMatchesModel(ch, "after a gathering write");
  }

  @Test
  void gatheringWriteOfManySmallBuffersAcrossABlockBoundary() throws IOException {
    FileChannel ch = openReadWrite();
    Random random = new Random(20);
    ByteBuffer[] srcs = new ByteBuffer[300];
    long at = ZEROS_START - 50_001;
    ch.position(at);
    long offset = at;
    long total = 0;
    for (int i = 0; i < srcs.length; i++) {
      byte[] bytes = randomBytes(random.nextInt(700), 1000 + i); // some are empty
      srcs[i] = anyBuffer(random, bytes);
      expect(offset, bytes);
      offset += bytes.length;
      total += bytes.length;
    }
    assertEquals(total, ch.write(srcs));
    assertEquals(at + total, ch.position());
    assertDiskMatchesModel(ch, "after a gathering write of many small buffers");
  }

  @Test
  void gatheringWriteOfNothingReturnsZero() throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(SECTOR);
    assertEquals(0, ch.write(new ByteBuffer[] {ByteBuffer.allocate(0), ByteBuffer.allocateDirect(0)}));
    assertEquals(0, ch.write(new ByteBuffer[] {ByteBuffer.allocate(8)}, 1, 0));
    assertEquals(0, ch.write(new ByteBuffer[0]));
    assertEquals(SECTOR, ch.position());
    assertDiskMatchesModel(ch, "after empty gathering writes");
  }

  @Test
  void gatheringWriteWithBadOffsetOrLengthThrowsIndexOutOfBounds() throws IOException {
    FileChannel ch = openReadWrite();
    ByteBuffer[] srcs = {ByteBuffer.allocate(8), ByteBuffer.allocate(8)};
    assertAll(
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.write(srcs, -1, 1)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.write(srcs, 0, 3)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.write(srcs, 2, 1)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.write(srcs, 1, -1)));
    assertEquals(0, ch.position());
    assertEquals(8, srcs[0].remaining());
    assertDiskMatchesModel(ch, "after refused gathering writes");
  }

  // ---------------------------------------------------------------- lengths and alignments

  /**
   * Every mix of start alignment and length around the places a dynamic image changes state
   * (hole edges, block edges, small-block edges): each write must land exactly and leave the
   * bytes next to it alone.
   */
  @Test
  void writesOfEveryAlignmentAroundBoundariesKeepTheirNeighbours() throws IOException {
    FileChannel ch = openReadWrite();
    Random random = new Random(21);
    long[] boundaries = {HOLE_START, HOLE_END, ZEROS_START, ZEROS_END, 64 * KIB, 12 * KIB};
    int[] deltas = {-1025, -513, -512, -511, -1, 0, 1, 511};
    int[] lengths = {1, 2, 511, 512, 513, 1024, 4095, 4096, 4097, 65_537};
    int writes = 0;
    for (long boundary : boundaries) {
      for (int delta : deltas) {
        for (int length : lengths) {
          long at = boundary + delta;
          if (at < 0 || at + length > LENGTH) {
            continue;
          }
          byte[] bytes = randomBytes(length, random.nextLong());
          String where = "write of " + length + " at " + at + " (boundary " + boundary + ")";
          assertEquals(length, ch.write(anyBuffer(random, bytes), at), where);
          expect(at, bytes);
          assertWindowMatchesModel(ch, at - 1024, length + 2048, where);
          writes++;
        }
      }
    }
    assertTrue(writes > 400, "too few writes: " + writes);
    assertDiskMatchesModel(ch, "after the alignment grid");
  }

  @Test
  void partialSectorWritesKeepTheRestOfTheSector() throws IOException {
    FileChannel ch = openReadWrite();
    long[] places = {10 * SECTOR + 100, HOLE_START + 700, HOLE_END - 3, ZEROS_START + 3 * SECTOR + 1,
        ZEROS_START - 2, ZEROS_END + SECTOR + 5, LENGTH - 1};
    int seed = 30;
    for (long at : places) {
      byte[] one = randomBytes(1, seed++);
      one[0] |= 1; // never zero, so a write into zeros shows
      assertEquals(1, ch.write(ByteBuffer.wrap(one), at));
      expect(at, one);
      assertWindowMatchesModel(ch, at - SECTOR - at % SECTOR, 3 * SECTOR, "one byte at " + at);
    }
    // A few bytes straddling a sector edge, in each kind of region.
    for (long edge : new long[] {20 * SECTOR, HOLE_START + 8 * SECTOR, ZEROS_START + 40 * SECTOR,
        ZEROS_END + 2 * SECTOR}) {
      byte[] three = {7, 8, 9};
      assertEquals(3, ch.write(ByteBuffer.wrap(three), edge - 1));
      expect(edge - 1, three);
      assertWindowMatchesModel(ch, edge - 2 * SECTOR, 4 * SECTOR, "three bytes across " + edge);
    }
    assertDiskMatchesModel(ch, "after partial-sector writes");
  }

  @Test
  void smallWriteIntoZerosLeavesZerosAroundIt() throws IOException {
    FileChannel ch = openReadWrite();
    long at = ZEROS_START + MIB + 200;
    byte[] bytes = randomBytes(100, 40);
    bytes[0] = 1;
    bytes[99] = 1;
    assertEquals(100, ch.write(ByteBuffer.wrap(bytes), at));
    ByteBuffer around = ByteBuffer.allocate(4 * SECTOR);
    long from = at - at % SECTOR - SECTOR;
    assertEquals(around.capacity(), ch.read(around, from));
    for (int i = 0; i < around.capacity(); i++) {
      long off = from + i;
      byte want = off >= at && off < at + 100 ? bytes[(int) (off - at)] : 0;
      assertEquals(want, around.get(i), "byte at " + off);
    }
    expect(at, bytes);
    assertDiskMatchesModel(ch, "after a small write into zeros");
  }

  @Test
  void allZeroBuffersOverwriteData() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] zeros = new byte[5000];
    assertEquals(5000, ch.write(ByteBuffer.wrap(zeros), 3001));
    expect(3001, zeros);
    ch.position(HOLE_END - 100);
    assertEquals(5000, ch.write(ByteBuffer.allocateDirect(5000)));
    expect(HOLE_END - 100, zeros);
    assertEquals(SECTOR, ch.write(ByteBuffer.allocate(SECTOR), LENGTH - SECTOR));
    expect(LENGTH - SECTOR, new byte[SECTOR]);
    assertDiskMatchesModel(ch, "after zero writes over data");
  }

  @Test
  void allZeroBuffersWrittenIntoZerosStillReadAsZeros() throws IOException {
    FileChannel ch = openReadWrite();
    assertEquals(3 * MIB / 2, ch.write(ByteBuffer.allocate(3 * MIB / 2), ZEROS_START - MIB / 4 + 3));
    expect(ZEROS_START - MIB / 4 + 3, new byte[3 * MIB / 2]);
    assertEquals(777, ch.write(ByteBuffer.allocate(777), HOLE_START + 5));
    byte[] data = randomBytes(2000, 41);
    assertEquals(2000, ch.write(ByteBuffer.wrap(data), ZEROS_START + 300_000));
    expect(ZEROS_START + 300_000, data);
    assertEquals(1000, ch.write(ByteBuffer.allocate(1000), ZEROS_START + 300_500));
    expect(ZEROS_START + 300_500, new byte[1000]);
    assertDiskMatchesModel(ch, "after zero writes into zeros");
  }

  @Test
  void oneWriteSpanningEveryKindOfRegion() throws IOException {
    FileChannel ch = openReadWrite();
    long at = HOLE_START - 1001;
    byte[] bytes = randomBytes((int) (LENGTH - 3 - at), 42);
    assertEquals(bytes.length, ch.write(ByteBuffer.wrap(bytes), at));
    expect(at, bytes);
    assertDiskMatchesModel(ch, "after one write across hole, blocks and the last block");
  }

  // ---------------------------------------------------------------- visibility and durability

  @Test
  void writesAreVisibleToOtherChannelsAtOnce() throws IOException {
    FileChannel writer = openReadWrite();
    FileChannel reader = openReadOnly();
    FileChannel writeOnly = openWriteOnly();
    assertDiskMatchesModel(reader, "before any write");
    byte[] first = randomBytes(70_000, 43);
    writer.write(ByteBuffer.wrap(first), ZEROS_START - 35_000);
    expect(ZEROS_START - 35_000, first);
    assertDiskMatchesModel(reader, "another channel after a write, without force");
    byte[] second = randomBytes(3000, 44);
    writeOnly.position(HOLE_START + 1);
    writeOnly.write(ByteBuffer.wrap(second));
    expect(HOLE_START + 1, second);
    assertDiskMatchesModel(writer, "the read-write channel after a write-only channel wrote");
    assertDiskMatchesModel(reader, "a reader after a write-only channel wrote");
    try (FileChannel later = FileChannel.open(file, StandardOpenOption.READ)) {
      assertDiskMatchesModel(later, "a channel opened after the writes");
    }
  }

  @Test
  void writesSurviveClosingEveryChannel() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      byte[] a = randomBytes(2 * MIB + 3, 45);
      ch.write(ByteBuffer.wrap(a), HOLE_START + 7);
      expect(HOLE_START + 7, a);
      byte[] b = randomBytes(SECTOR, 46);
      ch.position(LENGTH - SECTOR);
      ch.write(ByteBuffer.wrap(b));
      expect(LENGTH - SECTOR, b);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      byte[] c = randomBytes(100, 47);
      ch.write(ByteBuffer.wrap(c), 5);
      expect(5, c);
    }
    assertStoredBytesMatchModel("after every channel was closed");
  }

  @Test
  void forceKeepsTheChannelOpenAndEverythingReadable() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] a = randomBytes(100_000, 48);
    ch.write(ByteBuffer.wrap(a), ZEROS_START + 5);
    expect(ZEROS_START + 5, a);
    ch.force(false);
    byte[] b = randomBytes(1000, 49);
    ch.write(ByteBuffer.wrap(b), HOLE_START + 100);
    expect(HOLE_START + 100, b);
    ch.force(true);
    ch.force(true);
    assertTrue(ch.isOpen());
    assertDiskMatchesModel(ch, "after force");
    FileChannel writeOnly = openWriteOnly();
    writeOnly.write(ByteBuffer.wrap(b), 0);
    expect(0, b);
    writeOnly.force(true);
    assertDiskMatchesModel(ch, "after force on a write-only channel");
  }

  @Test
  void syncAndDsyncChannelsWriteThrough() throws IOException {
    FileChannel sync = open(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
    FileChannel dsync = open(StandardOpenOption.WRITE, StandardOpenOption.DSYNC);
    byte[] a = randomBytes(5000, 50);
    assertEquals(5000, sync.write(ByteBuffer.wrap(a), ZEROS_START - 2500));
    expect(ZEROS_START - 2500, a);
    byte[] b = randomBytes(600, 51);
    assertEquals(600, dsync.write(ByteBuffer.wrap(b), HOLE_START + 10));
    expect(HOLE_START + 10, b);
    assertDiskMatchesModel(sync, "after SYNC and DSYNC writes");
  }

  @Test
  void newByteChannelOpenedForWritingWritesAndReads() throws IOException {
    byte[] bytes = randomBytes(10_000, 52);
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      ch.position(ZEROS_START - 5000);
      assertEquals(10_000, ch.write(ByteBuffer.wrap(bytes)));
      assertEquals(ZEROS_START + 5000, ch.position());
      assertEquals(LENGTH, ch.size());
      ch.position(ZEROS_START - 5000);
      ByteBuffer back = ByteBuffer.allocate(10_000);
      assertEquals(10_000, ch.read(back));
      assertArrayEquals(bytes, back.array());
    }
    expect(ZEROS_START - 5000, bytes);
    assertStoredBytesMatchModel("after a newByteChannel write");
  }

  // ---------------------------------------------------------------- the end of the file

  @Test
  void writeEndingExactlyAtTheEndWritesEverything() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] tail = randomBytes(700, 53);
    ch.position(LENGTH - 700);
    assertEquals(700, ch.write(ByteBuffer.wrap(tail)));
    assertEquals(LENGTH, ch.position());
    expect(LENGTH - 700, tail);
    byte[] last = {42};
    assertEquals(1, ch.write(ByteBuffer.wrap(last), LENGTH - 1));
    expect(LENGTH - 1, last);
    assertEquals(LENGTH, ch.size());
    assertDiskMatchesModel(ch, "after writes ending at the end");
  }

  @Test
  void relativeWriteCrossingTheEndGrowsTheFileOrIsRefusedWritingNothing() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(300, 54);
    ch.position(LENGTH - 100);
    ByteBuffer src = ByteBuffer.wrap(bytes);
    if (resizable()) {
      assertEquals(300, ch.write(src));
      assertEquals(LENGTH + 200, ch.size());
      assertEquals(LENGTH + 200, ch.position());
      assertWritten(ch, LENGTH - 100, bytes);
    } else {
      assertThrows(IOException.class, () -> ch.write(src), "a write passing the end of a disk");
      assertRefusedWriteChangedNothing(ch, src, 300, LENGTH - 100);
    }
  }

  @Test
  void positionalWriteCrossingTheEndGrowsTheFileOrIsRefusedWritingNothing() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(3 * SECTOR, 55);
    ch.position(1234);
    ByteBuffer src = ByteBuffer.wrap(bytes);
    long at = LENGTH - SECTOR - 1;
    if (resizable()) {
      assertEquals(bytes.length, ch.write(src, at));
      assertEquals(at + bytes.length, ch.size());
      assertEquals(1234, ch.position());
      assertWritten(ch, at, bytes);
    } else {
      assertThrows(IOException.class, () -> ch.write(src, at), "a write passing the end of a disk");
      assertRefusedWriteChangedNothing(ch, src, bytes.length, 1234);
    }
  }

  @Test
  void writeAtTheEndGrowsTheFileOrIsRefusedWritingNothing() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(SECTOR, 56);
    ByteBuffer relative = ByteBuffer.wrap(bytes);
    ch.position(LENGTH);
    if (resizable()) {
      assertEquals(SECTOR, ch.write(relative));
      assertEquals(LENGTH + SECTOR, ch.size());
      assertEquals(LENGTH + SECTOR, ch.position());
      assertWritten(ch, LENGTH, bytes);
      assertEquals(SECTOR, ch.write(ByteBuffer.wrap(bytes), LENGTH + SECTOR));
      assertEquals(LENGTH + 2 * SECTOR, ch.size());
    } else {
      assertThrows(IOException.class, () -> ch.write(relative), "a relative write at the end");
      assertRefusedWriteChangedNothing(ch, relative, SECTOR, LENGTH);
      ByteBuffer positional = ByteBuffer.wrap(bytes);
      assertThrows(IOException.class, () -> ch.write(positional, LENGTH),
          "a positional write at the end");
      assertRefusedWriteChangedNothing(ch, positional, SECTOR, LENGTH);
    }
  }

  @Test
  void writePastTheEndGrowsTheFileOrIsRefusedWritingNothing() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(1000, 57);
    long far = LENGTH + 4096L;
    if (resizable()) {
      ch.position(far);
      assertEquals(1000, ch.write(ByteBuffer.wrap(bytes)));
      assertEquals(far + 1000, ch.size());
      assertEquals(far + 1000, ch.position());
      assertWritten(ch, far, bytes); // the bytes of the gap are unspecified
    } else {
      ch.position(far);
      ByteBuffer relative = ByteBuffer.wrap(bytes);
      assertThrows(IOException.class, () -> ch.write(relative), "a relative write past the end");
      assertRefusedWriteChangedNothing(ch, relative, 1000, far);
      for (long at : new long[] {far, LENGTH + 1L, 1L << 40, Long.MAX_VALUE - 10}) {
        ByteBuffer positional = ByteBuffer.wrap(bytes);
        // Long.MAX_VALUE - 10 + 1000 overflows: an unchecked sum would pass the bounds check.
        assertThrows(IOException.class, () -> ch.write(positional, at),
            "a positional write at " + at);
        assertRefusedWriteChangedNothing(ch, positional, 1000, far);
      }
    }
  }

  @Test
  void gatheringWriteCrossingTheEndGrowsTheFileOrIsRefusedWritingNothing() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] a = randomBytes(600, 58);
    byte[] b = randomBytes(600, 59);
    ByteBuffer[] srcs = {ByteBuffer.wrap(a), ByteBuffer.wrap(b)};
    ch.position(LENGTH - 1000);
    if (resizable()) {
      assertEquals(1200, ch.write(srcs));
      assertEquals(LENGTH + 200, ch.size());
      assertEquals(LENGTH + 200, ch.position());
      assertWritten(ch, LENGTH - 1000, a);
      assertWritten(ch, LENGTH - 400, b);
    } else {
      assertThrows(IOException.class, () -> ch.write(srcs),
          "a gathering write passing the end of a disk");
      assertEquals(600, srcs[0].remaining(), "the refused write consumed the first buffer");
      assertRefusedWriteChangedNothing(ch, srcs[1], 600, LENGTH - 1000);
    }
  }

  @Test
  void zeroLengthWritesReturnZeroAnywhereAndChangeNothing() throws IOException {
    FileChannel ch = openReadWrite();
    for (long at : new long[] {0, 4097, LENGTH - 1, LENGTH, LENGTH + 4096L, Long.MAX_VALUE}) {
      String where = "at " + at;
      assertEquals(0, ch.write(ByteBuffer.allocate(0), at), "positional, " + where);
      assertEquals(0, ch.write(ByteBuffer.allocateDirect(0), at), "positional direct, " + where);
      ByteBuffer full = ByteBuffer.allocate(16);
      full.position(16);
      assertEquals(0, ch.write(full, at), "positional full buffer, " + where);
      if (at < Long.MAX_VALUE) {
        ch.position(at);
        assertEquals(0, ch.write(ByteBuffer.allocate(0)), "relative, " + where);
        assertEquals(0, ch.write(new ByteBuffer[] {ByteBuffer.allocate(0)}), "gathering, " + where);
        assertEquals(at, ch.position(), "position after empty writes, " + where);
      }
      assertEquals(LENGTH, ch.size(), "size after empty writes, " + where);
    }
    assertDiskMatchesModel(ch, "after empty writes");
  }

  // ---------------------------------------------------------------- transferFrom

  @Test
  void transferFromAChannelWritesAtItsPositionArgumentAndKeepsTheChannelPosition()
      throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(12_345);
    byte[] bytes = randomBytes(MIB + 11, 60);
    long at = ZEROS_START - 500_003;
    ReadableByteChannel src = Channels.newChannel(new ByteArrayInputStream(bytes));
    assertEquals(bytes.length, ch.transferFrom(src, at, bytes.length),
        "a blocking source with enough bytes must be transferred whole");
    assertEquals(12_345, ch.position());
    expect(at, bytes);
    assertDiskMatchesModel(ch, "after transferFrom");
  }

  @Test
  void transferFromAFileChannelAdvancesTheSourcePosition() throws IOException {
    FileChannel ch = openWriteOnly();
    byte[] bytes = randomBytes(300_000, 61);
    Path source = Files.write(tempDir.resolve("transfer-source.bin"), bytes);
    try (FileChannel src = FileChannel.open(source, StandardOpenOption.READ)) {
      src.position(100);
      long count = 200_000;
      assertEquals(count, ch.transferFrom(src, HOLE_START - 1, count));
      assertEquals(100 + count, src.position(), "the source position moves by what was read");
      expect(HOLE_START - 1, Arrays.copyOfRange(bytes, 100, 100 + (int) count));
    }
    assertEquals(0, ch.position());
    assertDiskMatchesModel(openReadOnly(), "after transferFrom a file channel");
  }

  @Test
  void transferFromAShortSourceTransfersWhatItHas() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(1000, 62);
    ReadableByteChannel src = Channels.newChannel(new ByteArrayInputStream(bytes));
    assertEquals(1000, ch.transferFrom(src, ZEROS_START - 10, 5000));
    expect(ZEROS_START - 10, bytes);
    assertEquals(0, ch.transferFrom(src, 0, 5000), "an exhausted source transfers nothing");
    assertEquals(0, ch.transferFrom(Channels.newChannel(new ByteArrayInputStream(bytes)), 0, 0),
        "a count of zero transfers nothing");
    assertDiskMatchesModel(ch, "after short transfers");
  }

  @Test
  void transferFromPastTheEndTransfersNothing() throws IOException {
    FileChannel ch = openReadWrite();
    ByteArrayInputStream in = new ByteArrayInputStream(randomBytes(SECTOR, 63));
    ReadableByteChannel src = Channels.newChannel(in);
    assertEquals(0, ch.transferFrom(src, LENGTH + 1L, SECTOR));
    assertEquals(0, ch.transferFrom(src, Long.MAX_VALUE - 1, SECTOR));
    assertEquals(SECTOR, in.available(), "nothing may be read from the source");
    assertEquals(LENGTH, ch.size());
    assertDiskMatchesModel(ch, "after transfers past the end");
  }

  @Test
  void transferFromCrossingTheEndGrowsTheFileOrWritesNothingPastIt() throws IOException {
    FileChannel ch = openReadWrite();
    byte[] bytes = randomBytes(300, 64);
    long at = LENGTH - 100;
    ReadableByteChannel src = Channels.newChannel(new ByteArrayInputStream(bytes));
    if (resizable()) {
      assertEquals(300, ch.transferFrom(src, at, 300));
      assertEquals(LENGTH + 200, ch.size());
      assertWritten(ch, at, bytes);
      return;
    }
    // A disk cannot grow. Either the transfer is refused like a write passing the end, or it
    // stops at the end; bytes past the end are never taken as written.
    long n;
    try {
      n = ch.transferFrom(src, at, 300);
    } catch (IOException refused) {
      n = 0;
    }
    assertTrue(n >= 0 && n <= 100, "transferFrom reported " + n + " bytes, only 100 fit");
    expect(at, Arrays.copyOf(bytes, (int) n));
    assertEquals(LENGTH, ch.size());
    assertDiskMatchesModel(ch, "after a transfer crossing the end");
  }

  @Test
  void transferFromWithNegativeArgumentsThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = openReadWrite();
    ReadableByteChannel src = Channels.newChannel(new ByteArrayInputStream(new byte[SECTOR]));
    assertAll(
        () -> assertThrows(IllegalArgumentException.class, () -> ch.transferFrom(src, -1, 10)),
        () -> assertThrows(IllegalArgumentException.class, () -> ch.transferFrom(src, 0, -1)));
    assertDiskMatchesModel(ch, "after refused transfers");
  }

  // ---------------------------------------------------------------- truncate

  @Test
  void truncateToTheSizeOrMoreChangesNothingButClampsThePosition() throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(LENGTH + 1000L);
    assertSame(ch, ch.truncate(LENGTH + 500L));
    assertEquals(LENGTH, ch.size());
    assertEquals(LENGTH + 500L, ch.position(), "truncate clamps a position beyond its argument");
    ch.truncate(LENGTH);
    assertEquals(LENGTH, ch.position());
    ch.position(100);
    ch.truncate(LENGTH);
    assertEquals(100, ch.position(), "a position below the argument stays");
    ch.truncate(Long.MAX_VALUE);
    assertEquals(100, ch.position());
    assertEquals(LENGTH, ch.size());
    assertDiskMatchesModel(ch, "after truncate to the size or more");
  }

  @Test
  void truncateBelowTheSizeCutsTheFileOrIsRefused() throws IOException {
    FileChannel ch = openReadWrite();
    ch.position(LENGTH - 10);
    long cut = ZEROS_START + 7;
    if (resizable()) {
      ch.truncate(cut);
      assertEquals(cut, ch.size());
      assertEquals(cut, ch.position());
      assertWindowEquals(ch, 0, Arrays.copyOf(model, (int) cut), "bytes kept by truncate");
    } else {
      assertThrows(IOException.class, () -> ch.truncate(cut), "truncate below the size of a disk");
      assertThrows(IOException.class, () -> ch.truncate(0), "truncate to zero");
      assertThrows(IOException.class, () -> ch.truncate(LENGTH - 1), "truncate by one byte");
      assertEquals(LENGTH, ch.size());
      assertEquals(LENGTH - 10, ch.position(), "a refused truncate must leave the position");
      assertDiskMatchesModel(ch, "after refused truncates");
    }
  }

  @Test
  void truncateOnAWriteOnlyChannelFollowsTheSameRules() throws IOException {
    FileChannel ch = openWriteOnly();
    ch.position(LENGTH + 10L);
    ch.truncate(LENGTH);
    assertEquals(LENGTH, ch.position());
    assertEquals(LENGTH, ch.size());
    assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
    assertDiskMatchesModel(openReadOnly(), "after truncate on a write-only channel");
  }

  // ---------------------------------------------------------------- open options

  @Test
  void writeOnlyChannelRefusesReadsWithNonReadableChannelException() throws IOException {
    FileChannel ch = openWriteOnly();
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    assertAll(
        () -> assertThrows(NonReadableChannelException.class, () -> ch.read(ByteBuffer.allocate(SECTOR))),
        () -> assertThrows(NonReadableChannelException.class, () -> ch.read(ByteBuffer.allocate(SECTOR), 0)),
        () -> assertThrows(NonReadableChannelException.class,
            () -> ch.read(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)})),
        () -> assertThrows(NonReadableChannelException.class,
            () -> ch.read(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)}, 0, 1)),
        () -> assertThrows(NonReadableChannelException.class,
            () -> ch.transferTo(0, SECTOR, Channels.newChannel(sink))),
        () -> assertThrows(NonReadableChannelException.class, () -> ch.lock(0, SECTOR, true)),
        () -> assertThrows(NonReadableChannelException.class, () -> ch.tryLock(0, SECTOR, true)));
    assertEquals(0, sink.size());
    assertEquals(0, ch.position());
    assertTrue(ch.isOpen());
  }

  @Test
  void exclusiveLocksOnWritableChannelsWork() throws IOException {
    FileChannel rw = openReadWrite();
    FileLock lock = rw.lock(0, SECTOR, false);
    assertTrue(lock.isValid());
    assertFalse(lock.isShared());
    lock.release();
    FileChannel wo = openWriteOnly();
    FileLock whole = wo.tryLock();
    assertNotNull(whole, "no one else holds a lock, so tryLock must succeed");
    assertFalse(whole.isShared());
    wo.close();
    assertFalse(whole.isValid(), "closing the channel releases its lock");
  }

  @Test
  void createOptionOpensTheExistingFileAndCreateNewIsRefused() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      assertEquals(LENGTH, ch.size(), "CREATE on an existing file keeps it");
    }
    assertThrows(FileAlreadyExistsException.class, () -> FileChannel.open(file,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close());
    assertStoredBytesMatchModel("after CREATE and CREATE_NEW opens");
  }

  @Test
  void appendWithReadOrTruncateIsIllegalAndAloneAppendsOrIsUnsupported() throws IOException {
    assertThrows(IllegalArgumentException.class, () -> FileChannel.open(file,
        StandardOpenOption.READ, StandardOpenOption.APPEND).close());
    assertThrows(IllegalArgumentException.class, () -> FileChannel.open(file,
        StandardOpenOption.APPEND, StandardOpenOption.TRUNCATE_EXISTING).close());
    byte[] bytes = randomBytes(100, 65);
    if (resizable()) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
        ch.position(0);
        assertEquals(100, ch.write(ByteBuffer.wrap(bytes)));
        assertEquals(LENGTH + 100, ch.size());
        assertEquals(LENGTH + 100, ch.position());
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        assertWritten(ch, LENGTH, bytes);
      }
    } else {
      assertThrows(UnsupportedOperationException.class, () -> FileChannel.open(file,
          StandardOpenOption.WRITE, StandardOpenOption.APPEND).close(), "APPEND on a disk");
      assertThrows(UnsupportedOperationException.class, () -> FileChannel.open(file,
          StandardOpenOption.APPEND).close(), "APPEND alone on a disk");
      assertStoredBytesMatchModel("after refused APPEND opens");
    }
  }

  @Test
  void truncateExistingEmptiesTheFileOrIsIgnored() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      assertEquals(resizable() ? 0 : LENGTH, ch.size());
    }
    if (!resizable()) {
      assertStoredBytesMatchModel("after a TRUNCATE_EXISTING open of a disk");
    }
  }

  @Test
  void newOutputStreamOverwritesFromTheStart() throws IOException {
    byte[] bytes = randomBytes(10_000, 66);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(bytes, 0, 4000);
      out.write(bytes, 4000, 6000);
    }
    if (resizable()) {
      assertArrayEquals(bytes, Files.readAllBytes(file));
    } else {
      expect(0, bytes);
      assertEquals(LENGTH, Files.size(file), "a disk keeps its size under newOutputStream");
      assertStoredBytesMatchModel("after newOutputStream");
    }
  }

  // ---------------------------------------------------------------- arguments and close

  @Test
  void nullArgumentsThrowNullPointerException() throws IOException {
    FileChannel ch = openReadWrite();
    assertAll(
        () -> assertThrows(NullPointerException.class, () -> ch.write((ByteBuffer) null)),
        () -> assertThrows(NullPointerException.class, () -> ch.write(null, 0)),
        () -> assertThrows(NullPointerException.class, () -> ch.write((ByteBuffer[]) null)),
        () -> assertThrows(NullPointerException.class,
            () -> ch.write(new ByteBuffer[] {ByteBuffer.allocate(1), null})),
        () -> assertThrows(NullPointerException.class, () -> ch.transferFrom(null, 0, 10)));
    assertEquals(0, ch.position());
    assertDiskMatchesModel(ch, "after writes with null arguments");
  }

  @Test
  void writesAfterCloseThrowClosedChannelExceptionAndWriteNothing() throws IOException {
    FileChannel ch = openReadWrite();
    ch.close();
    ByteBuffer src = ByteBuffer.wrap(randomBytes(SECTOR, 67));
    ReadableByteChannel from = Channels.newChannel(new ByteArrayInputStream(new byte[SECTOR]));
    assertAll(
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(src)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(src, 0)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(new ByteBuffer[] {src})),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(new ByteBuffer[] {src}, 0, 1)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.transferFrom(from, 0, SECTOR)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.truncate(LENGTH)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.force(true)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.position(0)),
        () -> assertThrowsExactly(ClosedChannelException.class, ch::size),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.lock(0, SECTOR, false)));
    assertEquals(SECTOR, src.remaining());
    assertStoredBytesMatchModel("after writes on a closed channel");
  }

  @Test
  void writesOfNothingAfterCloseThrowClosedChannelException() throws IOException {
    FileChannel ch = openWriteOnly();
    ch.close();
    // The closed check comes before looking at the buffers, even when they are empty.
    assertAll(
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(0))),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(0), 0)),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.write(new ByteBuffer[0])),
        () -> assertThrowsExactly(ClosedChannelException.class,
            () -> ch.write(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)}, 1, 0)));
  }

  @Test
  void closingAWriterLeavesOtherChannelsWorking() throws IOException {
    FileChannel writer = openReadWrite();
    FileChannel other = openReadWrite();
    byte[] a = randomBytes(5000, 68);
    writer.write(ByteBuffer.wrap(a), ZEROS_START + 77);
    expect(ZEROS_START + 77, a);
    writer.close();
    assertTrue(other.isOpen());
    byte[] b = randomBytes(5000, 69);
    assertEquals(5000, other.write(ByteBuffer.wrap(b), ZEROS_START + 10_077));
    expect(ZEROS_START + 10_077, b);
    assertDiskMatchesModel(other, "another channel after a writer closed");
  }

  // ---------------------------------------------------------------- interrupts

  @Test
  @Timeout(30)
  void writeWithInterruptStatusSetThrowsClosedByInterruptClosesTheChannelAndWritesNothing()
      throws Exception {
    checkWriteWithInterruptStatusSet(ch -> {
      ch.position(ZEROS_START - 100);
      return ch.write(ByteBuffer.wrap(randomBytes(SECTOR, 70)));
    });
  }

  @Test
  @Timeout(30)
  void positionalWriteWithInterruptStatusSetThrowsClosedByInterruptClosesTheChannelAndWritesNothing()
      throws Exception {
    checkWriteWithInterruptStatusSet(ch -> ch.write(ByteBuffer.wrap(randomBytes(4096, 71)), HOLE_START));
  }

  @Test
  @Timeout(30)
  void gatheringWriteWithInterruptStatusSetThrowsClosedByInterruptClosesTheChannelAndWritesNothing()
      throws Exception {
    checkWriteWithInterruptStatusSet(ch -> ch.write(new ByteBuffer[] {
        ByteBuffer.wrap(randomBytes(100, 72)), ByteBuffer.wrap(randomBytes(100, 73))}));
  }

  @Test
  @Timeout(30)
  void transferFromWithInterruptStatusSetThrowsClosedByInterruptClosesTheChannelAndWritesNothing()
      throws Exception {
    // A source that is not itself interruptible, so the interrupt meets the write.
    byte[] bytes = randomBytes(8192, 74);
    checkWriteWithInterruptStatusSet(ch -> ch.transferFrom(new ReadableByteChannel() {
      private int at;

      @Override
      public int read(ByteBuffer dst) {
        if (at >= bytes.length) {
          return -1;
        }
        int n = Math.min(dst.remaining(), bytes.length - at);
        dst.put(bytes, at, n);
        at += n;
        return n;
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    }, ZEROS_START - 4096, bytes.length));
  }

  private void checkWriteWithInterruptStatusSet(ChannelCall call) throws Exception {
    FileChannel bystander = openReadWrite();
    FileChannel ch = openReadWrite();
    ThreadOutcome outcome = inFreshThread(() -> {
      Thread.currentThread().interrupt();
      return call.apply(ch);
    });
    assertThrewInThread(ClosedByInterruptException.class, outcome);
    assertTrue(outcome.interruptedAfterwards, "the thread must keep its interrupt status");
    assertFalse(ch.isOpen(), "an interrupted write closes the channel");
    assertThrowsExactly(ClosedChannelException.class, () -> ch.write(ByteBuffer.allocate(1), 0));
    assertTrue(bystander.isOpen(), "an interrupt on one channel closed another");
    assertDiskMatchesModel(bystander, "a write begun with the interrupt status set wrote");
    byte[] after = randomBytes(3000, 75);
    assertEquals(3000, bystander.write(ByteBuffer.wrap(after), HOLE_START - 1500));
    expect(HOLE_START - 1500, after);
    assertDiskMatchesModel(bystander, "another channel writing after the interrupt");
  }

  /**
   * The interrupt lands at an arbitrary point of a loop of writes, usually inside one. The
   * writer ends with ClosedByInterruptException and a closed channel; every write it completed is
   * there, the interrupted one may be partly there, nothing else changed, and a channel opened
   * before keeps reading and writing.
   */
  @Test
  @Timeout(120)
  void interruptingAThreadThatLoopsWritingEndsItWithClosedByInterruptAndSparesOtherChannels()
      throws Exception {
    FileChannel bystander = openReadWrite();
    long[] regions = {HOLE_START - 100_000, ZEROS_START - 70_003, ZEROS_START + 500_007, 300_001,
        ZEROS_END - 200_000};
    int chunk = 48 * KIB + 1;
    int chunks = 4;
    for (int round = 0; round < regions.length; round++) {
      FileChannel ch = openReadWrite();
      long region = regions[round];
      byte pattern = (byte) (0xA1 + round);
      ByteBuffer src = ByteBuffer.allocate(chunk);
      Arrays.fill(src.array(), pattern);
      CountDownLatch writing = new CountDownLatch(1);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicBoolean interruptedAfterwards = new AtomicBoolean();
      AtomicLong completed = new AtomicLong();
      Thread writer = new Thread(() -> {
        try {
          for (long i = 0; ; i++) {
            long at = region + (i % chunks) * chunk;
            ch.write(src.clear(), at);
            completed.incrementAndGet();
            writing.countDown();
          }
        } catch (Throwable t) {
          thrown.set(t);
        }
        interruptedAfterwards.set(Thread.currentThread().isInterrupted());
      }, "interrupted-writer");
      writer.setDaemon(true);
      writer.start();
      assertTrue(writing.await(10, TimeUnit.SECONDS), "writer never completed a write");
      Thread.sleep(round % 3);
      Interrupts.interruptWithin(writer, 30_000);
      writer.join(10_000);
      String where = "round " + round;
      assertFalse(writer.isAlive(), "interrupted writer did not stop, " + where);
      assertInstanceOf(ClosedByInterruptException.class, thrown.get());
      assertTrue(interruptedAfterwards.get(), "the thread must keep its interrupt status, " + where);
      assertFalse(ch.isOpen(), "the writer got ClosedByInterruptException but its channel is still "
          + "open, " + where);
      assertTrue(bystander.isOpen(), "the interrupt closed another channel, " + where);

      byte[] now = readAll(bystander);
      long done = completed.get();
      long regionEnd = region + (long) chunks * chunk;
      for (int i = 0; i < LENGTH; i++) {
        if (i < region || i >= regionEnd) {
          if (now[i] != model[i]) {
            fail("byte " + i + " outside the written region changed, " + where);
          }
          continue;
        }
        long chunkIndex = (i - region) / chunk;
        boolean surelyWritten = done >= chunks || chunkIndex < done;
        if (surelyWritten ? now[i] != pattern : now[i] != pattern && now[i] != model[i]) {
          fail("byte " + i + " is " + now[i] + " after " + done + " completed writes of pattern "
              + pattern + " (was " + model[i] + "), " + where);
        }
      }
      model = now;
      // The bystander still writes, on this disk, after the interrupt.
      byte[] after = randomBytes(2000, 80 + round);
      long at = ZEROS_START + 1_000_000 + round * 3000L;
      assertEquals(2000, bystander.write(ByteBuffer.wrap(after), at), where);
      expect(at, after);
      assertDiskMatchesModel(bystander, "bystander after the interrupt, " + where);
    }
    assertStoredBytesMatchModel("after interrupted writers");
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  @Timeout(60)
  void asynchronousCloseEndsEveryWriterWithAsynchronousCloseOrClosedChannel(SeededRandom random)
      throws Exception {
    FileChannel ch = openReadWrite();
    long[] regions = {100_000, HOLE_START - 10_000, ZEROS_START - 10_000, 3L * MIB + 77};
    int regionLength = 64 * KIB;
    int writers = regions.length;
    // One count per writer, after its first write: the close must land while every thread loops.
    CountDownLatch everyoneWrote = new CountDownLatch(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers, Interrupts.DAEMON_THREADS);
    try {
      List<Future<Throwable>> endings = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        boolean relative = w == 0; // only one thread moves the position
        long region = regions[w];
        byte pattern = (byte) (0x31 + w);
        Random own = new Random(random.nextLong());
        endings.add(pool.submit(() -> {
          ByteBuffer src = own.nextBoolean() ? ByteBuffer.allocate(8 * KIB)
              : ByteBuffer.allocateDirect(8 * KIB);
          while (src.hasRemaining()) {
            src.put(pattern);
          }
          boolean arrived = false;
          try {
            while (true) {
              long at = region + own.nextInt(regionLength - 8 * KIB);
              if (relative) {
                ch.position(at);
                ch.write(src.clear());
              } else {
                ch.write(src.clear(), at);
              }
              if (!arrived) {
                arrived = true;
                everyoneWrote.countDown();
              }
            }
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      assertTrue(everyoneWrote.await(10, TimeUnit.SECONDS), "writers did not start");
      Thread.sleep(20);
      ch.close();
      assertEndedByClose(endings, "writer", random);
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
    }
    try (FileChannel after = FileChannel.open(file, StandardOpenOption.READ)) {
      byte[] now = readAll(after);
      for (int i = 0; i < LENGTH; i++) {
        byte allowed = -1;
        boolean inRegion = false;
        for (int w = 0; w < writers; w++) {
          if (i >= regions[w] && i < regions[w] + regionLength) {
            inRegion = true;
            allowed = (byte) (0x31 + w);
          }
        }
        if (now[i] != model[i] && !(inRegion && now[i] == allowed)) {
          fail("byte " + i + " is " + now[i] + ", expected " + model[i]
              + (inRegion ? " or " + allowed : "") + ", " + random);
        }
      }
      model = now;
    }
    assertStoredBytesMatchModel("after an asynchronous close of writers");
  }

  /**
   * Threads write interleaved stripes whose edges fall inside sectors, so neighbours share
   * sectors and every partial-sector read-modify-write races with another thread's write to the
   * same sector. Every byte of every stripe must land.
   */
  @Test
  @Timeout(120)
  void concurrentPositionalWritesToDisjointRangesAllLand(SeededRandom random) throws Exception {
    FileChannel ch = openReadWrite();
    int threads = 8;
    int stripe = 1000;
    long start = HOLE_START - 5000;
    int stripes = (int) ((ZEROS_START + 300_000 - start) / stripe);
    byte[] fresh = new byte[stripes * stripe];
    random.nextBytes(fresh);
    CyclicBarrier go = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads, Interrupts.DAEMON_THREADS);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Random own = new Random(random.nextLong());
        results.add(pool.submit(() -> {
          List<Integer> mine = new ArrayList<>();
          for (int s = thread; s < stripes; s += threads) {
            mine.add(s);
          }
          Collections.shuffle(mine, own);
          go.await();
          for (int s : mine) {
            byte[] bytes = Arrays.copyOfRange(fresh, s * stripe, (s + 1) * stripe);
            long at = start + (long) s * stripe;
            assertEquals(stripe, ch.write(anyBuffer(own, bytes), at), "stripe " + s);
            ByteBuffer back = ByteBuffer.allocate(stripe);
            assertEquals(stripe, ch.read(back, at));
            assertArrayEquals(bytes, back.array(),
                "a thread read back its own stripe " + s + " at " + at + ", " + random);
          }
          return mine.size();
        }));
      }
      int total = 0;
      for (Future<Integer> r : results) {
        total += getOrRethrow(r);
      }
      assertEquals(stripes, total);
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
    }
    expect(start, fresh);
    assertDiskMatchesModel(ch, "after concurrent disjoint writes, " + random);
    assertEquals(0, ch.position(), "positional writes must not move the position");
  }

  /** Relative writes are serialised: each lands once, end to end, and the position adds up. */
  @Test
  @Timeout(120)
  void concurrentRelativeWritesEachLandExactlyOnce() throws Exception {
    FileChannel ch = openReadWrite();
    int threads = 8;
    int perThread = 400;
    long start = HOLE_START - 3 * SECTOR - 100; // unaligned: every write covers two partial sectors
    ch.position(start);
    CyclicBarrier go = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads, Interrupts.DAEMON_THREADS);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < perThread; i++) {
            int id = thread * perThread + i + 1;
            assertEquals(SECTOR, ch.write(ByteBuffer.wrap(stampedSector(id))));
          }
          return perThread;
        }));
      }
      for (Future<Integer> r : results) {
        assertEquals(perThread, getOrRethrow(r));
      }
    } finally {
      pool.shutdown(); // never interrupt: see Interrupts
    }
    int writes = threads * perThread;
    assertEquals(start + (long) writes * SECTOR, ch.position());
    Set<Integer> seen = new HashSet<>();
    ByteBuffer slot = ByteBuffer.allocate(SECTOR);
    for (int k = 0; k < writes; k++) {
      long at = start + (long) k * SECTOR;
      assertEquals(SECTOR, ch.read(slot.clear(), at));
      int id = slot.getInt(0);
      assertTrue(id >= 1 && id <= writes, "slot " + k + " at " + at + " holds no write (" + id + ")");
      assertTrue(seen.add(id), "write " + id + " landed twice");
      assertArrayEquals(stampedSector(id), slot.array(), "bytes of write " + id + " at " + at);
      expect(at, slot.array());
    }
    assertDiskMatchesModel(ch, "after concurrent relative writes");
  }

  // ---------------------------------------------------------------- random sequences

  /**
   * A long random mix of every write and read operation against a model of the bytes and the
   * position: catches bookkeeping that one-operation tests miss.
   */
  @Test
  @Timeout(120)
  void randomOperationSequenceMatchesModel(SeededRandom random) throws IOException {
    FileChannel ch = openReadWrite();
    long position = 0;
    for (int i = 0; i < 400; i++) {
      String where = random + ", operation " + i + ", model position " + position;
      switch (random.nextInt(11)) {
        case 0 -> {
          long target = random.nextInt(10) == 0 ? LENGTH + (long) random.nextInt(5000)
              : randomOffset(random);
          assertSame(ch, ch.position(target));
          position = target;
        }
        case 1, 2 -> {
          int length = (int) Math.max(0, Math.min(randomLength(random), LENGTH - position));
          byte[] bytes = randomBytes(length, random.nextLong());
          ByteBuffer src = anyBuffer(random, bytes);
          assertEquals(length, ch.write(src), "relative write, " + where);
          assertFalse(src.hasRemaining(), where);
          if (length > 0) {
            expect(position, bytes);
            position += length;
          }
        }
        case 3 -> {
          int length = randomLength(random);
          long at = Math.max(0, Math.min(randomOffset(random), LENGTH - length));
          byte[] bytes = randomBytes(length, random.nextLong());
          assertEquals(length, ch.write(anyBuffer(random, bytes), at), "positional write, " + where);
          expect(at, bytes);
        }
        case 4 -> {
          ByteBuffer[] srcs = new ByteBuffer[1 + random.nextInt(4)];
          ByteArrayOutputStream all = new ByteArrayOutputStream();
          for (int k = 0; k < srcs.length; k++) {
            byte[] bytes = randomBytes(random.nextInt(70_000), random.nextLong());
            srcs[k] = anyBuffer(random, bytes);
            all.writeBytes(bytes);
          }
          if (position + all.size() > LENGTH) {
            continue;
          }
          assertEquals(all.size(), ch.write(srcs), "gathering write, " + where);
          expect(position, all.toByteArray());
          position += all.size();
        }
        case 5 -> {
          int length = randomLength(random);
          long at = Math.max(0, Math.min(randomOffset(random), LENGTH - length));
          byte[] bytes = randomBytes(length, random.nextLong());
          assertEquals(length, ch.transferFrom(Channels.newChannel(new ByteArrayInputStream(bytes)),
              at, length), "transferFrom, " + where);
          expect(at, bytes);
        }
        case 6 -> {
          int length = randomLength(random);
          long at = Math.max(0, Math.min(randomOffset(random), LENGTH - length));
          assertEquals(length, ch.write(ByteBuffer.allocate(length), at), "zero write, " + where);
          expect(at, new byte[length]);
        }
        case 7 -> {
          ByteBuffer dst = ByteBuffer.allocate(1 + random.nextInt(100_000));
          int n = ch.read(dst);
          if (position >= LENGTH) {
            assertEquals(-1, n, "relative read at the end, " + where);
          } else {
            int expected = (int) Math.min(dst.capacity(), LENGTH - position);
            assertEquals(expected, n, "relative read count, " + where);
            assertArrayEquals(Arrays.copyOfRange(model, (int) position, (int) position + n),
                Arrays.copyOf(dst.array(), n), "relative read bytes, " + where);
            position += n;
          }
        }
        case 8 -> {
          long at = randomOffset(random);
          int length = 1 + random.nextInt(300_000);
          assertWindowMatchesModel(ch, at, length, "positional read, " + where);
        }
        case 9 -> ch.force(random.nextBoolean());
        default -> assertEquals(LENGTH, ch.size(), where);
      }
      assertEquals(position, ch.position(), "channel position, " + where);
    }
    assertDiskMatchesModel(ch, "after the random sequence, " + random);
    ch.close();
    assertStoredBytesMatchModel("after the random sequence, " + random);
  }

  // ---------------------------------------------------------------- helpers

  /** Sets the expected bytes at {@code at}. */
  private void expect(long at, byte[] bytes) {
    System.arraycopy(bytes, 0, model, (int) at, bytes.length);
  }

  /** Deterministic pseudo-random bytes. */
  static byte[] randomBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** A sector whose first four bytes are {@code id} and whose rest follows from it. */
  private static byte[] stampedSector(int id) {
    byte[] bytes = randomBytes(SECTOR, id * 7919L);
    ByteBuffer.wrap(bytes).putInt(0, id);
    return bytes;
  }

  /** A source buffer holding exactly {@code bytes} between position and limit, of any kind. */
  static ByteBuffer anyBuffer(Random random, byte[] bytes) {
    switch (random.nextInt(5)) {
      case 0:
        return ByteBuffer.wrap(bytes);
      case 1:
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
      case 2:
        return heapSlice(bytes, random);
      case 3: {
        ByteBuffer d = ByteBuffer.allocateDirect(bytes.length + 64);
        d.position(32);
        d.put(bytes);
        return d.position(32).limit(32 + bytes.length).slice();
      }
      default:
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
    }
  }

  /** A heap buffer with a non-zero array offset and a non-zero position over {@code bytes}. */
  private static ByteBuffer heapSlice(byte[] bytes, Random random) {
    int front = 1 + random.nextInt(20);
    byte[] backing = new byte[bytes.length + front + 10 + 7];
    random.nextBytes(backing);
    System.arraycopy(bytes, 0, backing, front + 7, bytes.length);
    ByteBuffer slice = ByteBuffer.wrap(backing, front, bytes.length + 7 + 5).slice();
    return slice.position(7).limit(7 + bytes.length);
  }

  private static int randomLength(Random random) {
    int kind = random.nextInt(20);
    if (kind < 10) {
      return 1 + random.nextInt(2 * SECTOR);
    }
    if (kind < 17) {
      return 1 + random.nextInt(70_000);
    }
    return 1 + random.nextInt(700_000);
  }

  /** Offsets biased towards the places implementations get wrong. */
  private static long randomOffset(Random random) {
    long[] edges = {HOLE_START, HOLE_END, ZEROS_START, ZEROS_END, LENGTH};
    switch (random.nextInt(5)) {
      case 0:
        return (long) random.nextInt(LENGTH / SECTOR) * SECTOR;
      case 1:
        return Math.max(0, edges[random.nextInt(edges.length)] - random.nextInt(4 * SECTOR));
      case 2:
        return Math.min(LENGTH - 1, edges[random.nextInt(edges.length - 1)] + random.nextInt(4 * SECTOR));
      default:
        return random.nextInt(LENGTH);
    }
  }

  private static byte[] readAll(FileChannel ch) throws IOException {
    long size = ch.size();
    assertEquals(LENGTH, size, "size");
    ByteBuffer all = ByteBuffer.allocate(LENGTH);
    long at = 0;
    while (all.hasRemaining()) {
      int n = ch.read(all, at);
      assertTrue(n > 0, "file ended early at " + at);
      at += n;
    }
    return all.array();
  }

  private void assertDiskMatchesModel(FileChannel ch, String where) throws IOException {
    assertEquals(LENGTH, ch.size(), "size, " + where);
    assertSameAsModel(readAll(ch), 0, where);
  }

  private void assertSameAsModel(byte[] actual, long from, String where) {
    int mismatch = Arrays.mismatch(Arrays.copyOfRange(model, (int) from, (int) from + actual.length),
        actual);
    if (mismatch >= 0) {
      long at = from + mismatch;
      fail("byte " + at + " (" + region(at) + ") is " + actual[mismatch] + ", expected "
          + model[(int) at] + ", " + where);
    }
  }

  private static String region(long at) {
    if (at >= HOLE_START && at < HOLE_END) {
      return "in the hole of block 0";
    }
    if (at >= ZEROS_START && at < ZEROS_END) {
      return "in the zero block";
    }
    return at < ZEROS_START ? "in block 0" : "in the last block";
  }

  /** Reads {@code [at, at+length)}, clipped to the file, and compares it with the model. */
  private void assertWindowMatchesModel(FileChannel ch, long at, int length, String where)
      throws IOException {
    long from = Math.max(0, at);
    long to = Math.min(LENGTH, at + length);
    if (from >= to) {
      return;
    }
    ByteBuffer dst = ByteBuffer.allocate((int) (to - from));
    while (dst.hasRemaining()) {
      int n = ch.read(dst, from + dst.position());
      assertTrue(n > 0, "file ended early at " + (from + dst.position()) + ", " + where);
    }
    assertSameAsModel(dst.array(), from, where);
  }

  private static void assertWindowEquals(FileChannel ch, long at, byte[] expected, String where)
      throws IOException {
    ByteBuffer dst = ByteBuffer.allocate(expected.length);
    while (dst.hasRemaining()) {
      int n = ch.read(dst, at + dst.position());
      assertTrue(n > 0, "file ended early at " + (at + dst.position()) + ", " + where);
    }
    assertArrayEquals(expected, dst.array(), where);
  }

  /** Checks bytes written at or past the old end of a resizable file. */
  private static void assertWritten(FileChannel ch, long at, byte[] bytes) throws IOException {
    assertWindowEquals(ch, at, bytes, "bytes written at " + at);
  }

  private void assertRefusedWriteChangedNothing(FileChannel ch, ByteBuffer src, int remaining,
      long position) throws IOException {
    assertTrue(ch.isOpen(), "a refused write must not close the channel");
    assertEquals(remaining, src.remaining(), "a refused write consumed its buffer");
    assertEquals(position, ch.position(), "a refused write moved the position");
    assertEquals(LENGTH, ch.size(), "a refused write changed the size");
    assertDiskMatchesModel(ch, "after a refused write");
  }

  /** With every channel of this test closed, a new channel and the subclass see the model. */
  private void assertStoredBytesMatchModel(String where) throws IOException {
    for (FileChannel ch : opened) {
      ch.close();
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      assertDiskMatchesModel(ch, "a new channel, " + where);
    }
    checkStoredBytes(file, model.clone());
  }

  /** A channel operation that may throw. */
  @FunctionalInterface
  private interface ChannelCall {
    Object apply(FileChannel ch) throws IOException;
  }
}
