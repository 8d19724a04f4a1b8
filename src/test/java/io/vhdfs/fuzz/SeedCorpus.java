package io.vhdfs.fuzz;

import static io.vhdfs.testing.VhdImageBuilder.setFooterInt;
import static io.vhdfs.testing.VhdImageBuilder.setFooterLong;
import static io.vhdfs.testing.VhdImageBuilder.setHeaderInt;
import static io.vhdfs.testing.VhdImageBuilder.setHeaderLong;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.VhdEnv;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes the seed corpus of {@link VhdImageFuzzTest}: small images made by qemu-img and qemu-io,
 * by this library's provider and by the test-side {@link VhdImageBuilder}, and a sample of the
 * malformed-image cases of {@code MalformedImageTest}, each a byte edit of a small builder image:
 * {@code damaged-*} ones the reader recovers from, {@code malformed-*} ones it refuses.
 * Unique ids and time stamps are fixed, so the files are the same on every run with the same
 * qemu version. Run it after changing a recipe, and commit the result:
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * java -cp "target/classes:target/test-classes:$(cat target/test-classpath.txt)" \
 *     io.vhdfs.fuzz.SeedCorpus
 * </pre>
 *
 * <p>Top-level files of the inputs directory are replaced; findings in its sub-directories stay.
 */
public final class SeedCorpus {
  /** Where Jazzer looks for the seeds of every harness of {@link VhdImageFuzzTest}. */
  static final String DIRECTORY = "src/test/resources/io/vhdfs/fuzz/VhdImageFuzzTestInputs";

  private static final int BLOCK = FuzzedImage.BLOCK_SIZE;
  private static final long SIZE = FuzzedImage.PARENT_SIZE;
  private static final UUID SEED_ID = UUID.fromString("5eed5eed-0000-4000-8000-000000000001");
  private static final Instant TIME = FuzzedImage.TIME;

  private SeedCorpus() {}

  /** Writes the corpus into {@code args[0]}, or {@link #DIRECTORY}. */
  public static void main(String[] args) throws IOException {
    replace(Path.of(args.length > 0 ? args[0] : DIRECTORY), seeds());
  }

  /** Replaces the top-level files of {@code dir} by {@code seeds}, named by their keys. */
  static void replace(Path dir, Map<String, byte[]> seeds) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : old.filter(Files::isRegularFile).toList()) {
        Files.delete(p);
      }
    }
    long total = 0;
    for (Map.Entry<String, byte[]> s : seeds.entrySet()) {
      Files.write(dir.resolve(s.getKey()), s.getValue());
      total += s.getValue().length;
    }
    System.out.printf("%d seeds, %d bytes, in %s%n", seeds.size(), total, dir);
  }

  /** Every seed by file name, in a fixed order. */
  static Map<String, byte[]> seeds() throws IOException {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(fs.getPath("/images"));
      FuzzedImage.parent().writeTo(dir.resolve(FuzzedImage.PARENT_NAME));
      Path image = dir.resolve("seed.vhd");
      builderSeeds(seeds, image);
      librarySeeds(seeds, dir);
      malformedSeeds(seeds, image);
    }
    qemuSeeds(seeds);
    return seeds;
  }

  // ---- sound images ------------------------------------------------------------------------

  private static void builderSeeds(Map<String, byte[]> seeds, Path image) throws IOException {
    put(seeds, "builder-dynamic.vhd", image, base());
    put(seeds, "builder-fixed.vhd", image, VhdImageBuilder.fixed(16 * 1024).uniqueId(SEED_ID)
        .write(0, random(3000, 2)).write(16 * 1024 - 700, random(700, 3)));
    put(seeds, "builder-child.vhd", image, child());
    put(seeds, "builder-short-footer.vhd", image, base().shortFooter(true));
    put(seeds, "builder-moved-header-table-and-blocks.vhd", image, base().headerOffset(4096)
        .tableOffset(2048).blockOrder(3, 0).blockAt(0, 21));
    put(seeds, "builder-virtual-pc-chs.vhd", image, base().creator("vpc "));
    put(seeds, "builder-zero-size.vhd", image, VhdImageBuilder.dynamic(0).uniqueId(SEED_ID));
    // The largest block size: a write allocates a 256 MiB block, sparse on a real file system.
    // A 1 GiB disk, so readers take the large-disk path, reading only what is stored.
    put(seeds, "builder-block-size-256-mib.vhd", image, VhdImageBuilder.dynamic(1L << 30)
        .blockSize(256 << 20).uniqueId(SEED_ID).timestamp(TIME));
  }

  /** Images this library creates and writes, through the provider. */
  private static void librarySeeds(Map<String, byte[]> seeds, Path dir) throws IOException {
    Path dynamic = dir.resolve("library-dynamic.vhd");
    VhdImages.create(dynamic, Map.of(VhdEnv.SIZE, Long.toString(SIZE),
        VhdEnv.BLOCK_SIZE, Integer.toString(BLOCK)));
    writeThroughProvider(dynamic, 5000, 100);
    seeds.put("library-dynamic.vhd", normalized(dynamic));

    Path fixed = dir.resolve("library-fixed.vhd");
    VhdImages.create(fixed, Map.of(VhdEnv.SIZE, "16K", VhdEnv.TYPE, "fixed",
        VhdEnv.EXACT_SIZE, "true"));
    writeThroughProvider(fixed, 1000, 9000);
    seeds.put("library-fixed.vhd", normalized(fixed));

    // The child records its parent's modification time: a fixed one keeps the seed the same.
    Files.setLastModifiedTime(dir.resolve(FuzzedImage.PARENT_NAME), FileTime.from(TIME));
    Path child = dir.resolve("library-child.vhd");
    VhdImages.create(child, Map.of(VhdEnv.TYPE, "differencing",
        VhdEnv.PARENT, FuzzedImage.PARENT_NAME, VhdEnv.BLOCK_SIZE, Integer.toString(BLOCK)));
    writeThroughProvider(child, 300, 4096 * 5 + 1000);
    seeds.put("library-child.vhd", normalized(child));
  }

  private static void writeThroughProvider(Path image, int length, long at) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(random(length, at)), at);
    }
  }

  /**
   * qemu-img's own images: an empty dynamic one of 64 MiB (its 2 MiB blocks are too big to fill
   * in a seed) and a small fixed one.
   */
  private static void qemuSeeds(Map<String, byte[]> seeds) throws IOException {
    QemuTools qemu = QemuTools.find().orElseThrow(() -> new IllegalStateException(
        "qemu-img and qemu-io are needed: apt-get install qemu-utils"));
    Path tmp = Files.createTempDirectory("vhdfs-seeds");
    try {
      Path dynamic = tmp.resolve("qemu-dynamic.vhd");
      qemu.create(dynamic, 64L << 20, "");
      seeds.put("qemu-dynamic.vhd", normalized(dynamic));
      Path fixed = tmp.resolve("qemu-fixed.vhd");
      qemu.create(fixed, 20 * 1024, "subformat=fixed,force_size=on");
      qemu.write(fixed, List.of(new QemuTools.Write(0x5a, 0, 4096),
          new QemuTools.Write(0xa5, 10240, 1024)));
      seeds.put("qemu-fixed.vhd", normalized(fixed));
    } finally {
      try (Stream<Path> files = Files.walk(tmp)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** The bytes of {@code image} with the fixed unique id and time in every footer. */
  private static byte[] normalized(Path image) throws IOException {
    byte[] b = Files.readAllBytes(image);
    for (int at : new int[] {0, b.length - VhdImageBuilder.FOOTER_SIZE}) {
      if (at < 0 || !new String(b, at, 8, StandardCharsets.US_ASCII).equals("conectix")) {
        continue;
      }
      ByteBuffer footer = ByteBuffer.wrap(b, at, VhdImageBuilder.FOOTER_SIZE).slice();
      footer.putInt(VhdImageBuilder.F_TIMESTAMP, VhdImageBuilder.toVhdTime(TIME));
      footer.put(VhdImageBuilder.F_UNIQUE_ID, VhdImageBuilder.uuidBytes(SEED_ID));
      footer.putInt(VhdImageBuilder.F_CHECKSUM,
          VhdImageBuilder.checksum(java.util.Arrays.copyOfRange(b, at, at + 512),
              VhdImageBuilder.F_CHECKSUM));
    }
    return b;
  }

  // ---- malformed images --------------------------------------------------------------------

  @FunctionalInterface
  private interface Damage {
    void apply(Path image, Layout l) throws IOException;
  }

  /** A sample of MalformedImageTest's cases, each on the small base image or child. */
  private static void malformedSeeds(Map<String, byte[]> seeds, Path image) throws IOException {
    // Damage the reader recovers from: the other footer copy is sound.
    Map<String, Damage> cases = new LinkedHashMap<>();
    cases.put("damaged-end-footer-checksum", (p, l) -> flip(p, l.footerOffset()
        + VhdImageBuilder.F_CHECKSUM));
    cases.put("damaged-end-footer-zeroed", (p, l) -> HostBytes.write(p, l.footerOffset(),
        new byte[VhdImageBuilder.FOOTER_SIZE]));
    cases.put("damaged-footer-copy-checksum", (p, l) -> flip(p, l.footerCopyOffset()
        + VhdImageBuilder.F_CHECKSUM));
    // Damage that makes the image refused.
    cases.put("header-checksum", (p, l) -> flip(p, l.headerOffset()
        + VhdImageBuilder.H_CHECKSUM));
    cases.put("table-offset-past-end", (p, l) -> setHeaderLong(p, l, VhdImageBuilder.H_TABLE_OFFSET,
        l.fileSize() + 4096));
    cases.put("table-entries-ffffffff", (p, l) -> setHeaderInt(p, l,
        VhdImageBuilder.H_MAX_TABLE_ENTRIES, 0xFFFF_FFFF));
    cases.put("block-size-128", (p, l) -> setHeaderInt(p, l, VhdImageBuilder.H_BLOCK_SIZE, 128));
    cases.put("bat-entry-past-end", (p, l) -> HostBytes.writeInt(p, l.batEntryOffset(1),
        (int) (l.fileSize() / 512 + 100)));
    cases.put("bat-entries-alias", (p, l) -> HostBytes.writeInt(p, l.batEntryOffset(1),
        (int) l.blockSector(0)));
    cases.put("bat-entry-on-footer-copy", (p, l) -> HostBytes.writeInt(p, l.batEntryOffset(1),
        0));
    cases.put("negative-size", (p, l) -> setFooterLong(p, l, VhdImageBuilder.F_CURRENT_SIZE,
        -SIZE));
    cases.put("disk-type-7", (p, l) -> setFooterInt(p, l, VhdImageBuilder.F_DISK_TYPE, 7));
    cases.put("data-offset-past-end", (p, l) -> setFooterLong(p, l, VhdImageBuilder.F_DATA_OFFSET,
        l.fileSize() + 512));
    cases.put("truncated-mid-block", (p, l) -> HostBytes.truncate(p,
        l.blockDataOffset(3) + 1000));
    for (Map.Entry<String, Damage> c : cases.entrySet()) {
      Layout l = base().writeTo(image);
      c.getValue().apply(image, l);
      String name = c.getKey().startsWith("damaged-") ? c.getKey() : "malformed-" + c.getKey();
      seeds.put(name + ".vhd", Files.readAllBytes(image));
    }

    Layout l = child().writeTo(image);
    setHeaderInt(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
        + VhdImageBuilder.L_DATA_LENGTH, 0x7FFF_FFFF);
    seeds.put("malformed-child-locator-length.vhd", Files.readAllBytes(image));
    child().parentId(UUID.fromString("00000000-0000-4000-8000-0000000000ff")).writeTo(image);
    seeds.put("malformed-child-parent-id.vhd", Files.readAllBytes(image));
    VhdImageBuilder.differencing(SIZE).blockSize(BLOCK).uniqueId(SEED_ID).parentId(SEED_ID)
        .parentName(FuzzedImage.NAME)
        .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\" + FuzzedImage.NAME)
        .write(0, random(600, 4)).writeTo(image);
    seeds.put("malformed-child-of-itself.vhd", Files.readAllBytes(image));

    byte[] noise = random(1024, 5);
    System.arraycopy("conectix".getBytes(StandardCharsets.US_ASCII), 0, noise, 0, 8);
    seeds.put("malformed-cookie-then-noise.vhd", noise);
    seeds.put("not-a-vhd.bin", random(600, 6));
  }

  // ---- recipes and edits -------------------------------------------------------------------

  /** 8 blocks of 4 KiB: 0 full, 3 with data under part of its bitmap, the rest unallocated. */
  private static VhdImageBuilder base() {
    return VhdImageBuilder.dynamic(SIZE).blockSize(BLOCK).uniqueId(SEED_ID).timestamp(TIME)
        .block(0, random(BLOCK, 1)).write(3L * BLOCK + 100, random(2000, 7))
        .bitmap(3, new byte[] {(byte) 0xC3});
  }

  /** A child of the harness's parent, found by three locators, holding parts of two blocks. */
  private static VhdImageBuilder child() {
    return VhdImageBuilder.differencing(FuzzedImage.parent(), FuzzedImage.PARENT_NAME)
        .uniqueId(SEED_ID).timestamp(TIME)
        .parentLocator(VhdImageBuilder.PLATFORM_W2KU, "C:\\images\\" + FuzzedImage.PARENT_NAME)
        .parentLocator(VhdImageBuilder.PLATFORM_MACX, "file:///images/" + FuzzedImage.PARENT_NAME)
        .write(5L * BLOCK + 512, random(1024, 8)).bitmap(5, new byte[] {0x30})
        .write(100, random(700, 9));
  }

  private static void put(Map<String, byte[]> seeds, String name, Path image,
      VhdImageBuilder b) throws IOException {
    b.writeTo(image);
    seeds.put(name, Files.readAllBytes(image));
  }

  private static void flip(Path image, long offset) throws IOException {
    HostBytes.writeInt(image, offset, HostBytes.readInt(image, offset) ^ 0x0000_0100);
  }

  private static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }
}
