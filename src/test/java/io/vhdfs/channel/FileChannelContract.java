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

import io.vhdfs.channel.ThreadCalls.ThreadOutcome;
import io.vhdfs.testing.SeedExtension;
import io.vhdfs.testing.SeedExtension.SeededRandom;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read side of the {@link FileChannel} contract (nio-provider-notes.md §6), written once.
 *
 * <p>Subclasses supply a read-only channel over given bytes. {@code RawFileChannelContractTest}
 * runs every test against the JDK's own channel first, so a test that fails for a VHD channel
 * but passes there points at the library, not at the test. Where the JDK and a VHD channel are
 * allowed to differ (only {@code map}), a hook method says which behaviour to expect.
 */
@ExtendWith(SeedExtension.class)
public abstract class FileChannelContract {
  protected static final int SECTOR = 512;
  private static final int MIB = 1 << 20;

  /** Scratch space for targets of transferTo; subclasses may put their fixtures here too. */
  @TempDir protected Path tempDir;

  private final List<FileChannel> opened = new ArrayList<>();
  private byte[] content;

  /**
   * Opens a read-only channel whose bytes are exactly {@code content}.
   *
   * @param content the bytes to expose; its length is {@link #contentLength()}
   */
  protected abstract FileChannel openReadOnly(byte[] content) throws IOException;

  /**
   * Whether {@code map(READ_ONLY, ...)} is supported. The JDK maps files; the vhd channel throws
   * {@link UnsupportedOperationException}, as DESIGN.md documents.
   */
  protected boolean supportsMap() {
    return true;
  }

  /**
   * Length of the content the tests use: a multiple of 512 and at least {@link #MIN_CONTENT}.
   * The default spans more than two 2 MiB VHD blocks and ends inside a block, so reads cross
   * block boundaries and meet a partial last block.
   */
  protected int contentLength() {
    return 5 * MIB + 3 * SECTOR;
  }

  /** Some tests read around the 2 MiB mark and a megabyte past it. */
  protected static final int MIN_CONTENT = 4 * MIB;

  @BeforeEach
  final void makeContent() {
    int length = contentLength();
    if (length < MIN_CONTENT || length % SECTOR != 0) {
      throw new IllegalStateException("contentLength must be a multiple of 512 of at least "
          + MIN_CONTENT + ": " + length);
    }
    content = sectorStampedBytes(length);
  }

  @AfterEach
  final void closeOpened() throws IOException {
    for (FileChannel ch : opened) {
      ch.close();
    }
  }

  /** The bytes every channel in this test shows. */
  protected final byte[] content() {
    return content;
  }

  private FileChannel open() throws IOException {
    FileChannel ch = openReadOnly(content);
    opened.add(ch);
    return ch;
  }

  // ---------------------------------------------------------------- size and position basics

  @Test
  void sizeIsContentLength() throws IOException {
    assertEquals(content.length, open().size());
  }

  @Test
  void newChannelStartsAtPositionZero() throws IOException {
    assertEquals(0, open().position());
  }

  @Test
  void newChannelIsOpen() throws IOException {
    assertTrue(open().isOpen());
  }

  @Test
  void positionPastEndIsKeptAndSizeUnchanged() throws IOException {
    FileChannel ch = open();
    long far = content.length + 12_345L;
    assertSame(ch, ch.position(far));
    assertEquals(far, ch.position());
    assertEquals(content.length, ch.size());
    assertEquals(-1, ch.read(ByteBuffer.allocate(100)));
    assertEquals(far, ch.position(), "a read at EOF must not move the position");
    assertEquals(content.length, ch.size());
  }

  @Test
  void negativePositionThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    ch.position(1024);
    assertThrows(IllegalArgumentException.class, () -> ch.position(-1));
    assertEquals(1024, ch.position(), "a rejected position must leave the old one");
  }

  // ---------------------------------------------------------------- relative reads

  @Test
  void sequentialReadsReturnContentAndAdvancePosition() throws IOException {
    FileChannel ch = open();
    // An odd chunk size so chunks straddle sector and block boundaries.
    ByteBuffer chunk = ByteBuffer.allocate(100_003);
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    long expectedPosition = 0;
    int n;
    while ((n = ch.read(chunk.clear())) != -1) {
      assertTrue(n > 0, "a read into a non-empty buffer before EOF returned " + n);
      expectedPosition += n;
      assertEquals(expectedPosition, ch.position());
      seen.write(chunk.array(), 0, n);
    }
    assertArrayEquals(content, seen.toByteArray());
  }

  @Test
  void readAtEndReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    ch.position(content.length);
    assertEquals(-1, ch.read(ByteBuffer.allocate(SECTOR)));
    assertEquals(content.length, ch.position());
  }

  @Test
  void readPastEndReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    ch.position(content.length + 1L);
    assertEquals(-1, ch.read(ByteBuffer.allocate(SECTOR)));
  }

  @Test
  void readFarPastEndReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    // Far enough to catch int truncation of positions; Long.MAX_VALUE itself is refused by
    // lseek on Linux (EINVAL), so the JDK cannot serve as reference for it.
    long far = content.length + (1L << 40);
    ch.position(far);
    assertEquals(-1, ch.read(ByteBuffer.allocate(SECTOR)));
    assertEquals(far, ch.position());
  }

  @Test
  void readAfterWholeContentReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    ByteBuffer all = ByteBuffer.allocate(content.length);
    readFully(ch, all);
    assertEquals(-1, ch.read(ByteBuffer.allocate(1)));
  }

  @Test
  void readNearEndReturnsOnlyTheRemainder() throws IOException {
    FileChannel ch = open();
    int tail = 700;
    ch.position(content.length - tail);
    ByteBuffer dst = ByteBuffer.allocate(4096);
    assertEquals(tail, ch.read(dst));
    assertEquals(content.length, ch.position());
    assertArrayEquals(Arrays.copyOfRange(content, content.length - tail, content.length),
        Arrays.copyOf(dst.array(), tail));
    assertEquals(-1, ch.read(dst.clear()));
  }

  @Test
  void readIntoEmptyBufferReturnsZero() throws IOException {
    FileChannel ch = open();
    ch.position(SECTOR);
    assertEquals(0, ch.read(ByteBuffer.allocate(0)));
    ByteBuffer full = ByteBuffer.allocate(16);
    full.position(16);
    assertEquals(0, ch.read(full));
    assertEquals(SECTOR, ch.position());
  }

  @Test
  void readIntoEmptyBufferAtEndReturnsZero() throws IOException {
    FileChannel ch = open();
    ch.position(content.length);
    assertEquals(0, ch.read(ByteBuffer.allocate(0)));
    ch.position(content.length + 4096L);
    assertEquals(0, ch.read(ByteBuffer.allocate(0)));
  }

  @Test
  void readIntoReadOnlyBufferThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    ByteBuffer readOnly = ByteBuffer.allocate(SECTOR).asReadOnlyBuffer();
    assertThrows(IllegalArgumentException.class, () -> ch.read(readOnly));
    assertEquals(0, ch.position());
  }

  @Test
  void nullArgumentsThrowNullPointerException() throws IOException {
    FileChannel ch = open();
    assertAll(
        () -> assertThrows(NullPointerException.class, () -> ch.read((ByteBuffer) null)),
        () -> assertThrows(NullPointerException.class, () -> ch.read(null, 0)),
        () -> assertThrows(NullPointerException.class, () -> ch.read((ByteBuffer[]) null)),
        () -> assertThrows(NullPointerException.class, () -> ch.transferTo(0, 10, null)));
    assertEquals(0, ch.position());
  }

  @Test
  void readWithLargeHeapBufferFillsWholeContentInOneCall() throws IOException {
    FileChannel ch = open();
    ByteBuffer dst = ByteBuffer.allocate(content.length + 4096);
    assertEquals(content.length, ch.read(dst), "one read must fill the buffer as far as data allows");
    assertArrayEquals(content, Arrays.copyOf(dst.array(), content.length));
    assertEquals(content.length, ch.position());
  }

  @Test
  void readWithLargeDirectBufferFillsWholeContentInOneCall() throws IOException {
    FileChannel ch = open();
    ByteBuffer dst = ByteBuffer.allocateDirect(content.length + 4096);
    assertEquals(content.length, ch.read(dst), "one read must fill the buffer as far as data allows");
    assertArrayEquals(content, bytesOf(dst.flip()));
    assertEquals(content.length, ch.position());
  }

  @Test
  void readFillsOnlyBetweenBufferPositionAndLimit() throws IOException {
    FileChannel ch = open();
    byte[] backing = new byte[8192];
    Arrays.fill(backing, (byte) 0x5A);
    // A slice has a non-zero array offset: implementations that copy into array() directly
    // without arrayOffset() write to the wrong place.
    ByteBuffer dst = ByteBuffer.wrap(backing, 1000, 5000).slice();
    dst.position(100).limit(1100);
    ch.position(3 * SECTOR + 7);
    assertEquals(1000, ch.read(dst));
    assertEquals(1100, dst.position());
    assertEquals(1100, dst.limit());
    for (int i = 0; i < backing.length; i++) {
      byte expected = i >= 1100 && i < 2100 ? content[3 * SECTOR + 7 + i - 1100] : (byte) 0x5A;
      assertEquals(expected, backing[i], "byte " + i + " of the backing array");
    }
  }

  // ---------------------------------------------------------------- positional reads

  @Test
  void positionalReadReturnsContentAtThatOffset() throws IOException {
    FileChannel ch = open();
    long at = 2L * MIB - 3 * SECTOR; // across the first 2 MiB block boundary
    ByteBuffer dst = ByteBuffer.allocate(8 * SECTOR);
    assertEquals(8 * SECTOR, ch.read(dst, at));
    assertArrayEquals(Arrays.copyOfRange(content, (int) at, (int) at + 8 * SECTOR), dst.array());
  }

  @Test
  void positionalReadDoesNotMovePosition() throws IOException {
    FileChannel ch = open();
    ch.position(777);
    ch.read(ByteBuffer.allocate(4096), 100_000);
    assertEquals(777, ch.position());
    ch.read(ByteBuffer.allocate(4096), content.length + 10L);
    assertEquals(777, ch.position());
  }

  @Test
  void positionalReadAtEndReturnsMinusOne() throws IOException {
    assertEquals(-1, open().read(ByteBuffer.allocate(SECTOR), content.length));
  }

  @Test
  void positionalReadPastEndReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    assertEquals(-1, ch.read(ByteBuffer.allocate(SECTOR), content.length + 1L));
    assertEquals(-1, ch.read(ByteBuffer.allocate(SECTOR), content.length + (1L << 40)));
  }

  @Test
  void positionalReadNearEndReturnsOnlyTheRemainder() throws IOException {
    FileChannel ch = open();
    ByteBuffer dst = ByteBuffer.allocate(3 * SECTOR);
    assertEquals(SECTOR + 1, ch.read(dst, content.length - SECTOR - 1L));
    assertArrayEquals(Arrays.copyOfRange(content, content.length - SECTOR - 1, content.length),
        Arrays.copyOf(dst.array(), SECTOR + 1));
  }

  @Test
  void positionalReadIntoEmptyBufferReturnsZeroEvenAtEnd() throws IOException {
    FileChannel ch = open();
    assertEquals(0, ch.read(ByteBuffer.allocate(0), 0));
    assertEquals(0, ch.read(ByteBuffer.allocate(0), content.length));
    assertEquals(0, ch.read(ByteBuffer.allocate(0), content.length + 4096L));
  }

  @Test
  void positionalReadAtNegativePositionThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    assertThrows(IllegalArgumentException.class, () -> ch.read(ByteBuffer.allocate(1), -1));
  }

  @Test
  void positionalReadIntoReadOnlyBufferThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    ByteBuffer readOnly = ByteBuffer.allocate(SECTOR).asReadOnlyBuffer();
    assertThrows(IllegalArgumentException.class, () -> ch.read(readOnly, 0));
  }

  @Test
  void positionalReadsAtRandomOffsetsReturnContent(SeededRandom random) throws IOException {
    FileChannel ch = open();
    for (int i = 0; i < 300; i++) {
      long at = randomOffset(random);
      int length = 1 + random.nextInt(random.nextBoolean() ? 2 * SECTOR : 3 * MIB);
      ByteBuffer dst = random.nextBoolean() ? ByteBuffer.allocate(length)
          : ByteBuffer.allocateDirect(length);
      checkPositionalRead(ch, dst, at, random + ", read " + i);
    }
  }

  /**
   * A long random mix of every read operation against a model that knows only the content and
   * the position: catches position bookkeeping that one-operation tests miss (a relative read
   * after a positional one, a scattering read after a seek past the end, ...).
   */
  @Test
  void randomOperationSequenceMatchesModel(SeededRandom random) throws IOException {
    FileChannel ch = open();
    long position = 0;
    for (int i = 0; i < 600; i++) {
      String where = random + ", operation " + i + ", model position " + position;
      switch (random.nextInt(6)) {
        case 0 -> {
          long target = random.nextInt(8) == 0 ? content.length + (long) random.nextInt(5000)
              : random.nextInt(content.length);
          assertSame(ch, ch.position(target));
          position = target;
        }
        case 1 -> {
          ByteBuffer dst = buffer(random, 1 + random.nextInt(random.nextBoolean() ? 3000 : MIB));
          int n = ch.read(dst);
          position = checkRelativeRead(dst, n, position, where);
        }
        case 2 -> {
          long at = randomOffset(random);
          ByteBuffer dst = buffer(random, 1 + random.nextInt(300_000));
          checkPositionalRead(ch, dst, at, where);
        }
        case 3 -> {
          ByteBuffer[] dsts = new ByteBuffer[1 + random.nextInt(4)];
          for (int k = 0; k < dsts.length; k++) {
            dsts[k] = buffer(random, random.nextInt(70_000));
          }
          long n = ch.read(dsts);
          long remaining = Arrays.stream(dsts).mapToLong(ByteBuffer::remaining).sum()
              + (n > 0 ? n : 0);
          long expected = position >= content.length ? (remaining == 0 ? 0 : -1)
              : Math.min(remaining, content.length - position);
          assertEquals(expected, n, "scattering read count, " + where);
          ByteArrayOutputStream got = new ByteArrayOutputStream();
          for (ByteBuffer d : dsts) {
            got.writeBytes(bytesOf(d.flip()));
          }
          if (n > 0) {
            assertArrayEquals(Arrays.copyOfRange(content, (int) position, (int) (position + n)),
                got.toByteArray(), "scattering read bytes, " + where);
            position += n;
          }
        }
        case 4 -> {
          long from = randomOffset(random);
          long count = random.nextInt(200_000);
          ByteArrayOutputStream sink = new ByteArrayOutputStream();
          long n = ch.transferTo(from, count, Channels.newChannel(sink));
          long expected = from >= content.length ? 0 : Math.min(count, content.length - from);
          // transferTo may stop short; what it did move must be right.
          assertTrue(n <= expected && (n > 0 || expected == 0), "transferTo count " + n
              + " of " + expected + ", " + where);
          assertEquals(n, sink.size());
          if (n > 0) {
            assertArrayEquals(Arrays.copyOfRange(content, (int) from, (int) (from + n)),
                sink.toByteArray(), "transferTo bytes, " + where);
          }
        }
        default -> assertEquals(content.length, ch.size(), where);
      }
      assertEquals(position, ch.position(), "channel position, " + where);
    }
  }

  private long checkRelativeRead(ByteBuffer dst, int n, long position, String where) {
    if (position >= content.length) {
      assertEquals(-1, n, "relative read at or past the end, " + where);
      return position;
    }
    int expected = (int) Math.min(dst.capacity(), content.length - position);
    assertEquals(expected, n, "relative read count, " + where);
    assertSameBytes(dst.flip(), position, n, where);
    return position + n;
  }

  private static ByteBuffer buffer(Random random, int capacity) {
    return random.nextBoolean() ? ByteBuffer.allocate(capacity) : ByteBuffer.allocateDirect(capacity);
  }

  // ---------------------------------------------------------------- scattering reads

  @Test
  void scatteringReadFillsBuffersInOrderAcrossWholeContent() throws IOException {
    FileChannel ch = open();
    ByteBuffer untouchedBefore = ByteBuffer.allocate(10);
    ByteBuffer a = ByteBuffer.allocate(1000);
    ByteBuffer b = ByteBuffer.allocateDirect(3 * MIB + 11);
    ByteBuffer c = ByteBuffer.allocate(content.length); // more than what is left
    ByteBuffer untouchedAfter = ByteBuffer.allocate(10);
    ByteBuffer[] dsts = {untouchedBefore, a, b, c, untouchedAfter};
    assertEquals(content.length, ch.read(dsts, 1, 3), "one scattering read must fill as far as data allows");
    assertEquals(0, untouchedBefore.position());
    assertEquals(0, untouchedAfter.position());
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(bytesOf(a.flip()));
    all.writeBytes(bytesOf(b.flip()));
    all.writeBytes(bytesOf(c.flip()));
    assertArrayEquals(content, all.toByteArray());
    assertEquals(content.length, ch.position());
    assertEquals(-1, ch.read(new ByteBuffer[] {ByteBuffer.allocate(10)}));
  }

  @Test
  void scatteringReadStartsAtPositionAndAdvancesIt() throws IOException {
    FileChannel ch = open();
    ch.position(2L * MIB - 100);
    ByteBuffer a = ByteBuffer.allocate(60);
    ByteBuffer b = ByteBuffer.allocate(SECTOR);
    assertEquals(60 + SECTOR, ch.read(new ByteBuffer[] {a, b}));
    assertEquals(2L * MIB - 100 + 60 + SECTOR, ch.position());
    int from = 2 * MIB - 100;
    assertArrayEquals(Arrays.copyOfRange(content, from, from + 60), a.array());
    assertArrayEquals(Arrays.copyOfRange(content, from + 60, from + 60 + SECTOR), b.array());
  }

  @Test
  void scatteringReadAtEndReturnsMinusOne() throws IOException {
    FileChannel ch = open();
    ch.position(content.length + 5L);
    assertEquals(-1, ch.read(new ByteBuffer[] {ByteBuffer.allocate(8), ByteBuffer.allocate(8)}, 0, 2));
  }

  @Test
  void scatteringReadIntoEmptyBuffersReturnsZero() throws IOException {
    FileChannel ch = open();
    assertEquals(0, ch.read(new ByteBuffer[] {ByteBuffer.allocate(0), ByteBuffer.allocate(0)}));
    assertEquals(0, ch.read(new ByteBuffer[] {ByteBuffer.allocate(8)}, 1, 0));
  }

  @Test
  void scatteringReadWithBadOffsetOrLengthThrowsIndexOutOfBounds() throws IOException {
    FileChannel ch = open();
    ByteBuffer[] dsts = {ByteBuffer.allocate(8), ByteBuffer.allocate(8)};
    assertAll(
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.read(dsts, -1, 1)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.read(dsts, 0, 3)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.read(dsts, 2, 1)),
        () -> assertThrows(IndexOutOfBoundsException.class, () -> ch.read(dsts, 1, -1)));
    assertEquals(0, ch.position());
  }

  @Test
  void scatteringReadIntoReadOnlyBufferThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    ByteBuffer[] dsts = {ByteBuffer.allocate(8), ByteBuffer.allocate(8).asReadOnlyBuffer()};
    assertThrows(IllegalArgumentException.class, () -> ch.read(dsts));
  }

  // ---------------------------------------------------------------- writing is refused

  @Test
  void writeOnReadOnlyChannelThrowsNonWritableChannelException() throws IOException {
    FileChannel ch = open();
    assertAll(
        () -> assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(SECTOR))),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.write(ByteBuffer.allocate(SECTOR), 0)),
        () -> assertThrows(NonWritableChannelException.class,
            () -> ch.write(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)})),
        () -> assertThrows(NonWritableChannelException.class,
            () -> ch.write(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)}, 0, 1)));
    assertContentUnchanged(ch);
  }

  @Test
  void truncateOnReadOnlyChannelThrowsNonWritableChannelException() throws IOException {
    FileChannel ch = open();
    assertAll(
        () -> assertThrows(NonWritableChannelException.class, () -> ch.truncate(0)),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.truncate(SECTOR)),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.truncate(content.length)),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.truncate(content.length + 1L)));
    assertEquals(content.length, ch.size());
  }

  @Test
  void truncateWithNegativeSizeThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    assertThrows(IllegalArgumentException.class, () -> ch.truncate(-1));
  }

  @Test
  void transferFromOnReadOnlyChannelThrowsNonWritableChannelException() throws IOException {
    FileChannel ch = open();
    var src = Channels.newChannel(new ByteArrayInputStream(new byte[SECTOR]));
    assertThrows(NonWritableChannelException.class, () -> ch.transferFrom(src, 0, SECTOR));
    assertContentUnchanged(ch);
  }

  @Test
  void forceOnReadOnlyChannelIsAllowed() throws IOException {
    FileChannel ch = open();
    ch.force(false);
    ch.force(true);
    assertTrue(ch.isOpen());
  }

  // ---------------------------------------------------------------- map

  @Test
  void mapReadOnlyMapsContentOrIsUnsupported() throws IOException {
    FileChannel ch = open();
    if (supportsMap()) {
      MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, SECTOR, 4096);
      assertArrayEquals(Arrays.copyOfRange(content, SECTOR, SECTOR + 4096), bytesOf(mapped));
      assertThrows(NonWritableChannelException.class,
          () -> ch.map(FileChannel.MapMode.READ_WRITE, 0, SECTOR));
    } else {
      assertThrows(UnsupportedOperationException.class,
          () -> ch.map(FileChannel.MapMode.READ_ONLY, 0, SECTOR));
    }
  }

  // ---------------------------------------------------------------- transferTo

  @Test
  void transferToWritableByteChannelCopiesBytesAndKeepsPosition() throws IOException {
    FileChannel ch = open();
    ch.position(3 * SECTOR);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    long from = 1000;
    long copied = transferAll(ch, from, content.length, Channels.newChannel(sink));
    assertEquals(content.length - from, copied);
    assertArrayEquals(Arrays.copyOfRange(content, (int) from, content.length), sink.toByteArray());
    assertEquals(3 * SECTOR, ch.position());
  }

  @Test
  void transferToFileChannelCopiesBytesAndKeepsPosition() throws IOException {
    FileChannel ch = open();
    ch.position(12_345);
    Path target = tempDir.resolve("transfer-target.bin");
    long from = 2L * MIB - 7;
    long count = 1L * MIB + 13;
    try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      assertEquals(count, transferAll(ch, from, count, out));
    }
    assertArrayEquals(Arrays.copyOfRange(content, (int) from, (int) (from + count)),
        Files.readAllBytes(target));
    assertEquals(12_345, ch.position());
  }

  @Test
  void transferToBeyondEndCopiesOnlyTheRemainder() throws IOException {
    FileChannel ch = open();
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    long from = content.length - 3L * SECTOR;
    assertEquals(3 * SECTOR, transferAll(ch, from, 1L << 40, Channels.newChannel(sink)));
    assertArrayEquals(Arrays.copyOfRange(content, (int) from, content.length), sink.toByteArray());
  }

  @Test
  void transferToAtOrPastEndTransfersNothing() throws IOException {
    FileChannel ch = open();
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    WritableByteChannel target = Channels.newChannel(sink);
    assertEquals(0, ch.transferTo(content.length, 100, target));
    assertEquals(0, ch.transferTo(content.length + 1L, 100, target));
    assertEquals(0, ch.transferTo(Long.MAX_VALUE, 100, target));
    assertEquals(0, ch.transferTo(0, 0, target));
    assertEquals(0, sink.size());
  }

  @Test
  void transferToWithNegativeArgumentsThrowsIllegalArgumentException() throws IOException {
    FileChannel ch = open();
    WritableByteChannel target = Channels.newChannel(new ByteArrayOutputStream());
    assertAll(
        () -> assertThrows(IllegalArgumentException.class, () -> ch.transferTo(-1, 10, target)),
        () -> assertThrows(IllegalArgumentException.class, () -> ch.transferTo(0, -1, target)));
  }

  // ---------------------------------------------------------------- locks

  @Test
  void sharedLockOnReadableChannelWorks() throws IOException {
    FileChannel ch = open();
    FileLock lock = ch.lock(0, Long.MAX_VALUE, true);
    assertTrue(lock.isValid());
    assertTrue(lock.isShared());
    assertSame(ch, lock.channel());
    lock.release();
    assertFalse(lock.isValid());
  }

  @Test
  void sharedTryLockOnReadableChannelWorks() throws IOException {
    FileChannel ch = open();
    FileLock lock = ch.tryLock(0, SECTOR, true);
    assertNotNull(lock, "no other process holds a lock, so tryLock must succeed");
    assertTrue(lock.isShared());
    lock.release();
    assertFalse(lock.isValid());
  }

  @Test
  void exclusiveLockOnReadOnlyChannelThrowsNonWritableChannelException() throws IOException {
    FileChannel ch = open();
    assertAll(
        () -> assertThrows(NonWritableChannelException.class, ch::lock),
        () -> assertThrows(NonWritableChannelException.class, ch::tryLock),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.lock(0, SECTOR, false)),
        () -> assertThrows(NonWritableChannelException.class, () -> ch.tryLock(0, SECTOR, false)));
  }

  @Test
  void closingTheChannelReleasesItsLocks() throws IOException {
    FileChannel ch = open();
    FileLock lock = ch.lock(0, SECTOR, true);
    ch.close();
    assertFalse(lock.isValid());
  }

  @Test
  void overlappingLockInSameJvmThrowsOverlappingFileLockException() throws IOException {
    FileChannel ch = open();
    try (FileLock held = ch.lock(0, 4096, true)) {
      assertTrue(held.isValid());
      assertThrows(OverlappingFileLockException.class, () -> ch.lock(1024, 4096, true));
    }
  }

  // ---------------------------------------------------------------- close

  @Test
  void isOpenIsFalseAfterClose() throws IOException {
    FileChannel ch = open();
    ch.close();
    assertFalse(ch.isOpen());
  }

  @Test
  void closeTwiceIsHarmless() throws IOException {
    FileChannel ch = open();
    ch.close();
    ch.close();
    assertFalse(ch.isOpen());
  }

  @Test
  void readAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(SECTOR)));
  }

  @Test
  void positionalReadAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(SECTOR), 0));
  }

  @Test
  void scatteringReadAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class,
        () -> ch.read(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)}));
  }

  @Test
  void scatteringReadOfNoBuffersAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    // The closed check comes before looking at the buffers, even when there are none.
    assertThrowsExactly(ClosedChannelException.class, () -> ch.read(new ByteBuffer[0]));
    assertThrowsExactly(ClosedChannelException.class,
        () -> ch.read(new ByteBuffer[] {ByteBuffer.allocate(SECTOR)}, 1, 0));
  }

  @Test
  void positionAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertAll(
        () -> assertThrowsExactly(ClosedChannelException.class, ch::position),
        () -> assertThrowsExactly(ClosedChannelException.class, () -> ch.position(0)));
  }

  @Test
  void sizeAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class, ch::size);
  }

  @Test
  void forceAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class, () -> ch.force(true));
  }

  @Test
  void transferToAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    WritableByteChannel target = Channels.newChannel(new ByteArrayOutputStream());
    assertThrowsExactly(ClosedChannelException.class, () -> ch.transferTo(0, SECTOR, target));
  }

  @Test
  void lockAfterCloseThrowsClosedChannelException() throws IOException {
    FileChannel ch = closedChannel();
    assertThrowsExactly(ClosedChannelException.class, () -> ch.lock(0, SECTOR, true));
  }

  // ---------------------------------------------------------------- interrupts

  @Test
  @Timeout(30)
  void readWithInterruptStatusSetThrowsClosedByInterruptAndClosesChannel() throws Exception {
    FileChannel ch = open();
    ThreadOutcome outcome = inFreshThread(() -> {
      Thread.currentThread().interrupt();
      return ch.read(ByteBuffer.allocate(SECTOR));
    });
    assertThrewInThread(ClosedByInterruptException.class, outcome);
    assertTrue(outcome.interruptedAfterwards, "the thread must keep its interrupt status");
    assertFalse(ch.isOpen(), "an interrupted read closes the channel");
    assertThrowsExactly(ClosedChannelException.class, () -> ch.read(ByteBuffer.allocate(1), 0));
  }

  @Test
  @Timeout(30)
  void positionalReadWithInterruptStatusSetThrowsClosedByInterruptAndClosesChannel()
      throws Exception {
    FileChannel ch = open();
    ThreadOutcome outcome = inFreshThread(() -> {
      Thread.currentThread().interrupt();
      return ch.read(ByteBuffer.allocate(SECTOR), 4096);
    });
    assertThrewInThread(ClosedByInterruptException.class, outcome);
    assertTrue(outcome.interruptedAfterwards, "the thread must keep its interrupt status");
    assertFalse(ch.isOpen(), "an interrupted read closes the channel");
  }

  @Test
  @Timeout(60)
  void interruptingAThreadThatLoopsReadingEndsItWithClosedByInterrupt() throws Exception {
    // The interrupt lands at an arbitrary point of the loop, usually inside the read; several
    // rounds make it likely that every phase of a read (argument checks, the transfer itself,
    // bookkeeping afterwards) gets hit at least once.
    for (int round = 0; round < 10; round++) {
      FileChannel ch = open();
      CountDownLatch reading = new CountDownLatch(1);
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      AtomicReference<Boolean> interrupted = new AtomicReference<>();
      Thread reader = new Thread(() -> {
        ByteBuffer dst = ByteBuffer.allocate(64 * 1024);
        try {
          for (long i = 0; ; i++) {
            ch.read(dst.clear(), (i * 64 * 1024) % content.length);
            reading.countDown();
          }
        } catch (Throwable t) {
          thrown.set(t);
        }
        interrupted.set(Thread.currentThread().isInterrupted());
      }, "interrupted-reader");
      reader.start();
      assertTrue(reading.await(10, TimeUnit.SECONDS), "reader never completed a read");
      Thread.sleep(round % 3);
      reader.interrupt();
      reader.join(10_000);
      String where = "round " + round;
      assertFalse(reader.isAlive(), "interrupted reader did not stop, " + where);
      assertInstanceOf(ClosedByInterruptException.class, thrown.get());
      assertTrue(interrupted.get(), "the thread must keep its interrupt status, " + where);
      assertFalse(ch.isOpen(), "the reader got ClosedByInterruptException but the channel is "
          + "still open, " + where);
    }
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  @Timeout(60)
  void asynchronousCloseEndsEveryReaderWithAsynchronousCloseOrClosedChannel(SeededRandom random)
      throws Exception {
    FileChannel ch = open();
    int readers = 4;
    // One count per reader, after its first read: the close must land while every thread loops.
    CountDownLatch everyoneRead = new CountDownLatch(readers);
    AtomicInteger completedReads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(readers);
    try {
      List<Future<Throwable>> endings = new ArrayList<>();
      for (int r = 0; r < readers; r++) {
        boolean relative = r == 0; // only one thread moves the position, so it can check bytes
        Random own = new Random(random.nextLong());
        endings.add(pool.submit(() -> {
          ByteBuffer dst = ByteBuffer.allocate(32 * 1024);
          boolean arrived = false;
          try {
            while (true) {
              if (relative) {
                long at = ch.position();
                if (at >= content.length) {
                  ch.position(0);
                  continue;
                }
                int n = ch.read(dst.clear());
                assertSameBytes(dst.flip(), at, n, "relative read in close race, " + random);
              } else {
                long at = own.nextInt(content.length);
                int n = ch.read(dst.clear(), at);
                assertSameBytes(dst.flip(), at, n, "positional read in close race, " + random);
              }
              completedReads.incrementAndGet();
              if (!arrived) {
                arrived = true;
                everyoneRead.countDown();
              }
            }
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      assertTrue(everyoneRead.await(10, TimeUnit.SECONDS), "readers did not start");
      Thread.sleep(20);
      ch.close();
      assertEndedByClose(endings, "reader", random);
      assertTrue(completedReads.get() >= readers);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(120)
  void concurrentPositionalReadsReturnTheRightBytes(SeededRandom random) throws Exception {
    FileChannel ch = open();
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random own = new Random(random.nextLong());
        results.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 200; i++) {
            long at = randomOffset(own);
            int length = 1 + own.nextInt(own.nextInt(4) == 0 ? 1024 * 1024 : 16 * 1024);
            ByteBuffer dst = own.nextBoolean() ? ByteBuffer.allocate(length)
                : ByteBuffer.allocateDirect(length);
            checkPositionalRead(ch, dst, at, random + ", thread read " + i);
          }
          return 200;
        }));
      }
      for (Future<Integer> result : results) {
        assertEquals(200, getOrRethrow(result));
      }
      assertEquals(0, ch.position(), "positional reads must not move the position");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(120)
  void concurrentRelativeReadsSeeEverySectorExactlyOnce() throws Exception {
    FileChannel ch = open();
    int threads = 8;
    int sectors = content.length / SECTOR;
    AtomicInteger[] seen = new AtomicInteger[sectors];
    Arrays.setAll(seen, i -> new AtomicInteger());
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          start.await();
          ByteBuffer dst = ByteBuffer.allocate(SECTOR);
          int reads = 0;
          int n;
          while ((n = ch.read(dst.clear())) != -1) {
            assertEquals(SECTOR, n, "sector-sized reads at sector positions must be full");
            int sector = (int) dst.getLong(0);
            assertTrue(sector >= 0 && sector < sectors, "unexpected sector stamp " + sector);
            assertArrayEquals(Arrays.copyOfRange(content, sector * SECTOR, (sector + 1) * SECTOR),
                dst.array(), "bytes of sector " + sector);
            seen[sector].incrementAndGet();
            reads++;
          }
          return reads;
        }));
      }
      int total = 0;
      for (Future<Integer> result : results) {
        total += getOrRethrow(result);
      }
      assertEquals(sectors, total);
      for (int i = 0; i < sectors; i++) {
        assertEquals(1, seen[i].get(), "times sector " + i + " was read");
      }
      assertEquals(content.length, ch.position());
    } finally {
      pool.shutdownNow();
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Random-looking bytes with each sector's index stamped into its first 8 bytes, so a sector
   * read from the wrong place is both detected and identified.
   */
  static byte[] sectorStampedBytes(int length) {
    byte[] bytes = new byte[length];
    new Random(0x5EC7_0125L).nextBytes(bytes);
    ByteBuffer stamp = ByteBuffer.wrap(bytes);
    for (int s = 0; s < length / SECTOR; s++) {
      stamp.putLong(s * SECTOR, s);
    }
    return bytes;
  }

  private FileChannel closedChannel() throws IOException {
    FileChannel ch = open();
    ch.close();
    return ch;
  }

  /** Offsets biased towards the places implementations get wrong: edges of sectors and blocks. */
  private long randomOffset(Random random) {
    switch (random.nextInt(6)) {
      case 0:
        return (long) random.nextInt(content.length / SECTOR) * SECTOR;
      case 1: {
        long boundary = (long) (1 + random.nextInt(Math.max(1, content.length / (2 * MIB)))) * 2 * MIB;
        return Math.max(0, boundary - random.nextInt(4 * SECTOR));
      }
      case 2:
        return content.length - random.nextInt(4 * SECTOR);
      case 3:
        return content.length + (long) random.nextInt(4 * SECTOR);
      default:
        return random.nextInt(content.length);
    }
  }

  /** Reads at {@code at} and checks the count and bytes against the content. */
  private void checkPositionalRead(FileChannel ch, ByteBuffer dst, long at, String where)
      throws IOException {
    int n = ch.read(dst, at);
    if (at >= content.length) {
      assertEquals(-1, n, "positional read at " + at + " (size " + content.length + "), " + where);
      return;
    }
    int expected = (int) Math.min(dst.capacity(), content.length - at);
    assertEquals(expected, n, "count of a positional read of " + dst.capacity() + " bytes at " + at
        + ", " + where);
    assertSameBytes(dst.flip(), at, n, where);
  }

  private void assertSameBytes(ByteBuffer got, long at, int n, String where) {
    if (n < 0) {
      assertTrue(at >= content.length, "-1 at " + at + " before EOF " + content.length + ", " + where);
      return;
    }
    byte[] actual = bytesOf(got);
    assertEquals(n, actual.length);
    byte[] expected = Arrays.copyOfRange(content, (int) at, (int) at + n);
    int mismatch = Arrays.mismatch(expected, actual);
    if (mismatch >= 0) {
      fail("bytes differ at offset " + (at + mismatch) + " in a read of " + n + " at " + at
          + ", " + where);
    }
  }

  private void assertContentUnchanged(FileChannel ch) throws IOException {
    assertEquals(content.length, ch.size());
    ByteBuffer all = ByteBuffer.allocate(content.length);
    int n = 0;
    while (all.hasRemaining()) {
      int r = ch.read(all, n);
      assertTrue(r > 0, "content ended early at " + n);
      n += r;
    }
    assertArrayEquals(content, all.array());
  }

  private static void readFully(FileChannel ch, ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (ch.read(dst) < 0) {
        throw new IOException("EOF with " + dst.remaining() + " bytes still wanted");
      }
    }
  }

  /**
   * transferTo may move fewer bytes than asked, so a careful caller loops; each call must make
   * progress until the source is exhausted.
   */
  private static long transferAll(FileChannel ch, long from, long count, WritableByteChannel target)
      throws IOException {
    long done = 0;
    long end = Math.min(ch.size(), from + count);
    while (from + done < end) {
      long n = ch.transferTo(from + done, count - done, target);
      assertTrue(n > 0, "transferTo made no progress at " + (from + done));
      done += n;
    }
    return done;
  }

  private static byte[] bytesOf(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
