package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.Check;
import io.vhdfs.nio.VhdImages.Finding;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.ImageLayout;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VhdImages#check}: sound images give no findings; each defect is found with its code and
 * the offset of the structure at fault; a repair fixes what is safe (footers, out-of-file BAT
 * entries), in a crash-safe order, and never a data byte. Images come from qemu-img, from the
 * library and from {@link VhdImageBuilder} (independent of the library), damaged byte by byte;
 * and every image of {@link MalformedImageTest} is checked too: whatever opening refuses, the
 * check must find.
 */
class ImageCheckTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  // ---- sound images ------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "subformat=fixed"})
  void qemuMadeImageHasNoFindings(String kind) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("qemu.vhd");
    qemu.create(image, 64L * MIB, kind.equals("dynamic") ? "" : kind);
    qemu.write(image, List.of(new QemuTools.Write(0x11, 0, 3L * MIB),
        new QemuTools.Write(0x22, 40L * MIB + 512, MIB),
        new QemuTools.Write(0x33, qemu.virtualSize(image) - 4096, 4096)));
    assertEquals(List.of(), check(image).findings());
  }

  @Test
  void createdImagesOfEveryTypeHaveNoFindings() throws IOException {
    Path dynamic = dir.resolve("dynamic.vhd");
    Chains.createDynamic(dynamic, 16L * MIB, 512 * 1024);
    Chains.write(dynamic, 3L * MIB + 100, Chains.randomBytes(700_000, 1));
    Path fixed = dir.resolve("fixed.vhd");
    Chains.createFixed(fixed, 3L * MIB);
    Chains.write(fixed, 5000, Chains.randomBytes(9000, 2));
    Path child = dir.resolve("child.vhd");
    Chains.createChild(child, "dynamic.vhd", null);
    Chains.write(child, 15L * MIB, Chains.randomBytes(4096, 3));
    for (Path image : List.of(dynamic, fixed, child)) {
      assertEquals(List.of(), check(image).findings(), image.toString());
    }
  }

  @Test
  void builtImagesWithUnusualButSoundLayoutsHaveNoFindings() throws IOException {
    List<VhdImageBuilder> sound = List.of(
        baseDynamic().blockOrder(3, 0, 2).blockAt(2, 4 + 2 * 4097 + 64),
        baseDynamic().headerOffset(8192).tableOffset(4096),
        VhdImageBuilder.dynamic(3L * MIB).blockSize(512 * 1024).write(100_000,
            Chains.randomBytes(700_000, 4)),
        VhdImageBuilder.dynamic(0), VhdImageBuilder.fixed(0), baseDynamic().creator("vpc "));
    for (int i = 0; i < sound.size(); i++) {
      Path image = dir.resolve("sound-" + i + ".vhd");
      sound.get(i).writeTo(image);
      assertEquals(List.of(), check(image).findings(), "image " + i);
    }
  }

  // ---- each defect, with its code and offset -------------------------------------------------

  @Test
  void footerCopiesThatDifferAreFoundAndTheCopyRewrittenFromTheEndFooter() throws IOException {
    Path image = dir.resolve("differ.vhd");
    Layout l = baseDynamic().writeTo(image);
    HostBytes.writeLong(image, VhdImageBuilder.F_CURRENT_SIZE, 16L * MIB);
    VhdImageBuilder.fixFooterChecksum(image, 0);
    Finding f = only(check(image), "footer-copies-differ");
    assertEquals(0, f.offset());
    assertTrue(f.meaning().contains("current size"), f.meaning());
    assertTrue(f.repairable());
    assertRepairs(image, l, "footer-copies-differ");
    assertEquals(ImageLayout.endFooter(image), ImageLayout.copyFooter(image));
  }

  @Test
  void badEndFooterChecksumIsFoundAndTheEndFooterRewrittenFromTheCopy() throws IOException {
    Path image = dir.resolve("end-checksum.vhd");
    Layout l = baseDynamic().writeTo(image);
    flipChecksum(image, l.footerOffset() + VhdImageBuilder.F_CHECKSUM);
    assertEquals(l.footerOffset(), only(check(image), "footer-checksum").offset());
    assertRepairs(image, l, "footer-checksum");
    assertEquals(ImageLayout.copyFooter(image), ImageLayout.endFooter(image));
    assertEquals(l.fileSize(), Files.size(image), "rewritten in place");
  }

  @Test
  void badFooterCopyChecksumIsFoundAndTheCopyRewritten() throws IOException {
    Path image = dir.resolve("copy-checksum.vhd");
    Layout l = baseDynamic().writeTo(image);
    flipChecksum(image, VhdImageBuilder.F_CHECKSUM);
    assertEquals(0, only(check(image), "footer-checksum").offset());
    assertRepairs(image, l, "footer-checksum");
  }

  @Test
  void badChecksumsInBothFootersAreFoundButNotRepaired() throws IOException {
    Path image = dir.resolve("both-checksums.vhd");
    Layout l = baseDynamic().writeTo(image);
    for (long at : l.footerOffsets()) {
      flipChecksum(image, at + VhdImageBuilder.F_CHECKSUM);
    }
    Check c = check(image);
    assertEquals(List.of("footer-checksum", "footer-checksum"), codes(c));
    assertEquals(Set.of(l.footerOffset(), 0L), Set.of(c.findings().get(0).offset(),
        c.findings().get(1).offset()));
    assertNothingRepaired(image);
  }

  @Test
  void badHeaderChecksumIsFoundButNotRepaired() throws IOException {
    Path image = dir.resolve("header-checksum.vhd");
    Layout l = baseDynamic().writeTo(image);
    flipChecksum(image, l.headerOffset() + VhdImageBuilder.H_CHECKSUM);
    Finding f = only(check(image), "header-checksum");
    assertEquals(l.headerOffset(), f.offset());
    assertFalse(f.repairable());
    assertNothingRepaired(image);
  }

  @Test
  void batEntryPastTheEndOfFileIsFoundAndMarkedUnallocated() throws IOException {
    Path image = dir.resolve("entry-past-eof.vhd");
    VhdImageBuilder b = baseDynamic();
    Layout l = b.writeTo(image);
    HostBytes.writeInt(image, l.batEntryOffset(2), (int) (l.fileSize() / 512 + 100));
    Check c = check(image);
    Finding f = only(c, "entry-outside-file");
    assertEquals(l.batEntryOffset(2), f.offset());
    assertTrue(f.repairable());
    // Block 2's storage is now referenced by nothing: found as orphan space, not repaired.
    assertEquals(l.bitmapOffset(2), only(c, "orphan-space").offset());

    Map<Integer, String> blocks = blockHashes(image, l);
    byte[] before = Files.readAllBytes(image);
    Check r = repair(image);
    assertTrue(only(r, "entry-outside-file").repaired());
    assertEquals(List.of("orphan-space"), codes(new Check(image, r.remaining())));
    assertEquals(blocks, blockHashes(image, l), "a block's bytes changed");
    assertOnlyMetadataChanged(before, Files.readAllBytes(image), l);
    assertEquals(-1, ImageLayout.bat(image, ImageLayout.header(image))[2]);

    byte[] expected = b.expectedDisk();
    Arrays.fill(expected, 4 * MIB, 6 * MIB, (byte) 0);
    Chains.assertSameBytes(expected, Chains.readDisk(image), 0, "the repaired image");
  }

  @Test
  void overlappingBatEntriesAreFound() throws IOException {
    Path alias = dir.resolve("alias.vhd");
    Layout l = baseDynamic().writeTo(alias);
    HostBytes.writeInt(alias, l.batEntryOffset(2), (int) l.blockSector(0));
    Finding f = only(check(alias), "entries-overlap");
    assertEquals(l.batEntryOffset(2), f.offset());
    assertTrue(f.meaning().contains("both point at the block at byte " + l.bitmapOffset(0)),
        f.meaning());

    Path partial = dir.resolve("partial.vhd");
    l = baseDynamic().writeTo(partial);
    HostBytes.writeInt(partial, l.batEntryOffset(2), (int) l.blockSector(0) + 2048);
    assertEquals(l.batEntryOffset(2), only(check(partial), "entries-overlap").offset());
    assertNothingRepaired(partial);
  }

  @ParameterizedTest(name = "into the {0}")
  @ValueSource(strings = {"dynamic header", "BAT", "footer copy"})
  void batEntryIntoMetadataIsFound(String what) throws IOException {
    Path image = dir.resolve("entry-into-metadata.vhd");
    Layout l = baseDynamic().writeTo(image);
    long sector = switch (what) {
      case "dynamic header" -> 1;
      case "BAT" -> l.tableOffset() / 512;
      default -> 0;
    };
    HostBytes.writeInt(image, l.batEntryOffset(2), (int) sector);
    Finding f = only(check(image), "entry-over-metadata");
    assertEquals(l.batEntryOffset(2), f.offset());
    assertTrue(f.meaning().contains("the " + what + " at "), f.meaning());
  }

  @Test
  void batEntryIntoParentLocatorDataIsFound() throws IOException {
    Path image = dir.resolve("child.vhd");
    Layout l = childOf(image).writeTo(image);
    HostBytes.writeInt(image, l.batEntryOffset(0), (int) (l.locatorDataOffset(0) / 512));
    Finding f = only(check(image), "entry-over-metadata");
    assertTrue(f.meaning().contains("parent locator 0 data"), f.meaning());
  }

  @Test
  void blockRunningOverTheEndFooterIsFound() throws IOException {
    Path image = dir.resolve("over-footer.vhd");
    Layout l = baseDynamic().writeTo(image);
    HostBytes.writeInt(image, l.batEntryOffset(3), (int) l.blockSector(3) + 1);
    assertEquals(l.batEntryOffset(3), only(check(image), "entry-over-footer").offset());
  }

  @Test
  void truncatedTailIsFoundAndNotRepaired() throws IOException {
    Path image = dir.resolve("truncated.vhd");
    Layout l = baseDynamic().writeTo(image);
    HostBytes.truncate(image, l.blockDataOffset(3) + MIB + 2000);
    Check c = check(image);
    Finding cut = only(c, "entry-truncated");
    assertEquals(l.batEntryOffset(3), cut.offset());
    assertTrue(cut.meaning().contains("past the end of the file"), cut.meaning());
    // The footer is lost with the tail, but where it belongs is no longer known: not rewritten.
    assertFalse(only(c, "footer-lost").repairable());
    assertNothingRepaired(image);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"zeroed", "cut off"})
  void lostEndFooterIsFoundAndRewrittenFromTheCopy(String how) throws IOException {
    Path image = dir.resolve("lost.vhd");
    Layout l = baseDynamic().writeTo(image);
    byte[] original = Files.readAllBytes(image);
    if (how.equals("zeroed")) {
      HostBytes.write(image, l.footerOffset(), new byte[512]);
    } else {
      HostBytes.truncate(image, l.footerOffset());
    }
    Finding f = only(check(image), "footer-lost");
    assertEquals(Files.size(image) - 512, f.offset());
    assertTrue(f.repairable());
    assertRepairs(image, l, "footer-lost");
    assertArrayEquals(original, Files.readAllBytes(image), "the image as it was written");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dynamic", "fixed"})
  void shortFooterIsFoundAndRewrittenAsAWholeOne(String type) throws IOException {
    Path image = dir.resolve("short.vhd");
    VhdImageBuilder b = type.equals("fixed")
        ? VhdImageBuilder.fixed(60L * 4 * 17 * 512).write(0, Chains.randomBytes(30_000, 5))
        : baseDynamic();
    Layout l = b.shortFooter(true).writeTo(image);
    assertEquals(l.footerOffset(), only(check(image), "short-footer").offset());
    assertRepairs(image, l, "short-footer");
    assertEquals(l.fileSize() + 1, Files.size(image));
    assertArrayEquals(b.shortFooter(false).footerBytes(),
        HostBytes.read(image, l.footerOffset(), 512));
    Chains.assertSameBytes(b.expectedDisk(), Chains.readDisk(image), 0, "the repaired image");
  }

  @Test
  void missingFooterCopyIsFoundAndWritten() throws IOException {
    Path image = dir.resolve("no-copy.vhd");
    Layout l = baseDynamic().footerCopy(false).writeTo(image);
    assertEquals(0, only(check(image), "footer-copy-missing").offset());
    assertRepairs(image, l, "footer-copy-missing");
  }

  @Test
  void blockWhoseEntryWasNeverWrittenIsFoundAsOrphanSpace() throws IOException {
    // What a crash between placing a block and writing its BAT entry leaves.
    Path image = dir.resolve("orphan.vhd");
    Layout l = baseDynamic().writeTo(image);
    HostBytes.writeInt(image, l.batEntryOffset(2), VhdImageBuilder.UNUSED_BAT_ENTRY);
    Finding f = only(check(image), "orphan-space");
    assertEquals(l.bitmapOffset(2), f.offset());
    assertTrue(f.meaning().startsWith(l.blockSpan() + " bytes from byte " + l.bitmapOffset(2)),
        f.meaning());
  }

  @Test
  void parentWithAnotherUniqueIdIsFound() throws IOException {
    Path image = dir.resolve("child.vhd");
    UUID recorded = UUID.nameUUIDFromBytes(new byte[] {4});
    Layout l = childOf(image).parentId(recorded).writeTo(image);
    Finding f = only(check(image), "parent-id-mismatch");
    assertEquals(l.headerOffset() + VhdImageBuilder.H_PARENT_ID, f.offset());
    assertTrue(f.meaning().contains(recorded.toString()), f.meaning());
    assertTrue(f.meaning().contains("parent.vhd"), f.meaning());
    assertEquals(List.of(), VhdImages.check(image, false, Map.of("ignoreParentId", "true"),
        VhdImages.Progress.NONE).findings(), "ignoreParentId accepts it");
  }

  @Test
  void missingParentIsFoundNamingThePlacesTried() throws IOException {
    Path image = dir.resolve("orphan-child.vhd");
    VhdImageBuilder.differencing(8L * MIB).parentId(UUID.nameUUIDFromBytes(new byte[] {5}))
        .parentName("parent.vhd").parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\parent.vhd")
        .write(0, Chains.randomBytes(4096, 6)).writeTo(image);
    Finding f = only(check(image), "parent-missing");
    assertTrue(f.meaning().startsWith("parent image 'parent.vhd' not found; places tried: "),
        f.meaning());
  }

  @Test
  void differencingImageThatIsItsOwnParentIsFound() throws IOException {
    Path image = dir.resolve("self.vhd");
    UUID id = UUID.nameUUIDFromBytes(new byte[] {1});
    VhdImageBuilder.differencing(8L * MIB).uniqueId(id).parentId(id).parentName("self.vhd")
        .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\self.vhd")
        .write(0, Chains.randomBytes(4096, 7)).writeTo(image);
    assertTrue(only(check(image), "parent-chain").meaning().contains("loops"));
  }

  @Test
  void offsetsNearTheLargestLongAreFindingsNotErrors() throws IOException {
    // Offset plus length would overflow: the bounds checks must not wrap around.
    Path image = dir.resolve("huge-table-offset.vhd");
    Layout l = baseDynamic().writeTo(image);
    HostBytes.writeLong(image, l.headerOffset() + VhdImageBuilder.H_TABLE_OFFSET,
        Long.MAX_VALUE - 8);
    VhdImageBuilder.fixHeaderChecksum(image, l.headerOffset());
    assertEquals(l.headerOffset() + VhdImageBuilder.H_TABLE_OFFSET,
        only(check(image), "table-location").offset());

    Path child = dir.resolve("huge-locator-offset.vhd");
    l = childOf(child).writeTo(child);
    HostBytes.writeLong(child, l.parentLocatorEntryOffset(0) + VhdImageBuilder.L_DATA_OFFSET,
        Long.MAX_VALUE - 10);
    VhdImageBuilder.fixHeaderChecksum(child, l.headerOffset());
    Check c = check(child);
    assertEquals(List.of("locator"), codes(c), "the parent is still found by its name");
    assertEquals(l.parentLocatorEntryOffset(0) + VhdImageBuilder.L_DATA_OFFSET,
        c.findings().get(0).offset());
  }

  @Test
  void everyDefectOfADamagedImageIsReportedNotJustTheFirst() throws IOException {
    Path image = dir.resolve("many.vhd");
    Layout l = baseDynamic().writeTo(image);
    flipChecksum(image, VhdImageBuilder.F_CHECKSUM);
    HostBytes.writeInt(image, l.batEntryOffset(1), (int) (l.fileSize() / 512 + 7));
    HostBytes.writeInt(image, l.batEntryOffset(3), (int) l.blockSector(0));
    assertEquals(List.of("footer-checksum", "entry-outside-file", "entries-overlap",
        "orphan-space"), codes(check(image)));
  }

  @Test
  void aTableOfMillionsOfBadEntriesIsSummedUpNotListedOneByOne() throws IOException {
    Path image = dir.resolve("zeros.vhd");
    Layout l = VhdImageBuilder.dynamic(1L << 30).blockSize(512 * 1024).writeTo(image);
    HostBytes.write(image, l.tableOffset(), new byte[(int) l.batBytes()]);
    Check c = check(image);
    long overMetadata = c.findings().stream().filter(f -> f.code().equals("entry-over-metadata"))
        .count();
    assertEquals(100, overMetadata);
    Finding more = c.findings().stream().filter(f -> f.code().equals("more")
        && f.meaning().contains("of kind entry-over-metadata")).findFirst().orElseThrow();
    assertTrue(more.meaning().startsWith((2048 - 100) + " more findings of kind "
        + "entry-over-metadata"), more.meaning());
  }

  // ---- what opening refuses, the check finds -------------------------------------------------

  /** Images of the malformed-image table that must give no findings at all. */
  private static final Set<String> SOUND_CASES = Set.of("valid dynamic image",
      "valid fixed image", "blocks stored out of order with a gap",
      "bitmap marks only sector 0 of a block", "zero-size dynamic image",
      "zero-size fixed image", "Virtual PC dynamic image sized by CHS",
      "differencing child over its parent", "size not a multiple of the block size",
      "512 KiB blocks", "header and BAT at unusual offsets",
      "allocated block with an all-clear bitmap", "saved-state and temporary flags set",
      "largest dynamic disk 2040 GiB", "chain of 32 images, the most opened",
      "one BAT entry more than the size needs, as old qemu-img wrote");

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.vhdfs.MalformedImageTest#casesSmallEnoughForMemory")
  void whateverOpeningRefusesTheCheckFinds(MalformedImageTest.Case c) throws IOException {
    Path image = dir.resolve(c.fileName());
    MalformedImageTest.Expect expect = c.maker.make(image);
    byte[] before = Files.readAllBytes(image);
    String refusal = refusalOf(image);
    if (expect.noCookie) {
      VhdFormatException e = assertThrows(VhdFormatException.class, () -> check(image));
      assertTrue(e.getMessage().contains("not a VHD image"), e.getMessage());
      return;
    }
    Check found = check(image);
    System.out.printf(java.util.Locale.ROOT, "%-60s %-7s %s%n", c.name,
        refusal == null ? "opens" : "refused", found.findings().stream()
            .map(f -> f.code() + "@" + f.offset()).toList());
    if (refusal != null) {
      assertFalse(found.findings().isEmpty(), "opening refuses the image (" + refusal
          + ") but the check finds nothing");
    }
    if (SOUND_CASES.contains(c.name)) {
      assertEquals(List.of(), found.findings());
    }
    for (Finding f : found.findings()) {
      assertTrue(f.offset() >= -1 && f.offset() <= before.length, f.toString());
      assertFalse(f.meaning().isBlank() || f.repaired(), f.toString());
    }
    assertArrayEquals(before, Files.readAllBytes(image), "a check without repair wrote");
  }

  /**
   * A repair of any image of the malformed-image table writes nothing but footers and BAT entries
   * marked unallocated, leaves an image that opened reading exactly as before, and reports the
   * truth: checking again finds what it says remains.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.vhdfs.MalformedImageTest#casesSmallEnoughForMemory")
  void repairWritesOnlyFootersAndBatEntriesAndReportsWhatRemains(MalformedImageTest.Case c)
      throws IOException {
    Path image = dir.resolve(c.fileName());
    MalformedImageTest.Expect expect = c.maker.make(image);
    if (expect.noCookie) {
      return;
    }
    byte[] before = Files.readAllBytes(image);
    boolean opened = refusalOf(image) == null;
    byte[] disk = opened && before.length < 64 * MIB && Files.size(image) < 64 * MIB
        && virtualSize(image) <= 64 * MIB ? Chains.readDisk(image) : null;
    MetadataPlaces places = MetadataPlaces.of(before);
    Check repaired = repair(image);
    byte[] after = Files.readAllBytes(image);
    for (int i = 0; i < Math.min(before.length, after.length); i++) {
      if (before[i] != after[i]) {
        int word = i & ~3;
        boolean footer = (places.footerCopyAtZero && i < 512) || i >= before.length - 512;
        boolean unallocated = places.inBat(word) && ByteBuffer.wrap(after, word, 4).getInt() == -1;
        assertTrue(footer || unallocated, "the repair wrote byte " + i + ", which is neither in "
            + "a footer nor a BAT entry marked unallocated (" + places + ")");
        i = footer ? i : word + 3;
      }
    }
    assertEquals(sorted(codes(new Check(image, repaired.remaining()))), sorted(codes(check(image))),
        "what a second check finds");
    if (opened) {
      assertEquals(null, refusalOf(image), "opened before the repair, refused after it");
    }
    if (disk != null) {
      assertArrayEquals(disk, Chains.readDisk(image), "the disk reads otherwise after repair");
    }
  }

  // ---- repair: peers, order, refusal ---------------------------------------------------------

  @ParameterizedTest(name = "end footer {0}")
  @ValueSource(strings = {"zeroed", "cut off"})
  void repairOfALostEndFooterGivesAnImageQemuReadsAsTheOriginal(String how) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path original = qemuImageWithData(qemu);
    Path image = withLostEndFooter(original, how);
    Check r = repair(image);
    assertEquals(List.of("footer-lost"), codes(r));
    assertTrue(r.remaining().isEmpty());
    assertEquals(Chains.sha256(original), Chains.sha256(image), "byte for byte the original");
    Path raw = dir.resolve("original.raw");
    qemu.convertToRaw(original, raw);
    QemuTools.Exit same = qemu.compare(image, raw);
    assertEquals(0, same.code(), same.describe());
    assertEquals(qemu.virtualSize(original), qemu.virtualSize(image));
  }

  @ParameterizedTest(name = "end footer {0}")
  @ValueSource(strings = {"zeroed", "cut off"})
  void repairOfALostEndFooterGivesAnImageLibvhdiReadsAsTheOriginal(String how)
      throws IOException {
    QemuTools qemu = QemuTools.require();
    Libvhdi libvhdi = Libvhdi.require();
    Path original = qemuImageWithData(qemu);
    Path image = withLostEndFooter(original, how);
    assertTrue(repair(image).remaining().isEmpty());
    List<Libvhdi.Window> windows = Libvhdi.chunks(qemu.virtualSize(original), 4L * MIB);
    Libvhdi.Reading want = libvhdi.read(original, windows, dir);
    Libvhdi.Reading got = libvhdi.read(image, windows, dir);
    assertEquals(want.mediaSize(), got.mediaSize());
    assertEquals(want.lines(), got.lines());
  }

  @Test
  void repairWritesTheEndFooterFirstThenTheBatThenTheCopyEachForced() throws IOException {
    // Every kind of repair at once, recorded on the way to the host.
    Path hostImage = dir.resolve("all.vhd");
    Layout l = baseDynamic().shortFooter(true).writeTo(hostImage);
    HostBytes.writeInt(hostImage, l.batEntryOffset(1), (int) (l.fileSize() / 512 + 100));
    flipChecksum(hostImage, VhdImageBuilder.F_CHECKSUM);
    byte[] initial = Files.readAllBytes(hostImage);
    io.vhdfs.testing.ForwardingHostFileSystem fwd =
        io.vhdfs.testing.ForwardingHostFileSystem.over(hostImage.getFileSystem());
    Path image = fwd.wrap(hostImage);
    Check r = repair(image);
    assertEquals(List.of("short-footer", "footer-checksum", "entry-outside-file"), codes(r));
    assertTrue(r.remaining().isEmpty(), r.toString());

    List<io.vhdfs.testing.HostWriteLog.Mutation> writes = fwd.log().mutations();
    List<Long> where = writes.stream()
        .map(m -> ((io.vhdfs.testing.HostWriteLog.Write) m).position()).toList();
    assertEquals(List.of(l.footerOffset(), l.batEntryOffset(1), 0L), where, writes.toString());
    List<Integer> forces = fwd.log().forces();
    for (int n = 1; n <= writes.size(); n++) {
      int done = n;
      assertTrue(forces.contains(done), "no force after write " + n + ": " + forces);
    }
    // A crash after any write leaves an image with fewer findings, never a new one.
    List<String> left = codes(check(hostImage, initial));
    for (int n = 1; n <= writes.size(); n++) {
      byte[] cut = fwd.log().replay(initial, n, hostImage.toString());
      List<String> now = codes(check(hostImage, cut));
      assertTrue(left.containsAll(now) && now.size() < left.size(), "after " + n + " writes: "
          + now + ", before: " + left);
      left = now;
    }
    assertEquals(List.of(), left);
  }

  @Test
  void repairIsRefusedWhileTheImageIsOpenForWriting() throws IOException {
    Path image = dir.resolve("open.vhd");
    Chains.createDynamic(image, 8L * MIB, 2 * MIB);
    try (FileSystem fs = Chains.open(image);
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      Chains.writeFully(ch, 0, Chains.randomBytes(4096, 8));
      ch.force(true);
      byte[] before = Files.readAllBytes(image);
      FileSystemException e = assertThrows(FileSystemException.class, () -> repair(image));
      assertTrue(e.getMessage().contains("open in this JVM"), e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(image));
      assertEquals(List.of(), check(image).findings(), "a check alone is not refused");
    }
    assertEquals(List.of(), repair(image).findings(), "closed, it may be repaired");
  }

  @Test
  void repairOfAReadOnlyFileIsRefusedOnlyWhenItMustWrite() throws IOException {
    Path hostImage = dir.resolve("read-only.vhd");
    Layout l = baseDynamic().writeTo(hostImage);
    io.vhdfs.testing.ForwardingHostFileSystem fwd =
        io.vhdfs.testing.ForwardingHostFileSystem.over(hostImage.getFileSystem());
    Path image = fwd.wrap(hostImage);
    fwd.setReadOnly(true);
    assertEquals(List.of(), repair(image).findings(), "nothing to repair, nothing written");
    HostBytes.write(hostImage, l.footerOffset(), new byte[512]);
    assertThrows(java.nio.file.AccessDeniedException.class, () -> repair(image));
    assertEquals(0, fwd.log().mutationCount());
  }

  @Test
  void progressReachesTheWholeTable() throws IOException {
    Path image = dir.resolve("progress.vhd");
    Layout l = VhdImageBuilder.dynamic(1L << 30).block(3, Chains.randomBytes(4096, 9))
        .writeTo(image);
    List<long[]> calls = new ArrayList<>();
    VhdImages.check(image, false, Map.of(), (done, total) -> calls.add(new long[] {done, total}));
    assertFalse(calls.isEmpty());
    long[] last = calls.get(calls.size() - 1);
    assertEquals(4L * l.batEntries(), last[0]);
    assertEquals(last[0], last[1]);
  }

  @Test
  void aFileThatIsNoVhdIsAnErrorNotAFinding() throws IOException {
    Path noise = Files.write(dir.resolve("noise.bin"), Chains.randomBytes(64 * 1024, 10));
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> check(noise));
    assertTrue(e.getMessage().startsWith(noise + ": not a VHD image"), e.getMessage());
    assertThrows(java.nio.file.NoSuchFileException.class,
        () -> check(dir.resolve("missing.vhd")));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private static Check check(Path image) throws IOException {
    return VhdImages.check(image, false, Map.of(), VhdImages.Progress.NONE);
  }

  private static Check repair(Path image) throws IOException {
    return VhdImages.check(image, true, Map.of(), VhdImages.Progress.NONE);
  }

  /** The check of {@code content} written over {@code image} (a scratch copy). */
  private Check check(Path image, byte[] content) throws IOException {
    Path scratch = Files.write(dir.resolve("scratch-" + image.getFileName()), content);
    return check(scratch);
  }

  /** Repairs {@code image}, which has exactly one finding of {@code code}; then all is sound. */
  private static void assertRepairs(Path image, Layout l, String code) throws IOException {
    Map<Integer, String> blocks = blockHashes(image, l);
    byte[] before = Files.readAllBytes(image);
    Check r = repair(image);
    assertEquals(List.of(code), codes(r));
    assertTrue(r.findings().get(0).repaired(), r.toString());
    assertEquals(List.of(), r.remaining());
    assertEquals(List.of(), check(image).findings(), "checked again after the repair");
    assertEquals(blocks, blockHashes(image, l), "a block's bytes changed");
    assertOnlyMetadataChanged(before, Files.readAllBytes(image), l);
  }

  /** A repair of an image whose findings no repair fixes writes nothing. */
  private static void assertNothingRepaired(Path image) throws IOException {
    byte[] before = Files.readAllBytes(image);
    Check r = repair(image);
    assertTrue(r.findings().stream().noneMatch(f -> f.repairable() || f.repaired()),
        r.toString());
    assertArrayEquals(before, Files.readAllBytes(image));
  }

  /** Each allocated block's bitmap and data, hashed, by the layout the builder wrote. */
  private static Map<Integer, String> blockHashes(Path image, Layout l) throws IOException {
    Map<Integer, String> hashes = new LinkedHashMap<>();
    long size = Files.size(image);
    for (int block : l.allocatedBlocks()) {
      long at = l.bitmapOffset(block);
      int n = (int) Math.max(0, Math.min(l.blockSpan(), size - at));
      hashes.put(block, HexFormat.of().formatHex(Chains.newSha256().digest(
          HostBytes.read(image, at, n))));
    }
    return hashes;
  }

  /**
   * Every changed byte lies in the footer copy (which only dynamic and differencing images have:
   * a fixed image's first sector is guest data), the BAT or from the end footer on.
   */
  private static void assertOnlyMetadataChanged(byte[] before, byte[] after, Layout l) {
    for (int i = 0; i < Math.min(before.length, after.length); i++) {
      if (before[i] != after[i]) {
        boolean copy = l.type() != VhdImageBuilder.DiskType.FIXED && i < 512;
        boolean bat = i >= l.tableOffset() && i < l.tableOffset() + l.batBytes();
        boolean end = i >= l.footerOffset();
        assertTrue(copy || bat || end, "the repair changed byte " + i + ", outside the footers "
            + "and the BAT");
      }
    }
  }

  /**
   * Where a repair may write in a possibly malformed image, read from its bytes before the
   * repair (the format, not the library): the first sector only when the image's footer says it
   * is dynamic or differencing, for only those keep a footer copy there (a fixed image's first
   * sector is guest data); BAT entries only inside the table the dynamic header declares.
   */
  private record MetadataPlaces(boolean footerCopyAtZero, long batStart, long batEnd) {
    static MetadataPlaces of(byte[] image) {
      ByteBuffer b = ByteBuffer.wrap(image);
      int footer = -1;
      for (int at : new int[] {image.length - 512, image.length - 511, 0}) {
        if (at >= 0 && at + 64 <= image.length && isCookie(image, at, "conectix")) {
          footer = at;
          break;
        }
      }
      if (footer < 0) {
        return new MetadataPlaces(false, 0, 0);
      }
      int type = b.getInt(footer + VhdImageBuilder.F_DISK_TYPE);
      if (type != VhdImageBuilder.DiskType.DYNAMIC.code
          && type != VhdImageBuilder.DiskType.DIFFERENCING.code) {
        return new MetadataPlaces(false, 0, 0);
      }
      long header = b.getLong(footer + VhdImageBuilder.F_DATA_OFFSET);
      if (header < 0 || header > image.length - VhdImageBuilder.HEADER_SIZE
          || !isCookie(image, (int) header, "cxsparse")) {
        return new MetadataPlaces(true, 0, 0);
      }
      long table = b.getLong((int) header + VhdImageBuilder.H_TABLE_OFFSET);
      long entries = Integer.toUnsignedLong(
          b.getInt((int) header + VhdImageBuilder.H_MAX_TABLE_ENTRIES));
      return new MetadataPlaces(true, table, table + 4 * entries);
    }

    boolean inBat(long offset) {
      return offset >= batStart && offset + 4 <= batEnd;
    }

    private static boolean isCookie(byte[] image, int at, String cookie) {
      return new String(image, at, 8, java.nio.charset.StandardCharsets.US_ASCII).equals(cookie);
    }
  }

  private static List<String> codes(Check c) {
    return c.findings().stream().map(Finding::code).toList();
  }

  private static List<String> sorted(List<String> codes) {
    return codes.stream().sorted().toList();
  }

  /** The one finding of {@code code}, failing unless there is exactly one. */
  private static Finding only(Check c, String code) {
    List<Finding> found = c.findings().stream().filter(f -> f.code().equals(code)).toList();
    assertEquals(1, found.size(), "findings of " + code + " in " + c.findings());
    return found.get(0);
  }

  /**
   * Why opening the image (with its parents) fails, or null if it opens. Not describe, which
   * shows a child whose chain is broken on its own.
   */
  private static String refusalOf(Path image) throws IOException {
    try {
      java.nio.file.FileSystems.newFileSystem(
          java.net.URI.create("vhd:" + image.toUri().getRawPath()), Map.of()).close();
      return null;
    } catch (VhdFormatException e) {
      return e.getMessage();
    }
  }

  private static long virtualSize(Path image) throws IOException {
    return ((Number) VhdImages.describe(image, Map.of()).get("virtualSize")).longValue();
  }

  private static void flipChecksum(Path image, long offset) throws IOException {
    HostBytes.writeInt(image, offset, HostBytes.readInt(image, offset) ^ 0x0000_0100);
  }

  /** A 64 MiB qemu-img image with data in several blocks, the last sector included. */
  private Path qemuImageWithData(QemuTools qemu) {
    Path image = dir.resolve("qemu-original.vhd");
    qemu.create(image, 64L * MIB, "");
    long size = qemu.virtualSize(image);
    qemu.write(image, List.of(new QemuTools.Write(0x11, 0, 3L * MIB),
        new QemuTools.Write(0x22, 40L * MIB + 512, MIB),
        new QemuTools.Write(0x33, size - 4096, 4096)));
    return image;
  }

  /** A copy of {@code original} whose end footer is zeroed or cut off. */
  private Path withLostEndFooter(Path original, String how) throws IOException {
    Path image = Files.copy(original, dir.resolve("lost-" + how.replace(' ', '-') + ".vhd"),
        StandardCopyOption.REPLACE_EXISTING);
    long footerAt = Files.size(image) - 512;
    if (how.equals("zeroed")) {
      HostBytes.write(image, footerAt, new byte[512]);
    } else {
      HostBytes.truncate(image, footerAt);
    }
    Check c = check(image);
    assertEquals(List.of("footer-lost"), codes(c));
    assertTrue(c.findings().get(0).repairable());
    return image;
  }

  /** 8 MiB, 4 blocks: 0 and 2 full of noise, 3 with 5000 bytes at 1 MiB + 100, 1 unallocated. */
  private static VhdImageBuilder baseDynamic() {
    return VhdImageBuilder.dynamic(8L * MIB)
        .block(0, Chains.randomBytes(2 * MIB, 1))
        .block(2, Chains.randomBytes(2 * MIB, 2))
        .write(7L * MIB + 100, Chains.randomBytes(5000, 3));
  }

  /** A child (not yet written) of a parent written as {@code parent.vhd} next to it. */
  private static VhdImageBuilder childOf(Path image) throws IOException {
    VhdImageBuilder parent = VhdImageBuilder.dynamic(8L * MIB)
        .block(0, Chains.randomBytes(2 * MIB, 10)).block(3, Chains.randomBytes(MIB, 11));
    parent.writeTo(image.resolveSibling("parent.vhd"));
    return VhdImageBuilder.differencing(parent, "parent.vhd")
        .write(MIB, Chains.randomBytes(4096, 12));
  }
}
