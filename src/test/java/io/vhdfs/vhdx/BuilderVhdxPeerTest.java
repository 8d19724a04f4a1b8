package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import io.vhdfs.testing.VhdxTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images the test-side builder writes, judged by the peers: QEMU checks and converts them and
 * replays their dirty logs; libvhdi reads their headers, parent locators and data. Where the
 * notes list a peer's divergence, the test asserts it as such.
 */
class BuilderVhdxPeerTest {
  private static final int MIB = 1 << 20;
  private static final int K4 = 4096;

  @TempDir
  Path dir;

  @Test
  void builderImagesPassQemuCheckAndConvertToWhatWasWritten() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    VhdxImageBuilder[] builders = {
        VhdxImageBuilder.dynamic(20L * MIB + 512).blockSize(MIB).physicalSectorSize(4096),
        VhdxImageBuilder.dynamic(40L * MIB).regionRequired(0),
        VhdxImageBuilder.fixed(12L * MIB).blockSize(4 * MIB)};
    for (int i = 0; i < builders.length; i++) {
      VhdxImageBuilder b = builders[i];
      Random r = new Random(i);
      byte[] expected = null;
      Image img;
      {
        Image probe = b.build();
        long size = CodecImage.open(probe.toBytes()).size();
        expected = new byte[(int) size];
        for (int w = 0; w < 12; w++) {
          int at = r.nextInt((int) size - 3000);
          int n = 1 + r.nextInt(3000);
          b.fill(at, n, w + 1);
          Arrays.fill(expected, at, at + n, (byte) (w + 1));
        }
        img = b.build();
      }
      Path file = img.writeTo(dir.resolve("b" + i + ".vhdx"));
      QemuTools.Exit check = qemu.check(file, false);
      assertEquals(0, check.code(), check.describe());
      Path raw = dir.resolve("b" + i + ".raw");
      qemu.convertToRaw(file, raw);
      assertArrayEquals(expected, Files.readAllBytes(raw), "image " + i);
      assertArrayEquals(expected, CodecImage.open(img.toBytes()).readAll(null), "codecs " + i);
    }
  }

  /**
   * A dirty image: block 0 holds data but the BAT on disk does not map it yet; the log's active
   * sequence (two entries, the head's Tail on the first) maps it and zeros a range, and an entry
   * of another log sits after them. Shaped to avoid QEMU 7.2's three departures from the spec
   * (notes 7.x): nothing of the same log before the tail, no wrap, LastFileOffset within the file.
   */
  private static Image dirtyImage(UUID logGuid) {
    Image img = VhdxImageBuilder.dynamic(64L * MIB).fill(0, 3 * K4, 0xab)
        .fill(6L * MIB, 2 * K4, 0xcd).build();
    byte[] batSector = img.read(img.batOffset(), K4);
    img.put(img.batOffset(), new byte[K4]);
    long block0 = img.blockOffset(0);
    img.writeHeaders(logGuid);
    img.writeLogEntry(new LogEntrySpec(0, 1, 0, logGuid, img.length(), img.length(),
        List.of(new ZeroUpdate(block0 + K4, K4))));
    img.writeLogEntry(new LogEntrySpec(K4, 2, 0, logGuid, img.length(), img.length(),
        List.of(new DataUpdate(img.batOffset(), batSector))));
    img.writeLogEntry(new LogEntrySpec(3 * K4, 3, 3 * K4, UUID.randomUUID(), img.length(),
        img.length(), List.of(new DataUpdate(img.batOffset(), new byte[K4]))));
    return img;
  }

  @Test
  void inMemoryReplayEqualsWhatQemuCheckRepairWrites() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Image img = dirtyImage(UUID.randomUUID());
    byte[] original = img.toBytes();
    Path file = img.writeTo(dir.resolve("dirty.vhdx"));
    Path copy = Files.copy(file, dir.resolve("repaired.vhdx"));

    QemuTools.Exit ro = qemu.readOnlyOpen(file);
    assertNotEquals(0, ro.code(), ro.describe());
    assertTrue(ro.stderr().contains("replayed"), ro.describe());

    QemuTools.Exit repair = qemu.check(copy, true);
    assertTrue(repair.stdout().contains("repaired") || repair.stderr().contains("repaired"),
        repair.describe());
    byte[] repaired = Files.readAllBytes(copy);

    CodecImage ours = CodecImage.open(original);
    assertEquals(List.of(1L, 2L), ours.log.sequence().entries().stream()
        .map(LoggedEntry::sequenceNumber).toList());
    byte[] replayed = ours.source.read(0, (int) ours.source.size());
    assertEquals(repaired.length, replayed.length, "file size after replay");
    // QEMU also rewrites both headers (LogGuid 0, new GUIDs); everything else must agree.
    long from = VhdxImageBuilder.HEADER1;
    long to = VhdxImageBuilder.REGION_TABLE1;
    for (int i = 0; i < replayed.length; i++) {
      if (i < from || i >= to) {
        if (replayed[i] != repaired[i]) {
          throw new AssertionError("byte " + i + " differs: ours " + replayed[i] + ", qemu "
              + repaired[i]);
        }
      }
    }
    assertArrayEquals(original, Files.readAllBytes(file), "our replay wrote nothing");
    // And the repaired file reads the same through the codecs, with a clean log.
    CodecImage after = CodecImage.open(repaired);
    assertTrue(after.log.sequence().isEmpty());
    assertArrayEquals(ours.readAll(null), after.readAll(null));
    byte[] block0 = new byte[3 * K4];
    ours.read(0, block0, 0, block0.length, null);
    byte[] expected = new byte[3 * K4];
    Arrays.fill(expected, (byte) 0xab);
    Arrays.fill(expected, K4, 2 * K4, (byte) 0);
    assertArrayEquals(expected, block0);
  }

  @Test
  void libvhdiIgnoresTheDirtyLogAndReadsStaleData() throws Exception {
    Libvhdi libvhdi = Libvhdi.require();
    Path file = dirtyImage(UUID.randomUUID()).writeTo(dir.resolve("stale.vhdx"));
    String out = python(libvhdi, String.join("\n", "import pyvhdi,sys", "f=pyvhdi.file()",
        "f.open(sys.argv[1])", "print(f.read_buffer_at_offset(16, 0).hex())"), file.toString());
    assertEquals("00".repeat(16), out.strip(), "libvhdi never replays (notes 4.4)");
  }

  private static String python(Libvhdi libvhdi, String script, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(libvhdi.python().toString(), "-c",
        script));
    command.addAll(List.of(args));
    return QemuTools.run(Duration.ofMinutes(1), command).stdout();
  }

  @Test
  void libvhdiReadsTheHeadersAndParentLocatorAsWeDo() throws Exception {
    Libvhdi libvhdi = Libvhdi.require();
    VhdxTools qemu = VhdxTools.require();
    Path parent = dir.resolve("parent.vhdx");
    qemu.create(parent, 64L * MIB, "block_size=8M");
    qemu.write(parent, List.of(new QemuTools.Write(0x11, 0, 64L * MIB)));
    try (CodecImage.HostSource parentSource = new CodecImage.HostSource(parent)) {
      CodecImage parentImage = CodecImage.open(parentSource);
      UUID parentDwg = parentImage.headers.current().dataWriteGuid();
      checkChildAgainstLibvhdi(libvhdi, parent, parentImage, parentDwg);
    }
  }

  private void checkChildAgainstLibvhdi(Libvhdi libvhdi, Path parent, CodecImage parentImage,
      UUID parentDwg) throws Exception {
    String absolute = "\\\\?\\" + parent.toAbsolutePath().toString().replace('/', '\\');
    VhdxImageBuilder child = VhdxImageBuilder.differencing(64L * MIB, parentDwg,
        "parent.vhdx").blockSize(2 * MIB).locator("absolute_win32_path", absolute)
        .sectorBitmapForEveryChunk();
    child.fill(4096, 4096, 0x22).fill(3L * MIB - 512, 1024, 0x33).fullyPresent(10)
        .fill(20L * MIB + 512, 512, 0x44);
    Image built = child.build();
    Path childFile = built.writeTo(dir.resolve("child.vhdx"));
    CodecImage ours = CodecImage.open(built.toBytes());

    String out = python(libvhdi, String.join("\n",
        "import pyvhdi,sys,hashlib",
        "c=pyvhdi.file()", "c.open(sys.argv[1])",
        "p=pyvhdi.file()", "p.open(sys.argv[2])",
        "print(c.get_identifier())", "print(c.get_parent_identifier())",
        "print(c.get_parent_filename())", "print(c.get_media_size())",
        "print(c.get_bytes_per_sector())", "print(c.get_disk_type())",
        "print(p.get_identifier())",
        "c.set_parent(p)",
        "h=hashlib.sha256()",
        "at=0",
        "while at < c.get_media_size():",
        "    k=min(1<<20, c.get_media_size()-at)",
        "    h.update(c.read_buffer_at_offset(k, at))",
        "    at+=k",
        "print(h.hexdigest())"), childFile.toString(), parent.toString());
    String[] lines = out.strip().split("\n");
    assertEquals(ours.headers.current().dataWriteGuid().toString(), lines[0]);
    ParentLocator locator = ours.metadata.parentLocator().orElseThrow();
    assertEquals(locator.parentLinkage().toString(), lines[1]);
    assertEquals(locator.get("absolute_win32_path").orElseThrow(), lines[2],
        "libvhdi prefers the absolute path (notes 5)");
    assertEquals(String.valueOf(ours.size()), lines[3]);
    assertEquals("512", lines[4]);
    assertEquals("4", lines[5], "libvhdi's code for differencing");
    assertEquals(parentDwg.toString(), lines[6], "libvhdi's identifier is the current DWG");
    assertEquals(sha256(ours.readAll(parentImage)), lines[7]);
  }

  @Test
  void libvhdiMisreadsFixedFilesPastTheFirstChunkWhereQemuAndWeAgree() throws Exception {
    Libvhdi libvhdi = Libvhdi.require();
    VhdxTools qemu = VhdxTools.require();
    Path image = dir.resolve("fixed6g.vhdx");
    qemu.create(image, 6L << 30, "subformat=fixed,block_state_zero=off");
    long at = 5L << 30;
    qemu.write(image, List.of(new QemuTools.Write(0x77, at, 4096),
        new QemuTools.Write(0x66, (4095L << 20), 4096)));
    try (CodecImage.HostSource src = new CodecImage.HostSource(image)) {
      CodecImage img = CodecImage.open(src);
      byte[] b = new byte[4096];
      img.read(at, b, 0, b.length, null);
      byte[] expected = new byte[4096];
      Arrays.fill(expected, (byte) 0x77);
      assertArrayEquals(expected, b, "spec layout: block 640 is entry 641");
      img.read(4095L << 20, b, 0, b.length, null);
      Arrays.fill(expected, (byte) 0x66);
      assertArrayEquals(expected, b);
    }
    String out = python(libvhdi, String.join("\n", "import pyvhdi,sys", "f=pyvhdi.file()",
        "f.open(sys.argv[1])", "print(f.read_buffer_at_offset(16, int(sys.argv[2])).hex())",
        "print(f.read_buffer_at_offset(16, int(sys.argv[3])).hex())"), image.toString(),
        Long.toString(at), Long.toString(4095L << 20));
    String[] lines = out.strip().split("\n");
    assertEquals("00".repeat(16), lines[0], "libvhdi leaves out the bitmap slot (notes 7.4)");
    assertEquals("66".repeat(16), lines[1], "below 4 GiB libvhdi agrees");
  }

  private static String sha256(byte[] b) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(b));
  }

  private static final String HASH_ALL = String.join("\n",
      "import pyvhdi,sys,hashlib",
      "f=pyvhdi.file()", "f.open(sys.argv[1])",
      "if len(sys.argv) > 2:",
      "    p=pyvhdi.file()", "    p.open(sys.argv[2])", "    f.set_parent(p)",
      "h=hashlib.sha256()", "at=0", "n=f.get_media_size()",
      "while at < n:",
      "    k=min(1<<20, n-at)", "    h.update(f.read_buffer_at_offset(k, at))", "    at+=k",
      "print(f.get_bytes_per_sector())", "print(h.hexdigest())");

  @Test
  void fourKibSectorImagesReadInLibvhdiWhileQemuRefusesThem() throws Exception {
    Libvhdi libvhdi = Libvhdi.require();
    VhdxTools qemu = VhdxTools.require();
    Image img = VhdxImageBuilder.dynamic(16L * MIB).logicalSectorSize(4096)
        .physicalSectorSize(4096).blockSize(MIB).fill(4096, 8192, 0x21)
        .fill(3L * MIB - 4096, 12288, 0x43).build();
    Path file = img.writeTo(dir.resolve("lss4k.vhdx"));
    String[] lines = python(libvhdi, HASH_ALL, file.toString()).strip().split("\n");
    assertEquals("4096", lines[0]);
    assertEquals(sha256(CodecImage.open(img.toBytes()).readAll(null)), lines[1]);
    QemuTools.Exit info = QemuTools.runForExit(Duration.ofMinutes(1), List.of(
        QemuTools.onPath("qemu-img").orElseThrow().toString(), "info", "-f", "vhdx",
        file.toString()));
    assertNotEquals(0, info.code(), "qemu-img 7.2 does not open 4096-byte sectors (notes 7.8)");
  }

  @Test
  void zeroAndUnmappedChildBlocksReadZerosWhereLibvhdiReadsTheParent() throws Exception {
    Libvhdi libvhdi = Libvhdi.require();
    UUID dwg = UUID.randomUUID();
    Image parent = VhdxImageBuilder.dynamic(8L * MIB).blockSize(MIB).fill(0, 8 * MIB, 0x5c)
        .dataWriteGuid(dwg).build();
    Image child = VhdxImageBuilder.differencing(8L * MIB, dwg, "p.vhdx").blockSize(MIB)
        .sectorBitmapForEveryChunk().blockState(2, 2).blockState(3, 3).fill(0, 512, 0x01)
        .build();
    Path parentFile = parent.writeTo(dir.resolve("p.vhdx"));
    Path childFile = child.writeTo(dir.resolve("c.vhdx"));
    byte[] ours = CodecImage.open(child.toBytes()).readAll(CodecImage.open(parent.toBytes()));
    byte[] expected = new byte[8 * MIB];
    Arrays.fill(expected, (byte) 0x5c);
    Arrays.fill(expected, 0, 512, (byte) 0x01);
    Arrays.fill(expected, 2 * MIB, 4 * MIB, (byte) 0);
    assertArrayEquals(expected, ours, "the spec: ZERO and UNMAPPED read zeros");
    byte[] libvhdiView = expected.clone();
    Arrays.fill(libvhdiView, 2 * MIB, 4 * MIB, (byte) 0x5c);
    String[] lines = python(libvhdi, HASH_ALL, childFile.toString(), parentFile.toString())
        .strip().split("\n");
    assertEquals(sha256(libvhdiView), lines[1], "libvhdi sends every state below 6 to the "
        + "parent (notes 7.5)");
  }
}
