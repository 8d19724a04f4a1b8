package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Formats;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VirtualDisk#writeZeros}: it stores nothing where the disk reads as zeros, zeros what
 * holds data (sector by sector, partial sectors keeping their other bytes), refuses a range past
 * the end, and a dynamic disk gives back, as it closes, the all-zero blocks at the end of its file
 * and no others; a crash at any point of that leaves an image that reads each sector as before or
 * as zeros.
 */
final class DiskZeroRangeTest {
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 512 * 1024;
  private static final long SIZE = 8L * MIB;
  private static final int BAT_AT = 1536;

  @TempDir Path dir;

  private Path image;

  private VirtualDisk create(DiskType type) throws IOException {
    image = dir.resolve(type.label() + ".vhd");
    VhdCreator.create(image, type, SIZE, BLOCK, true);
    return open(image);
  }

  private static VirtualDisk open(Path image) throws IOException {
    VirtualDisk disk = Formats.openAlone(HostFile.openForReading(image), SizeRule.AUTO);
    disk.enableWrites();
    return disk;
  }

  @Test
  void zerosOverUnallocatedBlocksStoreNothing() throws IOException {
    try (VirtualDisk disk = create(DiskType.DYNAMIC)) {
      write(disk, 0, random(BLOCK, 1));
      disk.flush();
      byte[] before = Files.readAllBytes(image);

      disk.writeZeros(BLOCK, SIZE - BLOCK);
      disk.flush();

      assertArrayEquals(before, Files.readAllBytes(image), "the image file");
      assertEquals(1, disk.info().allocatedBlocks());
    }
  }

  @Test
  void zerosOverDataReadAsZerosAndPartialSectorsKeepTheirOtherBytes() throws IOException {
    byte[] data = random(2 * BLOCK, 2);
    try (VirtualDisk disk = create(DiskType.DYNAMIC)) {
      write(disk, 0, data);

      disk.writeZeros(1000, 3000);
      disk.writeZeros(BLOCK - 7, 14);

      Arrays.fill(data, 1000, 4000, (byte) 0);
      Arrays.fill(data, BLOCK - 7, BLOCK + 7, (byte) 0);
      assertArrayEquals(data, read(disk, 0, data.length));
      assertEquals(2, disk.info().allocatedBlocks(), "blocks covered in part stay");
    }
    try (VirtualDisk disk = open(image)) {
      assertArrayEquals(data, read(disk, 0, data.length), "after reopening");
    }
  }

  @Test
  void zeroRangePastTheEndIsRefusedAndWritesNothing() throws IOException {
    for (DiskType type : List.of(DiskType.DYNAMIC, DiskType.FIXED)) {
      try (VirtualDisk disk = create(type)) {
        write(disk, SIZE - 4096, random(4096, 3));
        disk.flush();
        byte[] before = Files.readAllBytes(image);

        IOException e = assertThrows(IOException.class, () -> disk.writeZeros(SIZE - 10, 11));
        assertTrue(e.getMessage().startsWith(image.toString() + ": 11 bytes of zeros at offset "
            + (SIZE - 10) + " would pass the end of the disk"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> disk.writeZeros(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> disk.writeZeros(0, -1));
        disk.flush();
        assertArrayEquals(before, Files.readAllBytes(image), type.label());
      }
    }
  }

  @Test
  void fixedImageWritesZerosOnlyOverItsData() throws IOException {
    try (VirtualDisk disk = create(DiskType.FIXED)) {
      write(disk, MIB + 100, random(4096, 4));
      HostFile host = hostOf(disk);
      long writes = host.hostWrites();

      disk.writeZeros(0, SIZE);

      assertEquals(writes + 1, host.hostWrites(), "one write: the sectors holding the data");
      assertArrayEquals(new byte[(int) SIZE], read(disk, 0, (int) SIZE));
    }
  }

  @Test
  void wholeZeroBlockAtTheEndOfTheFileIsGivenBackWhenTheDiskCloses() throws IOException {
    byte[] first = random(BLOCK, 5);
    long lengthWithOneBlock;
    try (VirtualDisk disk = create(DiskType.DYNAMIC)) {
      write(disk, 0, first);
      disk.flush();
      lengthWithOneBlock = Files.size(image);
      write(disk, 5L * BLOCK, random(BLOCK, 6));

      disk.writeZeros(5L * BLOCK, BLOCK);

      assertEquals(2, disk.info().allocatedBlocks(), "given back only at close");
      assertArrayEquals(new byte[BLOCK], read(disk, 5L * BLOCK, BLOCK));
    }

    assertEquals(lengthWithOneBlock, Files.size(image), "the file cut after the first block");
    assertEquals(Bat.UNALLOCATED, batEntry(5));
    assertFootersValidAndIdentical();
    assertEquals(List.of(), findings(image));
    try (VirtualDisk disk = open(image)) {
      assertEquals(1, disk.info().allocatedBlocks());
      assertArrayEquals(first, read(disk, 0, BLOCK));
      // The place given back is taken again by the next new block: nothing leaks.
      write(disk, 7L * BLOCK, random(100, 7));
    }
    try (VirtualDisk disk = open(image)) {
      assertEquals(2, disk.info().allocatedBlocks());
    }
    assertEquals(List.of(), findings(image));
    QemuTools qemu = QemuTools.require();
    Path raw = dir.resolve("expected.raw");
    byte[] expected = new byte[(int) SIZE];
    System.arraycopy(first, 0, expected, 0, BLOCK);
    System.arraycopy(random(100, 7), 0, expected, 7 * BLOCK, 100);
    Files.write(raw, expected);
    QemuTools.Exit exit = qemu.compare(image, raw);
    assertEquals(0, exit.code(), exit.describe());
  }

  @Test
  void blockWrittenAfterItsZerosIsKept() throws IOException {
    byte[] data = random(10, 8);
    try (VirtualDisk disk = create(DiskType.DYNAMIC)) {
      write(disk, 2L * BLOCK, random(BLOCK, 9));
      disk.writeZeros(2L * BLOCK, BLOCK);
      write(disk, 2L * BLOCK + 600, data);
    }

    try (VirtualDisk disk = open(image)) {
      assertEquals(1, disk.info().allocatedBlocks());
      byte[] expected = new byte[BLOCK];
      System.arraycopy(data, 0, expected, 600, data.length);
      assertArrayEquals(expected, read(disk, 2L * BLOCK, BLOCK));
    }
  }

  /**
   * A crash after any host write of zeroing two blocks and giving them back at close leaves an
   * image that opens, reads each of their sectors as before or as zeros and the rest as before,
   * and has no defect but, between the BAT entries and the cut, the space given back.
   */
  @Test
  void crashAtAnyPointOfGivingBlocksBackLeavesASoundImage() throws IOException {
    byte[] before = random((int) SIZE / 2, 10);
    Path hostImage = dir.resolve("crash.vhd");
    VhdCreator.create(hostImage, DiskType.DYNAMIC, SIZE, BLOCK, true);
    try (VirtualDisk disk = open(hostImage)) {
      write(disk, 0, before);
    }
    byte[] initial = Files.readAllBytes(hostImage);
    ForwardingHostFileSystem host = ForwardingHostFileSystem.over(hostImage.getFileSystem());
    try (VirtualDisk disk = open(host.wrap(hostImage))) {
      disk.writeZeros(6L * BLOCK, 2L * BLOCK);
    }
    HostWriteLog log = host.log();
    int total = log.mutationCount();
    assertTrue(log.mutations().stream().anyMatch(m -> m instanceof HostWriteLog.Truncate),
        "the close cut the file: " + log.mutations());

    Path cut = dir.resolve("cut.vhd");
    boolean betweenEntriesAndCut = false;
    for (int n = 0; n <= total; n++) {
      String at = "cut after " + n + " of " + total + " host writes " + log.mutations();
      Files.write(cut, log.replay(initial, n, hostImage.toString()));
      byte[] now;
      try (VirtualDisk disk = Formats.openAlone(HostFile.openForReading(cut), SizeRule.AUTO)) {
        now = read(disk, 0, (int) SIZE);
      }
      assertArrayEquals(Arrays.copyOf(before, 6 * BLOCK), Arrays.copyOf(now, 6 * BLOCK), at);
      for (int s = 6 * BLOCK; s < 8 * BLOCK; s += 512) {
        byte[] sector = Arrays.copyOfRange(now, s, s + 512);
        assertTrue(Arrays.equals(Arrays.copyOfRange(before, s, s + 512), sector)
            || Arrays.equals(new byte[512], sector), "sector at " + s + ", " + at);
      }
      List<String> codes = findings(cut);
      assertTrue(Set.of("orphan-space").containsAll(codes), at + ": " + codes);
      betweenEntriesAndCut |= !codes.isEmpty();
      if (n == total) {
        assertEquals(List.of(), codes, at);
        assertArrayEquals(Arrays.copyOf(before, 6 * BLOCK), Arrays.copyOf(now, 6 * BLOCK));
        assertArrayEquals(new byte[2 * BLOCK], Arrays.copyOfRange(now, 6 * BLOCK, 8 * BLOCK));
      }
    }
    assertTrue(Files.size(cut) < initial.length, "the file shrank");
    assertTrue(betweenEntriesAndCut, "no cut fell between the BAT entries and the file's cut");
  }

  // ---------------------------------------------------------------- helpers

  private static HostFile hostOf(VirtualDisk disk) throws IOException {
    try {
      var field = disk.getClass().getDeclaredField("host");
      field.setAccessible(true);
      return (HostFile) field.get(disk);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> findings(Path image) throws IOException {
    return VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE).findings().stream()
        .map(VhdImages.Finding::code).toList();
  }

  private long batEntry(int block) throws IOException {
    byte[] f = Files.readAllBytes(image);
    return ByteBuffer.wrap(f, BAT_AT + 4 * block, 4).getInt();
  }

  private void assertFootersValidAndIdentical() throws IOException {
    byte[] f = Files.readAllBytes(image);
    byte[] end = Arrays.copyOfRange(f, f.length - 512, f.length);
    Footer.decode(end, 0, image.toString(), f.length - 512);
    assertArrayEquals(Arrays.copyOfRange(f, 0, 512), end, "footer copy differs from the end");
  }

  private static void write(VirtualDisk disk, long pos, byte[] b) throws IOException {
    assertEquals(b.length, disk.write(ByteBuffer.wrap(b), pos));
  }

  private static byte[] read(VirtualDisk disk, long pos, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      assertTrue(disk.read(b, pos + b.position()) > 0);
    }
    return b.array();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
