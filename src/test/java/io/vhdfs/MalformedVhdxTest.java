package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxImageBuilder.DataUpdate;
import io.vhdfs.testing.VhdxImageBuilder.Image;
import io.vhdfs.testing.VhdxImageBuilder.LogEntrySpec;
import io.vhdfs.testing.VhdxImageBuilder.ZeroUpdate;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damaged VHDX images, a field at a time (issue 12, item 5): each is refused with a
 * {@link VhdFormatException} that names the file and says what is wrong, or, where the notes say a
 * reader must cope (a bad header or region copy with a good other one, unknown optional items),
 * reads exactly what was written. Never another exception, a hang or wrong bytes. The pom runs
 * this class with {@code -Xmx128m}, so a size field trusted enough to allocate by fails here.
 * Images come from {@link VhdxImageBuilder}, which uses no library code; each damage is an edit at
 * an offset the built image reports, with checksums made right again unless the case is about a
 * checksum. Every image is opened read-only through its {@code vhd:} URI, and its file must be
 * byte for byte the same afterwards.
 */
final class MalformedVhdxTest {
  private static final int KIB = 1 << 10;
  private static final int MIB = 1 << 20;
  private static final long SIZE = 6L * MIB;
  private static final Duration HANG_GUARD = Duration.ofSeconds(5);

  @TempDir Path dir;

  /** What a case expects: every byte as written, or a refusal mentioning one of the words. */
  private record Expect(byte[] disk, List<String> words) {
    static Expect reads(byte[] disk) {
      return new Expect(disk, null);
    }

    static Expect fails(String... words) {
      return new Expect(null, List.of(words));
    }
  }

  /** One damaged image: the edit, and what reading it must give. */
  private record Case(String name, Damage damage) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  private interface Damage {
    Expect apply(Base base);
  }

  /** A sound 6 MiB dynamic image with 1 MiB blocks and data in three blocks, and its bytes. */
  private static final class Base {
    final VhdxImageBuilder builder;
    final byte[] disk = new byte[(int) SIZE];
    Image image;

    Base() {
      this(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB));
    }

    Base(VhdxImageBuilder builder) {
      this.builder = builder;
      fill(0, 5000, 0x11);
      fill(3L * MIB + 512, 64 * KIB, 0x22);
      fill(SIZE - 4096, 4096, 0x33);
    }

    private void fill(long at, int n, int v) {
      builder.fill(at, n, v);
      Arrays.fill(disk, (int) at, (int) at + n, (byte) v);
    }

    Image image() {
      if (image == null) {
        image = builder.build();
      }
      return image;
    }

    void le32(long at, int v) {
      image().putLe32(at, v);
    }

    void le64(long at, long v) {
      image().putLe64(at, v);
    }
  }

  // ---- the cases -------------------------------------------------------------------------

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    long h1 = VhdxImageBuilder.HEADER1;
    long h2 = VhdxImageBuilder.HEADER2;
    long r1 = VhdxImageBuilder.REGION_TABLE1;
    long r2 = VhdxImageBuilder.REGION_TABLE2;

    c.add(new Case("sound dynamic image", b -> Expect.reads(b.disk)));
    c.add(new Case("sound fixed image", b -> {
      Base f = new Base(VhdxImageBuilder.fixed(SIZE).blockSize(MIB));
      return copyInto(b, f);
    }));
    c.add(new Case("sound image with 4096-byte sectors", b -> {
      Base f = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB).logicalSectorSize(4096));
      return copyInto(b, f);
    }));

    // File identifier.
    c.add(new Case("identifier signature damaged", b -> {
      b.image().put(0, "vhdxfilf".getBytes(StandardCharsets.US_ASCII));
      return Expect.fails("vhdx", "signature", "not a");
    }));

    // Headers: each field of the current one, with the other header sound (fallback) or not.
    c.add(new Case("header 1 signature damaged, header 2 sound", b -> {
      b.image().put(h1, "heae".getBytes(StandardCharsets.US_ASCII));
      return Expect.reads(b.disk);
    }));
    c.add(new Case("header 2 checksum wrong, header 1 sound", b -> {
      b.le32(h2 + 4, b.image().getLe32(h2 + 4) ^ 1);
      return Expect.reads(b.disk);
    }));
    c.add(new Case("both headers' checksums wrong", b -> {
      b.le32(h1 + 4, b.image().getLe32(h1 + 4) ^ 1);
      b.le32(h2 + 4, b.image().getLe32(h2 + 4) ^ 1);
      return Expect.fails("header");
    }));
    c.add(new Case("both headers' signatures damaged", b -> {
      b.image().put(h1, new byte[4]);
      b.image().put(h2, new byte[4]);
      return Expect.fails("header");
    }));
    c.add(new Case("both headers with log version 1 and a clean log", b -> {
      for (int slot = 1; slot <= 2; slot++) {
        b.image().put(slot == 1 ? h1 + 64 : h2 + 64, new byte[] {1, 0});
        b.image().fixHeaderChecksum(slot);
      }
      return Expect.reads(b.disk); // the log version matters only where there is a log
    }));
    for (long[] field : new long[][] {{66, 2}, {66, 0}}) {
      String what = "version";
      c.add(new Case("both headers with " + what + " " + field[1], b -> {
        for (int slot = 1; slot <= 2; slot++) {
          long at = slot == 1 ? h1 : h2;
          byte[] v = {(byte) field[1], 0};
          b.image().put(at + field[0], v);
          b.image().fixHeaderChecksum(slot);
        }
        return Expect.fails("version", "header");
      }));
    }
    c.add(new Case("equal sequence numbers, identical fields (Disk2vhd)", b -> {
      long seq = b.image().getLe64(h1 + 8);
      b.image().put(h2, b.image().read(h1, 4096));
      b.le64(h2 + 8, seq);
      b.image().fixHeaderChecksum(2);
      return Expect.reads(b.disk);
    }));
    c.add(new Case("equal sequence numbers, different fields", b -> {
      long seq = b.image().getLe64(h1 + 8);
      b.le64(h2 + 8, seq);
      b.le32(h2 + 16, b.image().getLe32(h2 + 16) ^ 1); // another FileWriteGuid
      b.image().fixHeaderChecksum(2);
      return Expect.fails("sequence", "header");
    }));
    c.add(new Case("log offset not a multiple of 1 MiB", b -> {
      bothHeaders(b, 72, b.image().getLe64(h1 + 72) + 4096);
      return Expect.fails("log", "header");
    }));
    c.add(new Case("log length not a multiple of 1 MiB", b -> {
      bothHeaders32(b, 68, b.image().getLe32(h1 + 68) + 4096);
      return Expect.fails("log", "header");
    }));
    c.add(new Case("log placed inside the header section", b -> {
      bothHeaders(b, 72, 0);
      return Expect.fails("log", "header");
    }));
    c.add(new Case("log reaching past the end of the file", b -> {
      bothHeaders(b, 72, 1L << 40);
      return Expect.fails("log", "past", "end");
    }));
    c.add(new Case("log overlapping the BAT", b -> {
      bothHeaders(b, 72, b.image().batOffset());
      return Expect.fails("overlap", "log");
    }));

    // Region tables.
    c.add(new Case("region table 1 checksum wrong, copy 2 sound", b -> {
      b.le32(r1 + 4, b.image().getLe32(r1 + 4) ^ 1);
      return Expect.reads(b.disk);
    }));
    c.add(new Case("region table 2 checksum wrong, copy 1 sound", b -> {
      b.le32(r2 + 4, b.image().getLe32(r2 + 4) ^ 1);
      return Expect.reads(b.disk);
    }));
    c.add(new Case("both region tables' checksums wrong", b -> {
      b.le32(r1 + 4, b.image().getLe32(r1 + 4) ^ 1);
      b.le32(r2 + 4, b.image().getLe32(r2 + 4) ^ 1);
      return Expect.fails("region");
    }));
    c.add(new Case("both region tables' signatures damaged", b -> {
      b.image().put(r1, new byte[4]);
      b.image().put(r2, new byte[4]);
      return Expect.fails("region");
    }));
    c.add(new Case("region table claiming 4000 entries", b -> {
      bothRegionTables(b, img -> img.putLe32(r1 + 8, 4000), img -> img.putLe32(r2 + 8, 4000));
      return Expect.fails("region", "entries");
    }));
    for (int[] edit : new int[][] {{16 + 16, 4096}, {16 + 16, 0}, {16 + 24, 4096},
        {16 + 24, 0}, {48 + 16, 12345}, {48 + 24, 0}}) {
      String entry = edit[0] < 48 ? "first" : "second";
      String field = edit[0] % 32 == 0 ? "offset" : "length";
      c.add(new Case("region table's " + entry + " entry with " + field + " " + edit[1], b -> {
        bothRegionTables(b, img -> put(img, r1 + edit[0], field, edit[1]),
            img -> put(img, r2 + edit[0], field, edit[1]));
        return Expect.fails("region", "MiB", "empty", "overlap", "BAT", "metadata");
      }));
    }
    c.add(new Case("region table without a BAT region", b -> {
      bothRegionTables(b, img -> img.put(r1 + 16, new byte[16]),
          img -> img.put(r2 + 16, new byte[16]));
      return Expect.fails("region", "BAT", "metadata");
    }));
    c.add(new Case("unknown required region", b -> {
      Base u = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB)
          .extraRegion(UUID.randomUUID(), 40L * MIB, MIB, 1));
      copyInto(b, u);
      return Expect.fails("required region");
    }));
    c.add(new Case("unknown optional region", b -> {
      Base u = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB)
          .extraRegion(UUID.randomUUID(), 40L * MIB, MIB, 0));
      return copyInto(b, u);
    }));
    c.add(new Case("BAT region too small for the disk's entries", b -> {
      Base big = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB));
      Expect e = copyInto(b, big);
      long bigSize = 1L << 40; // 1 TiB of 1 MiB blocks: 8 MiB of entries in a 1 MiB region
      b.le64(b.image().itemOffset(VhdxImageBuilder.VIRTUAL_DISK_SIZE), bigSize);
      return e.disk == null ? e : Expect.fails("BAT", "entries");
    }));

    // Metadata table and items.
    c.add(new Case("metadata table signature damaged", b -> {
      b.image().put(b.image().metadataOffset(), new byte[8]);
      return Expect.fails("metadata");
    }));
    c.add(new Case("metadata table claiming 3000 entries", b -> {
      byte[] n = {(byte) (3000 & 0xff), (byte) (3000 >> 8)};
      b.image().put(b.image().metadataOffset() + 10, n);
      return Expect.fails("metadata", "entries");
    }));
    for (byte[] item : List.of(VhdxImageBuilder.FILE_PARAMETERS,
        VhdxImageBuilder.VIRTUAL_DISK_SIZE, VhdxImageBuilder.LOGICAL_SECTOR_SIZE,
        VhdxImageBuilder.PHYSICAL_SECTOR_SIZE, VhdxImageBuilder.VIRTUAL_DISK_ID)) {
      c.add(new Case("metadata without item " + hex(item).substring(0, 8), b -> {
        Base m = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB).omitItem(item));
        copyInto(b, m);
        return Expect.fails("metadata", "item", "missing", "no ");
      }));
    }
    c.add(new Case("metadata entry offset inside the table", b -> {
      b.le32(b.image().metadataEntryOffset(0) + 16, 100);
      return Expect.fails("metadata", "offset", "region");
    }));
    c.add(new Case("metadata entry past the region's end", b -> {
      b.le32(b.image().metadataEntryOffset(0) + 16, 0x7fff_0000);
      return Expect.fails("metadata", "region");
    }));
    c.add(new Case("metadata entry 2 GiB long", b -> {
      b.le32(b.image().metadataEntryOffset(0) + 20, 0x7fff_ffff);
      return Expect.fails("metadata", "MiB", "long");
    }));
    c.add(new Case("two metadata entries for one item", b -> {
      byte[] first = b.image().read(b.image().metadataEntryOffset(0), 16);
      b.image().put(b.image().metadataEntryOffset(1), first);
      return Expect.fails("twice", "metadata");
    }));
    c.add(new Case("unknown required metadata item", b -> {
      Base m = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB)
          .metadataItem(UUID.randomUUID(), new byte[8], 0x4));
      copyInto(b, m);
      return Expect.fails("required", "metadata", "item");
    }));
    c.add(new Case("unknown optional metadata item", b -> {
      Base m = new Base(VhdxImageBuilder.dynamic(SIZE).blockSize(MIB)
          .metadataItem(UUID.randomUUID(), new byte[8], 0));
      return copyInto(b, m);
    }));
    for (int blockSize : new int[] {0, 3 * MIB, 512 * MIB, 512 * KIB, -1}) {
      c.add(new Case("block size " + blockSize, b -> {
        b.le32(b.image().itemOffset(VhdxImageBuilder.FILE_PARAMETERS), blockSize);
        return Expect.fails("block size");
      }));
    }
    c.add(new Case("file parameters flags 3 (fixed and differencing)", b -> {
      b.le32(b.image().itemOffset(VhdxImageBuilder.FILE_PARAMETERS) + 4, 3);
      return Expect.fails("parent", "locator", "flags", "differencing");
    }));
    c.add(new Case("differencing flag without a parent locator", b -> {
      b.le32(b.image().itemOffset(VhdxImageBuilder.FILE_PARAMETERS) + 4, 2);
      return Expect.fails("parent", "locator");
    }));
    for (long size : new long[] {0x4000_0000_0000L + 512, 1000, -512}) {
      c.add(new Case("virtual size " + size, b -> {
        b.le64(b.image().itemOffset(VhdxImageBuilder.VIRTUAL_DISK_SIZE), size);
        return Expect.fails("size");
      }));
    }
    for (int sector : new int[] {1024, 0, 513}) {
      c.add(new Case("logical sector size " + sector, b -> {
        b.le32(b.image().itemOffset(VhdxImageBuilder.LOGICAL_SECTOR_SIZE), sector);
        return Expect.fails("sector size");
      }));
      c.add(new Case("physical sector size " + sector, b -> {
        b.le32(b.image().itemOffset(VhdxImageBuilder.PHYSICAL_SECTOR_SIZE), sector);
        return Expect.fails("sector size");
      }));
    }

    // BAT entries.
    c.add(new Case("BAT entry past the end of the file", b -> {
      batEntry(b, 0, 6, 1L << 40);
      return Expect.fails("BAT", "past", "end");
    }));
    c.add(new Case("BAT entry inside the header section", b -> {
      batEntry(b, 0, 6, 0);
      return Expect.fails("BAT", "block");
    }));
    c.add(new Case("BAT entry pointing into the metadata region", b -> {
      batEntry(b, 0, 6, b.image().metadataOffset());
      return Expect.fails("BAT", "metadata", "overlap");
    }));
    c.add(new Case("BAT entry pointing into the log", b -> {
      batEntry(b, 0, 6, b.image().logOffset());
      return Expect.fails("BAT", "log", "overlap");
    }));
    c.add(new Case("BAT entry pointing into the BAT", b -> {
      batEntry(b, 0, 6, b.image().batOffset());
      return Expect.fails("BAT", "overlap");
    }));
    c.add(new Case("two BAT entries for one block of the file", b -> {
      long block3 = b.image().bat()[3] & ~0xFFFFFL;
      batEntry(b, 0, 6, block3);
      return Expect.fails("BAT", "overlap");
    }));
    c.add(new Case("BAT entry with reserved state 4", b -> {
      batEntry(b, 0, 4, 0);
      return Expect.fails("BAT", "state");
    }));
    c.add(new Case("BAT entry with reserved bits set", b -> {
      long raw = b.image().bat()[0];
      b.le64(b.image().batEntryOffset(0), raw | 0x100);
      return Expect.fails("BAT", "reserved");
    }));
    c.add(new Case("PARTIALLY_PRESENT block in a dynamic image", b -> {
      long raw = b.image().bat()[0];
      b.le64(b.image().batEntryOffset(0), (raw & ~7L) | 7);
      return Expect.fails("BAT", "PARTIALLY_PRESENT", "differencing");
    }));
    c.add(new Case("sector bitmap slot set in a dynamic image", b -> {
      VhdxImageBuilder big = VhdxImageBuilder.dynamic(8L << 30).blockSize(8 * MIB);
      long slot = big.bitmapIndex(0);
      Image img = big.build();
      img.putLe64(img.batEntryOffset(slot), 6L | (64L << 20));
      b.image = img;
      return Expect.fails("BAT", "bitmap");
    }));
    for (int state : new int[] {1, 2, 3, 5}) {
      c.add(new Case("block 3 in state " + state + " with its offset kept", b -> {
        long raw = b.image().bat()[3];
        b.le64(b.image().batEntryOffset(3), (raw & ~7L) | state);
        byte[] expected = b.disk.clone();
        Arrays.fill(expected, 3 * MIB, 4 * MIB, (byte) 0);
        return Expect.reads(expected);
      }));
    }

    // The log.
    c.add(new Case("LogGuid set but the log holds no entry", b -> {
      b.image().writeHeaders(UUID.randomUUID());
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log with a sound entry replays in memory", b -> {
      UUID log = UUID.randomUUID();
      byte[] sector = b.image().read(b.image().batOffset(), 4096);
      ByteBuffer.wrap(sector).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(24, 0);
      // BAT entry 3 logged as NOT_PRESENT: block 3 then reads as zeros.
      b.image().writeLogEntry(new LogEntrySpec(0, 1, 0, log, b.image().length(),
          b.image().length(), List.of(new DataUpdate(b.image().batOffset(), sector))));
      b.image().writeHeaders(log);
      byte[] expected = b.disk.clone();
      Arrays.fill(expected, 3 * MIB, 4 * MIB, (byte) 0);
      return Expect.reads(expected);
    }));
    c.add(new Case("dirty log entry with a wrong checksum", b -> {
      dirtyLog(b);
      int crc = b.image().getLe32(b.image().logOffset() + 4);
      b.le32(b.image().logOffset() + 4, crc ^ 1);
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log entry of another LogGuid", b -> {
      dirtyLog(b);
      b.image().writeHeaders(UUID.randomUUID());
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log entry whose Tail lies outside its sequence", b -> {
      dirtyLog(b);
      b.le32(b.image().logOffset() + 12, 64 * KIB);
      b.image().fixLogEntryChecksum(0);
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log entry with sequence number 0", b -> {
      dirtyLog(b);
      b.le64(b.image().logOffset() + 16, 0);
      b.image().fixLogEntryChecksum(0);
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log entry longer than the log", b -> {
      dirtyLog(b);
      b.le32(b.image().logOffset() + 8, (int) b.image().logLength() + 4096);
      b.image().fixLogEntryChecksum(0);
      return Expect.fails("log");
    }));
    c.add(new Case("dirty log whose FlushedFileOffset is past the end of the file", b -> {
      UUID log = UUID.randomUUID();
      b.image().writeLogEntry(new LogEntrySpec(0, 1, 0, log, b.image().length() + 64L * MIB,
          b.image().length() + 64L * MIB, List.of(new ZeroUpdate(40L * MIB, 4096))));
      b.image().writeHeaders(log);
      return Expect.fails("truncated", "FlushedFileOffset", "log");
    }));
    c.add(new Case("dirty log zeroing the BAT sector", b -> {
      UUID log = UUID.randomUUID();
      b.image().writeLogEntry(new LogEntrySpec(0, 1, 0, log, b.image().length(),
          b.image().length(), List.of(new ZeroUpdate(b.image().batOffset(), 4096))));
      b.image().writeHeaders(log);
      return Expect.reads(new byte[(int) SIZE]);
    }));
    c.add(new Case("dirty log writing into the header section", b -> {
      UUID log = UUID.randomUUID();
      b.image().writeLogEntry(new LogEntrySpec(0, 1, 0, log, b.image().length(),
          b.image().length(), List.of(new ZeroUpdate(0, 4096))));
      b.image().writeHeaders(log);
      return Expect.fails("log");
    }));

    // Differencing images whose parent cannot be used.
    c.add(new Case("differencing image whose parent is missing", b -> {
      b.image = VhdxImageBuilder.differencing(SIZE, UUID.randomUUID(), "gone.vhdx")
          .blockSize(MIB).build();
      return Expect.fails("parent", "gone.vhdx");
    }));
    c.add(new Case("differencing image whose locator has no parent_linkage", b -> {
      b.image = VhdxImageBuilder.differencing(SIZE, UUID.randomUUID(), "p.vhdx")
          .withoutLocatorKey("parent_linkage").blockSize(MIB).build();
      return Expect.fails("parent_linkage", "locator");
    }));
    c.add(new Case("differencing image whose locator has no path", b -> {
      b.image = VhdxImageBuilder.differencing(SIZE, UUID.randomUUID(), "p.vhdx")
          .withoutLocatorKey("relative_path").blockSize(MIB).build();
      return Expect.fails("path", "locator", "parent");
    }));
    return c.stream();
  }

  private static Expect copyInto(Base target, Base source) {
    target.image = source.image();
    System.arraycopy(source.disk, 0, target.disk, 0, source.disk.length);
    return Expect.reads(target.disk);
  }

  private static void bothHeaders(Base b, int field, long value) {
    for (int slot = 1; slot <= 2; slot++) {
      b.le64((slot == 1 ? VhdxImageBuilder.HEADER1 : VhdxImageBuilder.HEADER2) + field, value);
      b.image().fixHeaderChecksum(slot);
    }
  }

  private static void bothHeaders32(Base b, int field, int value) {
    for (int slot = 1; slot <= 2; slot++) {
      b.le32((slot == 1 ? VhdxImageBuilder.HEADER1 : VhdxImageBuilder.HEADER2) + field, value);
      b.image().fixHeaderChecksum(slot);
    }
  }

  private static void bothRegionTables(Base b, Consumer<Image> one, Consumer<Image> two) {
    one.accept(b.image());
    two.accept(b.image());
    b.image().fixRegionTableChecksum(1);
    b.image().fixRegionTableChecksum(2);
  }

  private static void put(Image img, long at, String field, int value) {
    if (field.equals("offset")) {
      img.putLe64(at, value);
    } else {
      img.putLe32(at, value);
    }
  }

  private static void batEntry(Base b, long index, int state, long offset) {
    b.le64(b.image().batEntryOffset(index), (offset & ~0xFFFFFL) | state);
  }

  /** A sound dirty log: one entry rewriting the BAT sector as it is. */
  private static UUID dirtyLog(Base b) {
    UUID log = UUID.randomUUID();
    byte[] sector = b.image().read(b.image().batOffset(), 4096);
    b.image().writeLogEntry(new LogEntrySpec(0, 1, 0, log, b.image().length(),
        b.image().length(), List.of(new DataUpdate(b.image().batOffset(), sector))));
    b.image().writeHeaders(log);
    return log;
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format(Locale.ROOT, "%02x", x));
    }
    return s.toString();
  }

  // ---- the harness -----------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void damagedImageIsReadExactlyOrRefusedSayingWhy(Case c) throws Exception {
    Base base = new Base();
    Expect expect = c.damage().apply(base);
    Path image = base.image().writeTo(dir.resolve("damaged.vhdx"));
    String before = Chains.sha256(image);
    assertTimeoutPreemptively(HANG_GUARD, () -> check(c, image, expect));
    assertEquals(before, Chains.sha256(image), "reading changed the file");
  }

  private static void check(Case c, Path image, Expect expect) throws IOException {
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    try (FileSystem fs = java.nio.file.FileSystems.newFileSystem(uri,
        java.util.Map.of("accessMode", "readOnly"))) {
      byte[] read = readAll(fs.getPath("/disk"));
      if (expect.disk() == null) {
        fail(c + ": read " + read.length + " bytes where a refusal mentioning one of "
            + expect.words() + " was expected");
      }
      assertEquals(expect.disk().length, read.length, c + ": size");
      assertTrue(Arrays.equals(expect.disk(), read), c + ": bytes differ at "
          + Arrays.mismatch(expect.disk(), read));
    } catch (VhdFormatException e) {
      if (expect.disk() != null) {
        throw new AssertionError(c + ": refused where it must read: " + e.getMessage(), e);
      }
      String m = e.getMessage();
      assertTrue(m.contains(image.getFileName().toString()), c + ": no file name in: " + m);
      String lower = m.toLowerCase(Locale.ROOT);
      assertTrue(expect.words().stream().anyMatch(w -> lower.contains(w.toLowerCase(Locale.ROOT))),
          c + ": none of " + expect.words() + " in: " + m);
    } catch (IOException e) {
      // A missing parent is an IOException naming it, as for VHD; nothing else may escape.
      if (expect.disk() != null || !c.name().contains("parent")) {
        throw new AssertionError(c + ": " + e, e);
      }
      String lower = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      assertTrue(expect.words().stream().anyMatch(w -> lower.contains(w.toLowerCase(Locale.ROOT))),
          c + ": none of " + expect.words() + " in: " + e.getMessage());
    }
  }

  private static byte[] readAll(Path disk) throws IOException {
    try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > 64L * MIB) {
        fail("disk of " + size + " bytes; the cases use " + SIZE);
      }
      ByteBuffer buf = ByteBuffer.allocate((int) size);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // read on
      }
      return buf.array();
    }
  }
}
