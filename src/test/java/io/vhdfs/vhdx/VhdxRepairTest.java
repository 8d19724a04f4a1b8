package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Check;
import io.vhdfs.nio.VhdImages.Finding;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code check --repair} on VHDX: a bad header copy is rewritten from the current one by the
 * two-step protocol, a bad region table copy from the good one, and a dirty log is replayed onto
 * the file as the in-memory replay reads it, then cleared. Afterwards the image checks clean,
 * reads the same bytes in vhdfs, and QEMU and libvhdi (which never replays) read them too. What
 * cannot be repaired is reported and not touched; a cut at any host write of a repair leaves an
 * image that reads the same.
 */
class VhdxRepairTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 16L * MIB;
  private static final UUID LOG_GUID = UUID.fromString("4c4f4721-0000-4000-8000-0000000000aa");

  @TempDir Path dir;

  // ---- fixtures ----------------------------------------------------------------------------

  /** A dynamic image, 1 MiB blocks, data in blocks 0 and 3, both copies of everything sound. */
  private static Image sound() {
    return VhdxImageBuilder.dynamic(SIZE).blockSize(MIB).fill(0, 3 * 4096, 0x11)
        .fill(3L * MIB + 512, 2048, 0x22).build();
  }

  /**
   * A dirty log of one entry, as a crash between logging and applying leaves it: block 1's
   * allocation (its BAT sector; the block's data is already in place), a payload sector of block
   * 0 and a zero range in block 3. It avoids QEMU's replay quirks: one entry, its own tail, no
   * wrap, LastFileOffset no larger than the file.
   */
  private static Image dirty() {
    Image img = clean();
    byte[] batSector = img.read(img.batOffset(), 4096);
    byte[] stale = batSector.clone();
    Arrays.fill(stale, 8, 16, (byte) 0); // on the host, block 1 is not yet allocated
    img.put(img.batOffset(), stale);
    byte[] logged = new byte[4096];
    Arrays.fill(logged, (byte) 0x77);
    img.writeHeaders(LOG_GUID);
    img.writeLogEntry(new LogEntrySpec(0, 5, 0, LOG_GUID, img.length(), img.length(),
        List.of(new DataUpdate(img.batOffset(), batSector),
            new DataUpdate(img.blockOffset(0) + 4096, logged),
            new ZeroUpdate(img.blockOffset(3), 4096))));
    return img;
  }

  /** The dirty image's content with its log applied: blocks 0, 1 and 3 allocated. */
  private static Image clean() {
    return VhdxImageBuilder.dynamic(SIZE).blockSize(MIB).fill(0, 3 * 4096, 0x11)
        .fill(MIB, 8192, 0x33).fill(3L * MIB, 8192, 0x22).build();
  }

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  private static byte[] readAll(Path image) throws IOException {
    try (FileChannel ch = FileChannel.open(disk(image), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(ch.size()));
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // until full
      }
      return b.array();
    }
  }

  private static Check check(Path image) throws IOException {
    return VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE);
  }

  private static Check repair(Path image) throws IOException {
    return VhdImages.check(image, true, Map.of(), VhdImages.Progress.NONE);
  }

  private static List<String> codes(Check c) {
    return c.findings().stream().map(Finding::code).toList();
  }

  private static HeaderChoice headers(Path image) throws IOException {
    byte[] b = Files.readAllBytes(image);
    return HeaderChoice.choose(
        Arrays.copyOfRange(b, (int) VhdxHeader.HEADER1_OFFSET,
            (int) VhdxHeader.HEADER1_OFFSET + VhdxHeader.SIZE),
        Arrays.copyOfRange(b, (int) VhdxHeader.HEADER2_OFFSET,
            (int) VhdxHeader.HEADER2_OFFSET + VhdxHeader.SIZE), image.toString());
  }

  /** Both headers valid, numbered {@code first} and {@code first + 1}, equal in all but that. */
  private static void assertHeaderPair(Path image, long first, int currentSlot, UUID dataWrite,
      UUID oldFileWrite) throws IOException {
    HeaderChoice h = headers(image);
    assertTrue(h.otherProblem().isEmpty(), h.toString());
    assertEquals(currentSlot, h.slot(), "the slot written last is current");
    VhdxHeader cur = h.current();
    VhdxHeader other = h.other().orElseThrow();
    assertEquals(first + 1, cur.sequenceNumber());
    assertEquals(first, other.sequenceNumber());
    assertEquals(cur.fileWriteGuid(), other.fileWriteGuid());
    assertNotEquals(oldFileWrite, cur.fileWriteGuid(), "a new FileWriteGuid for the session");
    assertEquals(dataWrite, cur.dataWriteGuid(), "children stay linked");
    assertEquals(dataWrite, other.dataWriteGuid());
    assertEquals(MsGuid.ZERO, cur.logGuid());
    assertEquals(MsGuid.ZERO, other.logGuid());
  }

  /** qemu-img check is clean and its raw conversion equals our read; libvhdi reads the same. */
  private void assertPeersRead(Path image, byte[] expected) throws IOException {
    VhdxTools qemu = VhdxTools.require();
    QemuTools.Exit c = qemu.check(image, false);
    assertEquals(0, c.code(), c.describe());
    Path raw = dir.resolve(image.getFileName() + ".raw");
    qemu.convertToRaw(image, raw);
    assertArrayEquals(expected, Files.readAllBytes(raw), "qemu-img convert");
    Libvhdi libvhdi = Libvhdi.require();
    List<Libvhdi.Window> windows = Libvhdi.chunks(expected.length, MIB);
    Libvhdi.Reading got = libvhdi.read(image, windows, dir);
    assertEquals(expected.length, got.mediaSize());
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
      assertEquals(Libvhdi.hashes(ch, windows), got.lines(), "libvhdi");
    }
  }

  // ---- header copies -----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void aLostHeaderCopyIsRewrittenFromTheCurrentOneInTwoForcedSteps(int lost) throws Exception {
    Image img = sound();
    img.put(lost == 1 ? VhdxImageBuilder.HEADER1 : VhdxImageBuilder.HEADER2, new byte[4096]);
    Path image = img.writeTo(dir.resolve("lost" + lost + ".vhdx"));
    VhdxHeader before = headers(image).current();
    byte[] content = readAll(image);

    Check r = repair(image);

    assertEquals(List.of("header"), codes(r));
    assertTrue(r.findings().get(0).repaired(), r.toString());
    assertEquals(List.of(), check(image).findings());
    // The lost slot is not current: it gets current+1, the current slot current+2.
    assertHeaderPair(image, before.sequenceNumber() + 1, 3 - lost, before.dataWriteGuid(),
        before.fileWriteGuid());
    assertArrayEquals(content, readAll(image));
    assertPeersRead(image, content);
  }

  @Test
  void aHeaderCopyWithABadChecksumIsRepairedAndTheOtherSlotKeepsItsPlaceInTheProtocol()
      throws Exception {
    Image img = sound();
    // Header 2 is current (higher number) and sound; header 1's CRC is broken.
    img.put(VhdxImageBuilder.HEADER1 + 200, new byte[] {1});
    Path image = img.writeTo(dir.resolve("crc.vhdx"));
    HeaderChoice h = headers(image);
    assertEquals(2, h.slot());

    assertEquals(List.of("header"), codes(repair(image)));

    assertHeaderPair(image, h.current().sequenceNumber() + 1, 2, h.current().dataWriteGuid(),
        h.current().fileWriteGuid());
    assertEquals(List.of(), check(image).findings());
  }

  // ---- region table copies -----------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(ints = {1, 2})
  void aBadRegionTableCopyIsRewrittenFromTheGoodOne(int bad) throws Exception {
    Image img = sound();
    long at = bad == 1 ? VhdxImageBuilder.REGION_TABLE1 : VhdxImageBuilder.REGION_TABLE2;
    img.put(at + 100, new byte[] {0x5a});
    Path image = img.writeTo(dir.resolve("region" + bad + ".vhdx"));
    VhdxHeader before = headers(image).current();
    byte[] content = readAll(image);

    Check r = repair(image);

    assertEquals(List.of("region-table"), codes(r));
    assertTrue(r.remaining().isEmpty(), r.toString());
    assertEquals(List.of(), check(image).findings());
    byte[] file = Files.readAllBytes(image);
    int c1 = (int) VhdxImageBuilder.REGION_TABLE1;
    int c2 = (int) VhdxImageBuilder.REGION_TABLE2;
    assertArrayEquals(Arrays.copyOfRange(file, c1, c1 + 65536),
        Arrays.copyOfRange(file, c2, c2 + 65536), "both copies identical");
    // A modification: the session's FileWriteGuid is recorded first.
    assertHeaderPair(image, before.sequenceNumber() + 1, headers(image).slot(),
        before.dataWriteGuid(), before.fileWriteGuid());
    assertArrayEquals(content, readAll(image));
    // QEMU refused a bad copy 1, libvhdi either: both read the repaired file.
    assertPeersRead(image, content);
  }

  @Test
  void aValidRegionTableCopy2ThatDiffersIsRewrittenFromCopy1WhichEveryReaderUses()
      throws Exception {
    Image img = sound();
    // Entry 0's Required field flipped in copy 2, its checksum fixed: valid but different.
    long required = VhdxImageBuilder.REGION_TABLE2 + 16 + 28;
    img.putLe32(required, img.getLe32(required) ^ 1);
    img.fixRegionTableChecksum(2);
    Path image = img.writeTo(dir.resolve("differs.vhdx"));
    byte[] content = readAll(image);

    Check r = repair(image);

    assertEquals(List.of("region-table"), codes(r));
    assertTrue(r.findings().get(0).meaning().contains("differs"), r.toString());
    assertTrue(r.remaining().isEmpty(), r.toString());
    byte[] file = Files.readAllBytes(image);
    int c1 = (int) VhdxImageBuilder.REGION_TABLE1;
    int c2 = (int) VhdxImageBuilder.REGION_TABLE2;
    assertArrayEquals(Arrays.copyOfRange(file, c1, c1 + 65536),
        Arrays.copyOfRange(file, c2, c2 + 65536));
    assertEquals(List.of(), check(image).findings());
    assertArrayEquals(content, readAll(image));
  }

  // ---- dirty log ---------------------------------------------------------------------------

  @Test
  void aDirtyLogIsReplayedOntoTheFileAsTheInMemoryReplayReadsIt() throws Exception {
    Path image = dirty().writeTo(dir.resolve("dirty.vhdx"));
    VhdxHeader before = headers(image).current();
    byte[] replayed = readAll(image);
    byte[] expected = new byte[(int) SIZE];
    Arrays.fill(expected, 0, 3 * 4096, (byte) 0x11);
    Arrays.fill(expected, 4096, 8192, (byte) 0x77);
    Arrays.fill(expected, MIB, MIB + 8192, (byte) 0x33);
    Arrays.fill(expected, 3 * MIB + 4096, 3 * MIB + 8192, (byte) 0x22);
    assertArrayEquals(expected, replayed, "the fixture's in-memory replay");

    Check r = repair(image);

    assertEquals(List.of("log-dirty"), codes(r));
    assertTrue(r.findings().get(0).repaired(), r.toString());
    assertEquals(List.of(), check(image).findings());
    // One pair with the session's FileWriteGuid before the replay, one clearing the LogGuid.
    assertHeaderPair(image, before.sequenceNumber() + 3, headers(image).slot(),
        before.dataWriteGuid(), before.fileWriteGuid());
    assertArrayEquals(replayed, readAll(image));
    assertEquals(false, Files.getAttribute(disk(image), "vhdx:logReplayed"));
    // libvhdi, which never replays, now sees the replayed data.
    assertPeersRead(image, replayed);
  }

  @Test
  void aSequenceOfEntriesIsReplayedInOrderAsQemuRepairsIt() throws Exception {
    Image img = dirty();
    byte[] later = new byte[4096];
    Arrays.fill(later, (byte) 0x99);
    LogEntrySpec first = new LogEntrySpec(0, 5, 0, LOG_GUID, img.length(), img.length(),
        List.of(new DataUpdate(img.batOffset(), clean().read(img.batOffset(), 4096))));
    img.writeLogEntry(first);
    // The head: its Tail names the first entry; it rewrites the fixture's logged payload sector.
    long second = first.entryLength();
    LogEntrySpec head = new LogEntrySpec(second, 6, 0, LOG_GUID, img.length(), img.length(),
        List.of(new DataUpdate(img.blockOffset(0) + 4096, later),
            new ZeroUpdate(img.blockOffset(3), 4096)));
    img.writeLogEntry(head);
    // A stale entry of another LogGuid after the head, which no replay applies.
    long stale = second + head.entryLength();
    img.writeLogEntry(new LogEntrySpec(stale, 7, stale,
        UUID.fromString("4c4f4721-0000-4000-8000-0000000000bb"), img.length(), img.length(),
        List.of(new ZeroUpdate(img.blockOffset(0), 4096))));
    Path image = img.writeTo(dir.resolve("sequence.vhdx"));
    Path byQemu = Files.copy(image, dir.resolve("sequence-qemu.vhdx"));
    byte[] replayed = readAll(image);
    assertEquals(0x99, replayed[4096] & 0xff);
    assertEquals(0x11, replayed[0] & 0xff);
    assertEquals(0x33, replayed[MIB] & 0xff, "block 1 allocated by the first entry");

    assertEquals(List.of("log-dirty"), codes(repair(image)));

    assertArrayEquals(replayed, readAll(image));
    assertPeersRead(image, replayed);
    VhdxTools qemu = VhdxTools.require();
    QemuTools.Exit repaired = qemu.check(byQemu, true);
    assertTrue(repaired.code() == 0, repaired.describe());
    Path raw = dir.resolve("sequence-qemu.raw");
    qemu.convertToRaw(byQemu, raw);
    assertArrayEquals(Files.readAllBytes(raw), readAll(image), "as qemu-img check -r all");
    // QEMU still writes to the repaired image, and vhdfs reads its write.
    qemu.write(image, List.of(new QemuTools.Write(0x5c, 2L * MIB + 512, 4096)));
    byte[] afterQemu = readAll(image);
    Arrays.fill(replayed, 2 * MIB + 512, 2 * MIB + 512 + 4096, (byte) 0x5c);
    assertArrayEquals(replayed, afterQemu);
    assertEquals(List.of(), check(image).findings());
  }

  @Test
  void aReplayGrowsTheFileToLastFileOffset() throws Exception {
    Image img = dirty();
    long length = img.length();
    // Rewrite the entry with a LastFileOffset two MiB past the end (QEMU would not grow it).
    img.writeLogEntry(new LogEntrySpec(0, 5, 0, LOG_GUID, length, length + 2L * MIB,
        List.of(new ZeroUpdate(img.blockOffset(3), 4096))));
    Path image = img.writeTo(dir.resolve("grow.vhdx"));
    byte[] replayed = readAll(image);

    assertEquals(List.of("log-dirty"), codes(repair(image)));

    assertEquals(length + 2L * MIB, Files.size(image));
    assertEquals(List.of(), check(image).findings());
    assertArrayEquals(replayed, readAll(image));
  }

  @Test
  void everyKindAtOnceIsRepairedInOneRun() throws Exception {
    Image img = dirty();
    img.put(VhdxImageBuilder.HEADER1 + 300, new byte[] {1});
    img.put(VhdxImageBuilder.REGION_TABLE2 + 300, new byte[] {1});
    Path image = img.writeTo(dir.resolve("all.vhdx"));
    byte[] replayed = readAll(image);

    Check r = repair(image);

    assertEquals(List.of("header", "region-table", "log-dirty"), codes(r));
    assertTrue(r.remaining().isEmpty(), r.toString());
    assertEquals(List.of(), check(image).findings());
    assertArrayEquals(replayed, readAll(image));
    assertPeersRead(image, replayed);
  }

  // ---- what is not repaired ----------------------------------------------------------------

  @Test
  void aSoundImageIsNotWritten() throws Exception {
    Path image = sound().writeTo(dir.resolve("sound.vhdx"));
    byte[] before = Files.readAllBytes(image);
    assertEquals(List.of(), repair(image).findings());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void bothHeadersBadIsReportedAndNotTouched() throws Exception {
    Image img = sound();
    img.put(VhdxImageBuilder.HEADER1 + 200, new byte[] {1});
    img.put(VhdxImageBuilder.HEADER2 + 200, new byte[] {1});
    assertUnrepairable(img.writeTo(dir.resolve("noheader.vhdx")), "unreadable");
  }

  @Test
  void bothRegionTableCopiesBadIsReportedAndNotTouched() throws Exception {
    Image img = sound();
    img.put(VhdxImageBuilder.REGION_TABLE1 + 200, new byte[] {1});
    img.put(VhdxImageBuilder.REGION_TABLE2 + 200, new byte[] {1});
    assertUnrepairable(img.writeTo(dir.resolve("noregion.vhdx")), "unreadable");
  }

  @Test
  void aLogThatCannotBeReplayedIsReportedAndNotTouched() throws Exception {
    Image img = dirty();
    // A damaged entry: its CRC no longer matches, so the LogGuid has nothing valid behind it.
    long sector = img.logSectorOffset(0, 1);
    img.put(sector + 100, new byte[] {(byte) 0xee});
    Path image = img.writeTo(dir.resolve("badlog.vhdx"));
    byte[] before = Files.readAllBytes(image);
    Check r = repair(image);
    assertFalse(r.findings().isEmpty());
    assertTrue(r.findings().stream().noneMatch(Finding::repaired), r.toString());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  private static void assertUnrepairable(Path image, String code) throws IOException {
    byte[] before = Files.readAllBytes(image);
    Check r = repair(image);
    assertEquals(List.of(code), codes(r));
    assertFalse(r.findings().get(0).repairable());
    assertFalse(r.findings().get(0).repaired());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void repairIsRefusedWhileTheImageIsOpenInThisJvm() throws Exception {
    Path image = dirty().writeTo(dir.resolve("open.vhdx"));
    byte[] before = Files.readAllBytes(image);
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ)) {
      FileSystemException e = assertThrows(FileSystemException.class, () -> repair(image));
      assertTrue(e.getMessage().contains("open in this JVM"), e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(image));
      assertEquals(List.of("log-dirty"), codes(check(image)), "a check alone is not refused");
    }
    assertEquals(List.of("log-dirty"), codes(repair(image)), "closed, it may be repaired");
    assertEquals(List.of(), check(image).findings());
  }

  @Test
  void aReadOnlyFileIsRefusedOnlyWhenTheRepairMustWrite() throws Exception {
    Path hostImage = sound().writeTo(dir.resolve("ro.vhdx"));
    ForwardingHostFileSystem fwd = ForwardingHostFileSystem.over(hostImage.getFileSystem());
    Path image = fwd.wrap(hostImage);
    fwd.setReadOnly(true);
    assertEquals(List.of(), repair(image).findings(), "nothing to repair, nothing written");
    try (FileChannel ch = FileChannel.open(hostImage, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), VhdxImageBuilder.HEADER1 + 200);
    }
    assertThrows(AccessDeniedException.class, () -> repair(image));
    assertEquals(0, fwd.log().mutationCount());
  }

  // ---- crash safety ------------------------------------------------------------------------

  @Test
  void aCutAtAnyHostWriteOfARepairLeavesAnImageThatReadsTheSame() throws Exception {
    Image img = dirty();
    img.put(VhdxImageBuilder.HEADER1 + 300, new byte[] {1});
    img.put(VhdxImageBuilder.REGION_TABLE2 + 300, new byte[] {1});
    Path hostImage = img.writeTo(dir.resolve("cut.vhdx"));
    byte[] initial = Files.readAllBytes(hostImage);
    byte[] content = readAll(hostImage);
    ForwardingHostFileSystem fwd = ForwardingHostFileSystem.over(hostImage.getFileSystem());

    assertTrue(repair(fwd.wrap(hostImage)).remaining().isEmpty());

    List<HostWriteLog.Mutation> writes = fwd.log().mutations();
    List<Long> where = writes.stream()
        .map(m -> ((HostWriteLog.Write) m).position()).toList();
    // Header 2 is current: the pair goes to slot 1, then 2; the replay; the region copy; the
    // pair clearing the LogGuid last.
    assertEquals(List.of(VhdxImageBuilder.HEADER1, VhdxImageBuilder.HEADER2),
        where.subList(0, 2), where.toString());
    assertEquals(List.of(VhdxImageBuilder.REGION_TABLE2, VhdxImageBuilder.HEADER1,
        VhdxImageBuilder.HEADER2), where.subList(where.size() - 3, where.size()),
        where.toString());
    List<Integer> forces = fwd.log().forces();
    for (int n : List.of(1, 2, writes.size() - 3, writes.size() - 2, writes.size() - 1,
        writes.size())) {
      assertTrue(forces.contains(n), "no force after write " + n + ": " + forces);
    }
    // After a cut at any write, the image reads the same, and a second repair finishes it.
    for (int n = 0; n <= writes.size(); n++) {
      Path cut = Files.write(dir.resolve("cut-" + n + ".vhdx"),
          fwd.log().replay(initial, n, hostImage.toString()));
      assertArrayEquals(content, readAll(cut), "after " + n + " writes");
      repair(cut);
      assertEquals(List.of(), check(cut).findings(), "after " + n + " writes and a repair");
      assertArrayEquals(content, readAll(cut), "repaired after " + n + " writes");
    }
    // The replay's writes are forced together, so the host may land any of them before a cut:
    // the LogGuid is still set, and the replay is redone over whatever landed.
    assertEquals(3, writes.size() - 5, "the replay's three sectors: " + where);
    byte[] headersDone = fwd.log().replay(initial, 2, hostImage.toString());
    for (int skip = 2; skip < writes.size() - 3; skip++) {
      byte[] only = writes.get(skip).applyTo(headersDone.clone());
      byte[] allBut = headersDone.clone();
      for (int k = 2; k < writes.size() - 3; k++) {
        allBut = k == skip ? allBut : writes.get(k).applyTo(allBut);
      }
      for (byte[] landed : List.of(only, allBut)) {
        Path cut = Files.write(dir.resolve("landed-" + skip + ".vhdx"), landed);
        assertArrayEquals(content, readAll(cut), "replay write " + skip + " alone or missing");
        repair(cut);
        assertEquals(List.of(), check(cut).findings());
        assertArrayEquals(content, readAll(cut));
      }
    }
  }
}
