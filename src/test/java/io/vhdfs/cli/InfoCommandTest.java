package io.vhdfs.cli;

import static io.vhdfs.cli.CliFixtures.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.JsonReader;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.QemuTools.Write;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vhd info}: every footer and header field, in text and JSON, with the values the file
 * holds and qemu-img reports, and the parent chain.
 */
final class InfoCommandTest {
  private static final List<String> FOOTER_FIELDS = List.of("file", "cookie", "type",
      "virtualSize", "hostSize", "actual-size", "actualSizeFrom", "currentSize", "originalSize", "geometry", "uniqueId",
      "timestamp", "creatorApplication", "creatorVersion", "creatorHostOs", "features",
      "formatVersion", "dataOffset", "savedState", "checksum");
  private static final List<String> DYNAMIC_HEADER_FIELDS = List.of("headerCookie",
      "headerDataOffset", "tableOffset", "maxTableEntries", "blockSize", "headerVersion",
      "headerChecksum", "allocatedBlocks");
  private static final List<String> PARENT_FIELDS = List.of("parentUniqueId",
      "parentTimestamp", "parentName", "parentLocators");

  /** Fields the text shows as qemu-img shows sizes: {@code 64 MiB (67108864 bytes)}. */
  private static final java.util.Set<String> SIZES = java.util.Set.of("virtualSize", "hostSize",
      "actual-size", "currentSize", "originalSize", "blockSize");

  @TempDir Path dir;

  @Test
  void jsonOfQemuDynamicImageHoldsEveryFieldWithTheFilesAndQemusValues() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("q.vhd");
    qemu.create(image, 100L << 20, "");
    qemu.write(image, List.of(new Write(0xaa, 1 << 20, 65536), new Write(0xbb, 5 << 20, 4096)));
    Map<String, Object> qemuInfo = JsonReader.object(qemu.infoJson(image));

    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));

    assertEquals(concat(FOOTER_FIELDS, DYNAMIC_HEADER_FIELDS, List.of("parentChain")),
        new ArrayList<>(info.keySet()));
    assertEquals("vpc", qemuInfo.get("format"));
    assertEquals("dynamic", info.get("type"));
    assertEquals(qemuInfo.get("virtual-size"), info.get("virtualSize"));
    assertEquals(qemuInfo.get("cluster-size"), info.get("blockSize"));
    assertEquals(Files.size(image), info.get("hostSize"));
    assertEquals(2L, info.get("allocatedBlocks"));
    assertEquals(List.of(), info.get("parentChain"));
    assertFieldsAreTheFooters(image, info);
    ByteBuffer header = read(image, (Long) info.get("dataOffset"), 1024);
    assertEquals(header.getLong(16), info.get("tableOffset"));
    assertEquals((long) header.getInt(28), info.get("maxTableEntries"));
    assertEquals((long) header.getInt(32), info.get("blockSize"));
    assertEquals(hex(header.getInt(24)), info.get("headerVersion"));
    assertEquals("cxsparse", info.get("headerCookie"));
    assertEquals(header.getLong(8), info.get("headerDataOffset"));
    assertEquals(hex(header.getInt(36)), info.get("headerChecksum"));
  }

  @Test
  void jsonOfQemuFixedImageHasFooterFieldsAndNoHeader() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("f.vhd");
    qemu.create(image, 3L << 20, "subformat=fixed");

    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));

    assertEquals(concat(FOOTER_FIELDS, List.of("parentChain")), new ArrayList<>(info.keySet()));
    assertEquals("fixed", info.get("type"));
    assertEquals(qemu.virtualSize(image), info.get("virtualSize"));
    assertEquals(-1L, info.get("dataOffset"), "a fixed image's data offset is all ones");
    assertFieldsAreTheFooters(image, info);
  }

  @Test
  void textShowsEveryJsonFieldAsKeyColonValueWithSizesAsQemuImgWritesThem() throws IOException {
    Path top = CliFixtures.chain(dir).get(2);
    Map<String, Object> info = JsonReader.object(ok("info", "--json", top.toString()));

    String text = ok("info", top.toString());

    List<String> lines = text.lines().toList();
    for (Map.Entry<String, Object> e : info.entrySet()) {
      if (e.getValue() instanceof List) {
        assertTrue(lines.stream().anyMatch(l -> l.matches(e.getKey() + " +: *")),
            e.getKey() + " heads its list in:\n" + text);
      } else {
        String value = java.util.regex.Pattern.quote(e.getValue() + "");
        String line = e.getKey() + " +: " + (SIZES.contains(e.getKey())
            ? "[0-9.]+ (B|KiB|MiB|GiB|TiB) \\(" + value + " bytes\\)" : value);
        assertTrue(lines.stream().anyMatch(l -> l.matches(line)),
            e.getKey() + " : " + e.getValue() + " in:\n" + text);
      }
    }
    for (Object parent : (List<?>) info.get("parentChain")) {
      assertTrue(lines.contains("  - " + parent), parent + " listed in:\n" + text);
    }
    assertTrue(lines.stream().anyMatch(l -> l.matches(" +platform +: W2ku")), text);
    assertTrue(lines.contains("blockSize          : 512 KiB (524288 bytes)"), text);
  }

  @Test
  void virtualSizeReadsAsInQemuImgInfo() {
    QemuTools qemu = QemuTools.require();
    // Whole units, fractions, a count rounding to 1000 of one unit, and the largest VHD.
    for (String size : List.of("1M", "100M", "1000M", "1536M", "3G", "2040G")) {
      Path image = dir.resolve("size-" + size + ".vhd");
      qemu.create(image, parseSize(size), "");
      String theirs = qemu.qemuImg("info", "-f", "vpc", image.toString()).lines()
          .filter(l -> l.startsWith("virtual size: ")).findFirst().orElseThrow()
          .substring("virtual size: ".length());

      String text = ok("info", image.toString());

      assertTrue(text.lines().anyMatch(l -> l.equals("virtualSize        : " + theirs)),
          "virtual size " + theirs + " in:\n" + text);
    }
  }

  @Test
  void actualSizeIsQemuImgsDiskSizeWhereTheHostsAllocationIsVisible() throws IOException {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("sparse.vhd");
    qemu.create(image, 64L << 20, "subformat=fixed");
    qemu.write(image, List.of(new Write(0x5a, 1 << 20, 3 << 20)));
    Map<String, Object> qemuInfo = JsonReader.object(qemu.infoJson(image));
    String qemuDiskSize = qemu.qemuImg("info", "-f", "vpc", image.toString()).lines()
        .filter(l -> l.startsWith("disk size: ")).findFirst().orElseThrow()
        .substring("disk size: ".length());

    Map<String, Object> info = JsonReader.object(ok("info", "--json", image.toString()));
    String text = ok("info", image.toString());

    if (allocationVisible()) {
      assertEquals(qemuInfo.get("actual-size"), info.get("actual-size"), qemu.infoJson(image));
      assertTrue((Long) info.get("actual-size") < Files.size(image) / 4,
          "a sparse file's blocks, not its length: " + info);
      assertEquals("allocated blocks", info.get("actualSizeFrom"));
      assertTrue(text.lines().anyMatch(l -> l.equals("actual-size        : " + qemuDiskSize
          + " (" + info.get("actual-size") + " bytes)")), text);
    } else {
      assertEquals(Files.size(image), info.get("actual-size"));
      assertEquals("file length (allocated blocks are seen on Linux with Java 22 or later)",
          info.get("actualSizeFrom"));
    }
  }

  @Test
  void depthTwoChainNamesBothParentsInOrderWithTheParentsId() throws IOException {
    List<Path> chain = CliFixtures.chain(dir);
    Path base = chain.get(0);
    Path mid = chain.get(1);
    Path top = chain.get(2);

    Map<String, Object> info = JsonReader.object(ok("info", "--json", top.toString()));

    assertEquals(concat(FOOTER_FIELDS, DYNAMIC_HEADER_FIELDS, PARENT_FIELDS,
        List.of("parentChain")), new ArrayList<>(info.keySet()));
    assertEquals("differencing", info.get("type"));
    assertEquals(List.of(mid.toRealPath().toString(), base.toRealPath().toString()),
        info.get("parentChain"));
    assertEquals("mid.vhd", info.get("parentName"));
    Map<String, Object> midInfo = JsonReader.object(ok("info", "--json", mid.toString()));
    assertEquals(midInfo.get("uniqueId"), info.get("parentUniqueId"));
    assertEquals(List.of(base.toRealPath().toString()), midInfo.get("parentChain"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> locators = (List<Map<String, Object>>) info.get("parentLocators");
    assertTrue(locators.stream().map(l -> l.get("platform")).collect(Collectors.toSet())
        .containsAll(List.of("W2ku", "W2ru")), locators::toString);
    for (Map<String, Object> l : locators) {
      assertEquals(List.of("platform", "dataOffset", "dataLength", "dataSpace"),
          new ArrayList<>(l.keySet()));
    }
  }

  @Test
  void plainFileIsOneLineErrorNamingIt() throws IOException {
    Path notVhd = Files.writeString(dir.resolve("notes.txt"), "not a disk image\n");

    var r = io.vhdfs.testing.Cli.run("info", notVhd.toString());

    assertEquals(2, r.exitCode());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("vhd info: ") && r.err().contains("notes.txt"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  /**
   * Whether the tool can see allocated blocks in this JVM: on Linux, with Java 22 or later and
   * native access enabled for the tool (surefire's argLine enables it).
   */
  static boolean allocationVisible() {
    if (Runtime.version().feature() < 22
        || !System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
      return false;
    }
    try {
      Module tool = Class.forName("io.vhdfs.cli.VhdCli").getModule();
      return (Boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(tool);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static long parseSize(String size) {
    long unit = size.endsWith("G") ? 1L << 30 : 1L << 20;
    return Long.parseLong(size.substring(0, size.length() - 1)) * unit;
  }

  /** The footer fields {@code info} shows are the bytes of the file's last 512. */
  private static void assertFieldsAreTheFooters(Path image, Map<String, Object> info)
      throws IOException {
    ByteBuffer f = read(image, Files.size(image) - 512, 512);
    assertEquals(f.getLong(16), info.get("dataOffset"));
    assertEquals(f.getLong(40), info.get("originalSize"));
    assertEquals(f.getLong(48), info.get("currentSize"));
    assertEquals((f.getShort(56) & 0xffff) + "/" + (f.get(58) & 0xff) + "/" + (f.get(59) & 0xff),
        info.get("geometry"));
    assertEquals(new UUID(f.getLong(68), f.getLong(76)).toString(), info.get("uniqueId"));
    assertEquals(new String(f.array(), 28, 4, java.nio.charset.StandardCharsets.US_ASCII).trim(),
        info.get("creatorApplication"));
    assertEquals(hex(f.getInt(8)), info.get("features"));
    assertEquals(hex(f.getInt(12)), info.get("formatVersion"));
    assertEquals((long) f.get(84), info.get("savedState"));
    assertEquals("conectix", info.get("cookie"));
    assertEquals(hex(f.getInt(64)), info.get("checksum"));
  }

  private static ByteBuffer read(Path file, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    try (FileChannel ch = FileChannel.open(file)) {
      while (b.hasRemaining() && ch.read(b, position + b.position()) > 0) {
        continue;
      }
    }
    return b.flip();
  }

  private static String hex(int v) {
    return String.format("0x%08x", v);
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> p : parts) {
      all.addAll(p);
    }
    return all;
  }
}
