package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Cli;
import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tool on VHDX sources: {@code info} shows every header, region, metadata item, the log and
 * the BAT as the file holds them; {@code map} in qemu-img's shape (qemu-img's own VHDX map is
 * one data extent, asserted as its divergence); {@code compare} across VHDX, VHD and raw;
 * {@code convert} to raw, fixed and dynamic VHD equal to {@code qemu-img convert -O raw};
 * {@code check} refused in one line.
 */
final class VhdxCommandsTest {
  private static final long MIB = 1 << 20;
  private static final long SIZE = 64 * MIB;

  @TempDir Path dir;

  /** A qemu-img dynamic VHDX (8 MiB blocks) with data in blocks 0 and 2, one write odd. */
  private Path qemuDynamic() {
    VhdxTools vhdx = VhdxTools.require();
    Path image = dir.resolve("q.vhdx");
    vhdx.create(image, SIZE, "");
    vhdx.write(image, List.of(new Write(0xab, MIB, 65536), new Write(0xcd, 20 * MIB + 512, 4096),
        new Write(0xef, SIZE - 512, 512)));
    return image;
  }

  private Path qemuRaw(Path image) {
    Path raw = dir.resolve(image.getFileName() + ".qemu.raw");
    VhdxTools.require().convertToRaw(image, raw);
    return raw;
  }

  private static ByteBuffer read(Path file, long at, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file)) {
      ch.read(b, at);
    }
    return b.flip();
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }

  @Test
  void infoJsonShowsBothHeadersRegionsMetadataLogAndBatAsTheFileHoldsThem() throws IOException {
    Path image = qemuDynamic();
    Map<String, Object> qemu = JsonReader.object(VhdxTools.require().infoJson(image));

    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));

    assertEquals("vhdx", info.get("format"));
    assertEquals("dynamic", info.get("diskType"));
    assertEquals(qemu.get("virtual-size"), info.get("virtualSize"));
    assertEquals(qemu.get("cluster-size"), info.get("blockSize"));
    assertTrue(((String) info.get("creator")).startsWith("QEMU"), info.toString());
    List<Map<String, Object>> headers = cast(info.get("headers"));
    assertEquals(2, headers.size());
    long[] seq = new long[2];
    for (int i = 0; i < 2; i++) {
      Map<String, Object> h = headers.get(i);
      ByteBuffer raw = read(image, 0x10000L * (i + 1), 80);
      seq[i] = raw.getLong(8);
      assertEquals(0x10000L * (i + 1), h.get("offset"));
      assertEquals(true, h.get("valid"));
      assertEquals(Long.toUnsignedString(seq[i]), h.get("sequenceNumber"));
      assertEquals(raw.getInt(68) & 0xFFFFFFFFL, h.get("logLength"));
      assertEquals(raw.getLong(72), h.get("logOffset"));
    }
    int current = Long.compareUnsigned(seq[0], seq[1]) >= 0 ? 1 : 2;
    assertEquals((long) current, info.get("currentHeader"));
    assertEquals(true, headers.get(current - 1).get("current"));
    assertEquals(false, headers.get(2 - current).get("current"));
    assertEquals(headers.get(current - 1).get("dataWriteGuid"), info.get("dataWriteGuid"));

    Map<String, Object> regions = cast(info.get("regionTable"));
    assertEquals(1L, regions.get("copyUsed"));
    List<Map<String, Object>> entries = cast(regions.get("entries"));
    ByteBuffer table = read(image, 0x30000, 64 + 2 * 32);
    for (int i = 0; i < entries.size(); i++) {
      assertEquals(table.getLong(16 + 32 * i + 16), entries.get(i).get("fileOffset"));
      assertEquals((long) table.getInt(16 + 32 * i + 24), entries.get(i).get("length"));
    }
    assertEquals(List.of("BAT region", "metadata region"),
        entries.stream().map(e -> e.get("name")).sorted().toList());

    List<Map<String, Object>> items = cast(info.get("metadataItems"));
    assertEquals(List.of("File Parameters", "Logical Sector Size", "Physical Sector Size",
        "Virtual Disk ID", "Virtual Disk Size"),
        items.stream().map(e -> (String) e.get("name")).sorted().toList());
    for (Map<String, Object> item : items) {
      if (item.get("name").equals("Virtual Disk Size")) {
        assertEquals(SIZE, item.get("value"));
        assertEquals(SIZE, read(image, (Long) item.get("fileOffset"), 8).getLong());
      } else if (item.get("name").equals("Logical Sector Size")) {
        assertEquals(512L, item.get("value"));
      } else if (item.get("name").equals("File Parameters")) {
        Map<String, Object> p = cast(item.get("value"));
        assertEquals(qemu.get("cluster-size"), p.get("blockSize"));
        assertEquals(false, p.get("hasParent"));
      }
    }

    Map<String, Object> log = cast(info.get("log"));
    assertEquals("clean", log.get("state"));
    Map<String, Object> bat = cast(info.get("bat"));
    assertEquals(8L, bat.get("payloadBlocks"));
    Map<String, Object> states = cast(bat.get("states"));
    assertEquals(3L, states.get("FULLY_PRESENT"), "blocks 0, 2 and 7 hold qemu-io's writes");
    assertEquals(5L, states.get("ZERO"), "qemu-img marks the others ZERO by default");
    assertEquals(3L, info.get("allocatedBlocks"));
  }

  @Test
  void infoTextIndentsTheNestedSections() throws IOException {
    Path image = qemuDynamic();
    String text = ok("info", image.toString());
    assertTrue(text.contains("\nregionTable        :\n  copyUsed  : 1\n"), text);
    assertTrue(text.contains("\nlog                :\n  state   : clean\n"), text);
    assertTrue(text.contains("    name          : Virtual Disk Size\n"), text);
  }

  @Test
  void infoOfADirtyLogSaysItWasReplayedInMemoryWithItsSequence() throws IOException {
    UUID logGuid = UUID.fromString("4c4f4721-0000-4000-8000-0000000000c1");
    Image img = VhdxImageBuilder.dynamic(SIZE).fill(4096, 8192, 0xab).build();
    byte[] batSector = img.read(img.batOffset(), 4096);
    img.put(img.batOffset(), new byte[4096]);
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 7, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.batOffset(), batSector))));
    Path image = img.writeTo(dir.resolve("dirty.vhdx"));
    byte[] before = Files.readAllBytes(image);

    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));

    Map<String, Object> log = cast(info.get("log"));
    assertEquals("replayed in memory (the file is unchanged)", log.get("state"));
    assertEquals(logGuid.toString(), log.get("logGuid"));
    assertEquals(1L, log.get("entriesReplayed"));
    assertEquals("7", log.get("firstSequenceNumber"));
    assertEquals("7", log.get("lastSequenceNumber"));
    assertEquals(img.length(), log.get("flushedFileOffset"));
    assertEquals(true, info.get("logReplayed"));
    Map<String, Object> bat = cast(info.get("bat"));
    Map<String, Object> states = cast(bat.get("states"));
    assertEquals(1L, states.get("FULLY_PRESENT"), "the BAT as the replayed log leaves it");
    assertArrayEquals(before, Files.readAllBytes(image), "info writes nothing");
  }

  @Test
  void infoOfAChildShowsItsParentLocatorEntries() throws IOException {
    VhdxTools vhdx = VhdxTools.require();
    Path parent = dir.resolve("base.vhdx");
    vhdx.create(parent, 8 * MIB, "block_size=1M");
    UUID link = UUID.fromString((String) JsonReader.object(
        ok("info", "--json", parent.toString())).get("dataWriteGuid"));
    Path child = VhdxImageBuilder.differencing(8 * MIB, link, "base.vhdx").blockSize((int) MIB)
        .build().writeTo(dir.resolve("child.vhdx"));

    Map<String, Object> info = JsonReader.object(ok("info", "--json", child.toString()));

    assertEquals("differencing", info.get("diskType"));
    Map<String, Object> locator = cast(info.get("parentLocator"));
    Map<String, Object> entries = cast(locator.get("entries"));
    assertEquals("{" + link + "}", entries.get("parent_linkage"));
    assertEquals(List.of(parent.toString()), info.get("parents"));
  }

  @Test
  void mapJsonHasQemuImgsShapeWhereQemuImgShowsTheWholeVhdxAsOneDataExtent()
      throws IOException {
    Path image = qemuDynamic();
    Path raw = qemuRaw(image);
    String qemuText = QemuTools.require().qemuImg("map", "--output=json", "-f", "vhdx",
        image.toString());
    // qemu-img 7.2's vhdx driver reports no block status: the whole disk is data, no offset.
    assertEquals("[{ \"start\": 0, \"length\": " + SIZE + ", \"depth\": 0, \"present\": true, "
        + "\"zero\": false, \"data\": true}]", qemuText.strip());

    String ours = ok("map", "--output=json", image.toString());

    List<Map<String, Object>> extents = JsonReader.objects(ours);
    long block = 8 * MIB;
    long[][] data = {{0, block}, {2 * block, block}, {7 * block, block}};
    long next = 0;
    int d = 0;
    byte[] whole = Files.readAllBytes(raw);
    for (Map<String, Object> e : extents) {
      assertEquals(List.of("start", "length", "depth", "present", "zero", "data", "offset")
          .subList(0, e.containsKey("offset") ? 7 : 6), List.copyOf(e.keySet()));
      long start = (Long) e.get("start");
      long length = (Long) e.get("length");
      assertEquals(next, start);
      next = start + length;
      if ((Boolean) e.get("data")) {
        assertArrayEquals(data[d++], new long[] {start, length});
        ByteBuffer host = read(image, (Long) e.get("offset"), (int) length);
        assertArrayEquals(Arrays.copyOfRange(whole, (int) start, (int) (start + length)),
            host.array(), "the offset points at the bytes the disk reads there");
      } else {
        assertEquals(true, e.get("zero"));
        assertFalse(e.containsKey("offset"));
      }
    }
    assertEquals(3, d);
    assertEquals(SIZE, next);
    assertTrue(ours.startsWith("[{ \"start\": 0, \"length\": 8388608, \"depth\": 0, "
        + "\"present\": true, \"zero\": false, \"data\": true, \"offset\": "), ours);
  }

  @ParameterizedTest
  @ValueSource(strings = {"raw", "fixed", "dynamic"})
  void convertOfAVhdxEqualsQemuImgConvertToRaw(String to) throws IOException {
    Path image = qemuDynamic();
    Path raw = qemuRaw(image);
    Path out = dir.resolve("out." + (to.equals("raw") ? "raw" : "vhd"));

    ok("convert", "--to=" + to, image.toString(), out.toString());

    if (to.equals("raw")) {
      assertArrayEquals(Files.readAllBytes(raw), Files.readAllBytes(out));
    } else {
      QemuTools.Exit same = QemuTools.require().compare(out, raw);
      assertEquals(0, same.code(), same.describe());
      Map<String, Object> info = JsonReader.object(ok("info", "--json", out.toString()));
      assertEquals(to, info.get("type"));
    }
  }

  @Test
  void compareTellsVhdxRawAndVhdApartOnlyByTheirBytes() throws IOException {
    Path image = qemuDynamic();
    Path raw = qemuRaw(image);
    Path vhd = dir.resolve("same.vhd");
    ok("convert", "--to=dynamic", image.toString(), vhd.toString());

    assertEquals("identical\n", ok("compare", image.toString(), raw.toString()));
    assertEquals("identical\n", ok("compare", raw.toString(), image.toString()));
    assertEquals("identical\n", ok("compare", image.toString(), vhd.toString()));

    try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
      f.seek(20 * MIB + 1000);
      f.write(0x01);
    }
    Cli.Result differs = Cli.run("compare", image.toString(), raw.toString());
    assertEquals(1, differs.exitCode(), differs.err());
    assertTrue(differs.out().contains(Long.toString(20 * MIB + 1000)), differs.out());
  }

  @Test
  void checkOfASoundQemuVhdxHasNoFindingsAndWritesNothing() throws IOException {
    Path image = qemuDynamic();
    byte[] before = Files.readAllBytes(image);

    assertEquals("no findings\n", ok("check", image.toString()));

    assertArrayEquals(before, Files.readAllBytes(image));
  }

  @Test
  void checkReportsABadHeaderCopyAndABadRegionTableCopyAtTheirOffsets() throws IOException {
    Path image = qemuDynamic();
    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));
    long stale = (Long) info.get("currentHeader") == 1 ? 0x20000 : 0x10000;
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.seek(stale + 100);
      f.write(0x5a); // breaks the stale header's CRC-32C
      f.seek(0x40000 + 100);
      f.write(0x5a); // and region table copy 2's
    }
    byte[] before = Files.readAllBytes(image);

    Cli.Result r = Cli.run("check", "--json", image.toString());

    assertEquals(1, r.exitCode(), r.err());
    Map<String, Object> result = JsonReader.object(r.out());
    List<Map<String, Object>> findings = cast(result.get("findings"));
    assertEquals(List.of("header", "region-table"),
        findings.stream().map(f -> f.get("code")).toList());
    assertEquals(stale, findings.get(0).get("offset"));
    assertEquals(0x40000L, findings.get(1).get("offset"));
    assertEquals(true, findings.get(0).get("repairable"));
    assertEquals(true, findings.get(1).get("repairable"));
    assertArrayEquals(before, Files.readAllBytes(image));
    assertEquals("identical\n", ok("compare", image.toString(), qemuRaw(image).toString()),
        "the image still reads through the good copies");
  }

  @Test
  void checkReportsALogNotYetAppliedAndABatEntryPastTheEnd() throws IOException {
    UUID logGuid = UUID.fromString("4c4f4721-0000-4000-8000-0000000000c2");
    VhdxImageBuilder builder = VhdxImageBuilder.dynamic(SIZE).fill(4096, 8192, 0xab);
    Image img = builder.build();
    long entry = img.batEntryOffset(builder.payloadIndex(5));
    img.putLe64(entry, (1L << 40) | 6); // block 5 at 1 TiB, far past the end of the file
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 3, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.length() - 4096, new byte[4096]))));
    Path image = img.writeTo(dir.resolve("dirty.vhdx"));

    Cli.Result r = Cli.run("check", image.toString());

    assertEquals(1, r.exitCode(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals(3, lines.length, r.out());
    assertTrue(lines[0].startsWith("offset " + img.logOffset() + ": the log holds 1 entries not "
        + "yet applied (sequence 3-3)"), lines[0]);
    assertTrue(lines[1].startsWith("offset " + entry + ": "), lines[1]);
    assertEquals("2 findings, 0 repaired, 2 remaining", lines[2]);
  }

  @Test
  void checkRepairOfAVhdxRewritesTheBadCopiesAndQemuStillReadsTheSame() throws IOException {
    Path image = qemuDynamic();
    Path raw = Files.copy(qemuRaw(image), dir.resolve("before.raw"));
    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));
    long stale = (Long) info.get("currentHeader") == 1 ? 0x20000 : 0x10000;
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.seek(stale + 100);
      f.write(0x5a);
      f.seek(0x30000 + 100);
      f.write(0x5a); // region table copy 1, the only one QEMU reads
    }

    Cli.Result r = Cli.run("check", "--repair", image.toString());

    assertEquals(0, r.exitCode(), r.out() + r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(3, lines.size(), r.out());
    assertTrue(lines.get(0).startsWith("offset " + stale + ": ")
        && lines.get(0).endsWith(" [repaired]"), r.out());
    assertTrue(lines.get(1).startsWith("offset " + 0x30000 + ": ")
        && lines.get(1).endsWith(" [repaired]"), r.out());
    assertEquals("2 findings, 2 repaired, 0 remaining", lines.get(2));
    assertEquals("no findings\n", ok("check", image.toString()));
    assertEquals("identical\n", ok("compare", image.toString(), raw.toString()));
    assertEquals("identical\n", ok("compare", image.toString(), qemuRaw(image).toString()),
        "QEMU, which refused a bad copy 1, reads the repaired image");
  }

  /** A qemu-made 8 MiB base (1 MiB blocks, all 0x11) and a writer-made child of it. */
  private Path child(String name, UUID link) throws IOException {
    return VhdxImageBuilder.differencing(8 * MIB, link, "base.vhdx").blockSize((int) MIB)
        .sectorBitmapForEveryChunk().fill(MIB + 512, 1024, 0x22).fill(5 * MIB, 4096, 0x33)
        .build().writeTo(dir.resolve(name));
  }

  private Path base() {
    VhdxTools vhdx = VhdxTools.require();
    Path base = dir.resolve("base.vhdx");
    vhdx.create(base, 8 * MIB, "block_size=1M");
    vhdx.write(base, List.of(new Write(0x11, 0, 8 * MIB)));
    return base;
  }

  private static UUID dataWriteGuid(Path image) {
    return UUID.fromString((String) JsonReader.object(ok("info", "--json", image.toString()))
        .get("dataWriteGuid"));
  }

  @Test
  void aChildVhdxConvertsMapsAndComparesThroughItsQemuParent() throws IOException {
    Path base = base();
    Path child = child("child.vhdx", dataWriteGuid(base));
    byte[] expected = new byte[(int) (8 * MIB)];
    Arrays.fill(expected, (byte) 0x11);
    Arrays.fill(expected, (int) MIB + 512, (int) MIB + 1536, (byte) 0x22);
    Arrays.fill(expected, (int) (5 * MIB), (int) (5 * MIB) + 4096, (byte) 0x33);
    Path raw = dir.resolve("child.raw");

    ok("convert", child.toString(), raw.toString());

    assertArrayEquals(expected, Files.readAllBytes(raw));
    assertEquals("identical\n", ok("compare", child.toString(), raw.toString()));
    assertEquals("no findings\n", ok("check", child.toString()));
    List<Map<String, Object>> map = JsonReader.objects(ok("map", "--json", child.toString()));
    List<String> own = map.stream().filter(e -> (Long) e.get("depth") == 0)
        .map(e -> e.get("start") + "+" + e.get("length")).toList();
    assertEquals(List.of((MIB + 512) + "+1024", (5 * MIB) + "+4096"), own,
        "depth 0: exactly the sectors the child holds");
    assertTrue(map.stream().allMatch(e -> (Long) e.get("depth") <= 1), map.toString());
  }

  @Test
  void checkOfAChildReportsAMissingParentAndAnotherDataWriteGuid() throws IOException {
    Path base = base();
    Path wrongId = child("wrong.vhdx", UUID.fromString("00000000-1111-4222-8333-444455556666"));

    Cli.Result mismatch = Cli.run("check", "--json", wrongId.toString());

    assertEquals(1, mismatch.exitCode(), mismatch.err());
    List<Map<String, Object>> f = cast(JsonReader.object(mismatch.out()).get("findings"));
    assertEquals(List.of("parent-id-mismatch"), f.stream().map(x -> x.get("code")).toList());
    assertTrue(((String) f.get(0).get("meaning")).contains(dataWriteGuid(base).toString()),
        f.toString());

    Path orphan = child("orphan.vhdx", dataWriteGuid(base));
    Files.delete(base);
    Cli.Result missing = Cli.run("check", "--json", orphan.toString());
    assertEquals(1, missing.exitCode(), missing.err());
    f = cast(JsonReader.object(missing.out()).get("findings"));
    assertEquals(List.of("parent-missing"), f.stream().map(x -> x.get("code")).toList());

    Cli.Result info = Cli.run("info", "--json", orphan.toString());
    assertEquals(1, info.exitCode(), info.err());
    assertTrue(JsonReader.object(info.out()).containsKey("parentChainError"), info.out());
  }
}
