package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static io.vhdfs.testing.VhdImageBuilder.setFooterInt;
import static io.vhdfs.testing.VhdImageBuilder.setFooterLong;
import static io.vhdfs.testing.VhdImageBuilder.setHeaderInt;
import static io.vhdfs.testing.VhdImageBuilder.setHeaderLong;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.testing.ForwardingHostFileSystem;
import io.vhdfs.testing.HostBytes;
import io.vhdfs.testing.HostWriteLog;
import io.vhdfs.testing.SpecReader;
import io.vhdfs.testing.VhdImageBuilder;
import io.vhdfs.testing.VhdImageBuilder.Layout;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderNotFoundException;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.AssertionFailedError;

/**
 * Crafted and damaged images, each either read exactly or refused with a
 * {@link VhdFormatException} that names the file and says what is wrong. Never another exception,
 * an error, a hang or garbled bytes. The pom runs this class alone with {@code -Xmx128m}, so a
 * reader that trusts a size field enough to allocate by it fails here.
 *
 * <p>Images come from {@link VhdImageBuilder} (independent of the library); each damage is a
 * byte edit at an offset the builder's layout reports, with checksums kept right unless the case
 * is about checksums. Every case runs three ways: through its {@code vhd:} URI, through
 * {@code FileSystems.newFileSystem(hostPath)} on the default file system, and the same on a Jimfs
 * host. Expectations: READS (size and every byte, or the first and last MiB of a huge disk),
 * FAILS (a VhdFormatException naming the file and one of the case's keywords) and FAILS_OR_READS
 * (either, but never wrong bytes). Seeded fuzz expects FAILS_OR_READS with the bytes
 * {@link SpecReader} reads from the edited image, or FAILS (any wording) where the format defines
 * no content. A fourth route opens each image for writing: writes land exactly, or the open is
 * refused and the file is left unchanged. Files with no cookie at
 * all must make the provider decline with UnsupportedOperationException. Each case prints its
 * time and outcome; a 10 s guard catches hangs, nothing else is timed.
 */
final class MalformedImageTest {

  private static final int MIB = 1 << 20;
  private static final Duration HANG_GUARD = Duration.ofSeconds(10);
  /** Above this virtual size only the first and last MiB are read. */
  private static final long WHOLE_READ_LIMIT = 64L * MIB;

  // ---- the cases -------------------------------------------------------------------------

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();

    // Sound images first: they prove the harness reads what the builder wrote.
    c.add(new Case("valid dynamic image", image -> {
      VhdImageBuilder b = baseDynamic();
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("valid fixed image", image -> {
      VhdImageBuilder b = VhdImageBuilder.fixed(3L * MIB).write(0, random(70_000, 20))
          .write(3L * MIB - 1000, random(1000, 21));
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("blocks stored out of order with a gap", image -> {
      VhdImageBuilder b = baseDynamic().blockOrder(3, 0, 2).blockAt(2, 4 + 2 * 4097 + 64);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("bitmap marks only sector 0 of a block", image -> {
      VhdImageBuilder b = VhdImageBuilder.dynamic(4L * MIB).block(0, random(2 * MIB, 22))
          .bitmap(0, new byte[] {(byte) 0x80});
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("zero-size dynamic image", image -> {
      VhdImageBuilder b = VhdImageBuilder.dynamic(0);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("zero-size fixed image", image -> {
      VhdImageBuilder b = VhdImageBuilder.fixed(0);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("Virtual PC dynamic image sized by CHS", image -> {
      VhdImageBuilder b = baseDynamic().creator("vpc ");
      b.writeTo(image);
      assertTrue(b.expectedVirtualSize() < 8L * MIB, "CHS floor is below the current size");
      return Expect.reads(b);
    }));
    c.add(new Case("differencing child over its parent", image -> {
      VhdImageBuilder child = childOf(image);
      child.writeTo(image);
      return Expect.reads(child);
    }));
    c.add(new Case("largest dynamic disk 2040 GiB", image -> {
      long size = VhdImageBuilder.MAX_DYNAMIC_SIZE;
      int last = (int) (size / VhdImageBuilder.DEFAULT_BLOCK_SIZE) - 1;
      VhdImageBuilder b = VhdImageBuilder.dynamic(size).block(last, random(2 * MIB, 23))
          .block(0, random(4096, 24));
      b.writeTo(image);
      return Expect.reads(b);
    }));

    c.add(new Case("one BAT entry more than the size needs, as old qemu-img wrote", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      setHeaderInt(image, l, VhdImageBuilder.H_MAX_TABLE_ENTRIES, l.batEntries() + 1);
      return Expect.reads(b);
    }));
    c.add(new Case("size not a multiple of the block size", image -> {
      VhdImageBuilder b = VhdImageBuilder.dynamic(5L * MIB + 1536).block(0, random(4096, 26))
          .block(2, random(2 * MIB, 27));
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("512 KiB blocks", image -> {
      VhdImageBuilder b = VhdImageBuilder.dynamic(3L * MIB).blockSize(512 * 1024)
          .write(100_000, random(700_000, 28)).write(3L * MIB - 10, random(10, 29));
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(Case.large("128 Ki allocated 512-byte blocks", image -> {
      // Enough entries that a pairwise overlap check would run into the hang guard.
      int blocks = 128 * 1024;
      VhdImageBuilder b = VhdImageBuilder.dynamic((long) blocks * 512).blockSize(512);
      for (int i = 0; i < blocks; i++) {
        int index = i;
        b.block(index, () -> pattern(index, 512));
      }
      b.writeTo(image);
      return Expect.reads(b);
    }));

    c.add(new Case("header and BAT at unusual offsets", image -> {
      VhdImageBuilder b = baseDynamic().headerOffset(8192).tableOffset(4096);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("allocated block with an all-clear bitmap", image -> {
      VhdImageBuilder b = baseDynamic().bitmap(1, new byte[0]);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("saved-state and temporary flags set", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      setFooterInt(image, l, VhdImageBuilder.F_FEATURES, 0x3);
      for (long at : l.footerOffsets()) {
        HostBytes.write(image, at + VhdImageBuilder.F_SAVED_STATE, new byte[] {1});
        VhdImageBuilder.fixFooterChecksum(image, at);
      }
      return Expect.reads(b);
    }));
    c.add(new Case("dynamic image without the footer copy at 0", image -> {
      // The spec writes the copy; libvhdi never reads it, QEMU needs it. Open or refuse.
      VhdImageBuilder b = baseDynamic().footerCopy(false);
      b.writeTo(image);
      return Expect.failsOrReads(b, "footer", "cookie", "overlap");
    }));

    // Recovery the spec asks for: a damaged or lost end footer falls back to the copy at 0.
    c.add(new Case("bad end footer checksum, good copy at offset 0", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      flipChecksum(image, l.footerOffset() + VhdImageBuilder.F_CHECKSUM);
      return Expect.reads(b);
    }));
    c.add(new Case("end footer zeroed, copy at offset 0 intact", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      HostBytes.write(image, l.footerOffset(), new byte[VhdImageBuilder.FOOTER_SIZE]);
      return Expect.reads(b);
    }));
    c.add(new Case("bad footer copy at offset 0, good end footer", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      flipChecksum(image, l.footerCopyOffset() + VhdImageBuilder.F_CHECKSUM);
      return Expect.reads(b);
    }));
    c.add(new Case("511-byte footer of an old Virtual PC image", image -> {
      // 60/4/17 is the exact CHS of this size, so both size rules agree.
      VhdImageBuilder b = VhdImageBuilder.fixed(60L * 4 * 17 * 512).creator("vpc ")
          .shortFooter(true).write(512, random(30_000, 25));
      b.writeTo(image);
      return Expect.reads(b);
    }));

    c.add(new Case("511-byte end footer of a dynamic image", image -> {
      VhdImageBuilder b = baseDynamic().shortFooter(true);
      b.writeTo(image);
      return Expect.reads(b);
    }));
    c.add(new Case("bad 511-byte end footer, good copy at offset 0", image -> {
      VhdImageBuilder b = baseDynamic().shortFooter(true);
      Layout l = b.writeTo(image);
      flipChecksum(image, l.footerOffset() + VhdImageBuilder.F_CHECKSUM);
      return Expect.reads(b);
    }));

    // No VHD at all.
    c.add(new Case("empty file", image -> {
      Files.write(image, new byte[0]);
      return Expect.notAVhd();
    }));
    c.add(new Case("100-byte file", image -> {
      Files.write(image, random(100, 30));
      return Expect.notAVhd();
    }));
    c.add(new Case("64 KiB of seeded noise", image -> {
      byte[] noise = random(64 * 1024, 31);
      assertTrue(indexOf(noise, "conectix") < 0);
      Files.write(image, noise);
      return Expect.notAVhd();
    }));
    c.add(new Case("conectix cookie followed by noise", image -> {
      byte[] noise = random(64 * 1024, 32);
      System.arraycopy("conectix".getBytes(StandardCharsets.US_ASCII), 0, noise, 0, 8);
      Files.write(image, noise);
      return Expect.fails("footer checksum", "not a VHD");
    }));

    c.add(new Case("conectix cookie at the end of noise", image -> {
      byte[] noise = random(64 * 1024, 39);
      System.arraycopy("conectix".getBytes(StandardCharsets.US_ASCII), 0, noise,
          noise.length - 512, 8);
      Files.write(image, noise);
      return Expect.fails("footer checksum", "not a VHD");
    }));

    // Checksums and cookies.
    c.add(new Case("bad footer checksum in both copies", image -> {
      Layout l = baseDynamic().writeTo(image);
      for (long at : l.footerOffsets()) {
        flipChecksum(image, at + VhdImageBuilder.F_CHECKSUM);
      }
      return Expect.fails("footer checksum");
    }));
    c.add(new Case("bad footer checksum of a fixed image", image -> {
      Layout l = VhdImageBuilder.fixed(MIB).writeTo(image);
      flipChecksum(image, l.footerOffset() + VhdImageBuilder.F_CHECKSUM);
      return Expect.fails("footer checksum");
    }));
    c.add(new Case("bad dynamic header checksum", image -> {
      Layout l = baseDynamic().writeTo(image);
      flipChecksum(image, l.headerOffset() + VhdImageBuilder.H_CHECKSUM);
      return Expect.fails("header checksum");
    }));
    c.add(new Case("wrong dynamic header cookie", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.write(image, l.headerOffset(), "cxsparsf".getBytes(StandardCharsets.US_ASCII));
      VhdImageBuilder.fixHeaderChecksum(image, l.headerOffset());
      return Expect.fails("cookie");
    }));

    // The BAT's place and size.
    c.add(new Case("table offset past the end of file", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderLong(image, l, VhdImageBuilder.H_TABLE_OFFSET, l.fileSize() + 4096);
      return Expect.fails("table offset", "end of file");
    }));
    c.add(new Case("table offset so large that adding the BAT's length overflows", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderLong(image, l, VhdImageBuilder.H_TABLE_OFFSET, 0x7FFF_FFFF_FFFF_FFF7L);
      return Expect.fails("table offset", "end of file");
    }));
    c.add(new Case("negative table offset", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderLong(image, l, VhdImageBuilder.H_TABLE_OFFSET, 0x8000_0000_0000_0600L);
      return Expect.fails("table offset");
    }));
    c.add(new Case("table offset inside the dynamic header", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderLong(image, l, VhdImageBuilder.H_TABLE_OFFSET, 1024);
      return Expect.fails("table offset", "overlap");
    }));
    c.add(new Case("table offset on the footer copy", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderLong(image, l, VhdImageBuilder.H_TABLE_OFFSET, 0);
      return Expect.fails("table offset", "overlap");
    }));
    c.add(Case.large("2 GiB of 512-byte blocks: a 4 Mi-entry BAT", image -> {
      long size = 2L << 30;
      VhdImageBuilder b = VhdImageBuilder.dynamic(size).blockSize(512)
          .block(0, random(512, 46)).block((int) (size / 512) - 1, random(512, 47));
      b.writeTo(image);
      return Expect.failsOrReads(b, "table entries", "block size", "BAT");
    }));
    c.add(Case.large("8 GiB of 512-byte blocks: a 16 Mi-entry BAT", image -> {
      // A legal image whose table alone is 64 MiB: with a 128 MiB heap the reader must not
      // hold it twice (or may refuse it), never run out of memory.
      long size = 8L << 30;
      VhdImageBuilder b = VhdImageBuilder.dynamic(size).blockSize(512)
          .block(0, random(512, 40)).block((int) (size / 512) - 1, random(512, 41));
      b.writeTo(image);
      return Expect.failsOrReads(b, "table entries", "block size", "BAT");
    }));
    c.add(Case.large("32 GiB of 512-byte blocks: a 256 MiB BAT", image -> {
      long size = 32L << 30;
      VhdImageBuilder b = VhdImageBuilder.dynamic(size).blockSize(512)
          .block(1, random(512, 42)).block((int) (size / 512) - 2, random(512, 43));
      b.writeTo(image);
      return Expect.failsOrReads(b, "table entries", "block size", "BAT");
    }));
    c.add(new Case("max table entries 0xFFFFFFFF", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderInt(image, l, VhdImageBuilder.H_MAX_TABLE_ENTRIES, 0xFFFF_FFFF);
      return Expect.fails("table entries");
    }));
    c.add(new Case("max table entries 2^30, table far past the end of file", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderInt(image, l, VhdImageBuilder.H_MAX_TABLE_ENTRIES, 1 << 30);
      return Expect.fails("table entries", "end of file");
    }));
    c.add(new Case("too few table entries for the size", image -> {
      Layout l = baseDynamic().writeTo(image);
      setHeaderInt(image, l, VhdImageBuilder.H_MAX_TABLE_ENTRIES, 2);
      return Expect.fails("table entries");
    }));

    // Block sizes (qemu iotest 088 pokes 0, 128 and 0x12345678).
    for (int bad : new int[] {0, 3, 128, 0x1234_5678, 0x8000_0000}) {
      c.add(new Case(String.format("block size 0x%X", bad), image -> {
        Layout l = baseDynamic().writeTo(image);
        setHeaderInt(image, l, VhdImageBuilder.H_BLOCK_SIZE, bad);
        return Expect.fails("block size");
      }));
    }

    // BAT entries.
    c.add(new Case("BAT entry past the end of file", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), (int) (l.fileSize() / 512 + 100));
      return Expect.fails("BAT entry", "end of file");
    }));
    c.add(new Case("BAT entry 0xFFFFFFFE", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), 0xFFFF_FFFE);
      return Expect.fails("BAT entry", "end of file");
    }));
    c.add(new Case("BAT entry onto the footer copy", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), 0);
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("BAT entry into the dynamic header", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), 1);
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("BAT entry into the BAT", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), (int) (l.tableOffset() / 512));
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("BAT of zeros", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.write(image, l.tableOffset(), new byte[(int) l.batBytes()]);
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("BAT entry into the parent locator data", image -> {
      Layout l = childOf(image).writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(0), (int) (l.locatorDataOffset(0) / 512));
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("two BAT entries alias one block", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), (int) l.blockSector(0));
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("two BAT entries overlap partially", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(2), (int) l.blockSector(0) + 2048);
      return Expect.fails("BAT entry", "overlap");
    }));
    c.add(new Case("last block runs over the end footer", image -> {
      Layout l = baseDynamic().writeTo(image);
      HostBytes.writeInt(image, l.batEntryOffset(3), (int) l.blockSector(3) + 1);
      return Expect.fails("BAT entry", "overlap", "end of file", "footer");
    }));

    // Sizes and types.
    c.add(new Case("negative current size, dynamic", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, -8L * MIB);
      return Expect.fails("size");
    }));
    c.add(new Case("negative current size, fixed", image -> {
      Layout l = VhdImageBuilder.fixed(MIB).writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, Long.MIN_VALUE + MIB);
      return Expect.fails("size");
    }));
    c.add(new Case("petabyte dynamic disk", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, 1L << 50);
      return Expect.fails("size", "table entries");
    }));
    c.add(new Case("petabyte fixed disk", image -> {
      Layout l = VhdImageBuilder.fixed(MIB).write(0, random(512, 33)).writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, 1L << 50);
      return Expect.fails("size", "end of file", "truncated");
    }));
    c.add(new Case("dynamic disk one block above 2040 GiB", image -> {
      VhdImageBuilder.dynamic(VhdImageBuilder.MAX_DYNAMIC_SIZE + 2 * MIB)
          .block(0, random(512, 34)).writeTo(image);
      return Expect.fails("size");
    }));
    c.add(new Case("fixed size not a multiple of 512", image -> {
      VhdImageBuilder b = VhdImageBuilder.fixed(1000).write(0, random(1000, 44));
      b.writeTo(image);
      // QEMU counts whole sectors (current size / 512); a partial last sector is not shown.
      return Expect.failsOrReads(512, b, "size");
    }));
    c.add(new Case("dynamic size not a multiple of 512", image -> {
      VhdImageBuilder b = VhdImageBuilder.dynamic(5_000_000).block(2, random(2 * MIB, 45));
      b.writeTo(image);
      return Expect.failsOrReads(5_000_000 / 512 * 512, b, "size");
    }));
    c.add(new Case("disk type 7", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterInt(image, l, VhdImageBuilder.F_DISK_TYPE, 7);
      return Expect.fails("disk type");
    }));
    c.add(new Case("disk type 0", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterInt(image, l, VhdImageBuilder.F_DISK_TYPE, 0);
      return Expect.fails("disk type");
    }));
    c.add(new Case("dynamic image labelled fixed", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterInt(image, l, VhdImageBuilder.F_DISK_TYPE, 2);
      return Expect.fails("size", "end of file", "truncated", "disk type", "data offset");
    }));
    c.add(new Case("fixed image labelled dynamic", image -> {
      Layout l = VhdImageBuilder.fixed(2L * MIB).write(0, random(4096, 35)).writeTo(image);
      setFooterInt(image, l, VhdImageBuilder.F_DISK_TYPE, 3);
      return Expect.fails("data offset", "disk type");
    }));
    c.add(new Case("fixed footer claims more than the file holds", image -> {
      Layout l = VhdImageBuilder.fixed(4L * MIB).write(0, random(4096, 36)).writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, 8L * MIB);
      return Expect.fails("size", "end of file", "truncated");
    }));
    c.add(new Case("Virtual PC fixed image whose CHS exceeds the file", image -> {
      // The CHS size cannot be right (old qemu-img wrote rounded-up geometries over unrounded
      // sizes), so the default rule takes the current size, which fits; sizeFrom=chs refuses.
      VhdImageBuilder b = VhdImageBuilder.fixed(4L * MIB).creator("vpc ")
          .geometry(1000, 16, 63).write(0, random(4096, 37));
      b.writeTo(image);
      return Expect.reads(4L * MIB, b);
    }));

    c.add(new Case("Virtual PC dynamic image whose CHS exceeds its table", image -> {
      VhdImageBuilder b = baseDynamic().creator("vpc ").geometry(1000, 16, 63);
      b.writeTo(image);
      return Expect.reads(8L * MIB, b);
    }));
    c.add(new Case("Virtual PC image whose CHS and current size both exceed the table", image -> {
      Layout l = baseDynamic().creator("vpc ").geometry(1000, 16, 63).writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_CURRENT_SIZE, 64L * MIB);
      return Expect.fails("table entries", "size");
    }));
    c.add(new Case("Virtual PC image with geometry 0/0/0", image -> {
      VhdImageBuilder b = baseDynamic().creator("vpc ").geometry(0, 0, 0);
      b.writeTo(image);
      return Expect.failsOrReads(0, b, "size", "geometry");
    }));

    // Truncation.
    c.add(new Case("file truncated mid-BAT", image -> {
      // 1 GiB of 2 MiB blocks: a 2 KiB BAT, cut after its first KiB.
      Layout l = VhdImageBuilder.dynamic(1L << 30).block(0, random(4096, 38)).writeTo(image);
      HostBytes.truncate(image, l.tableOffset() + 1024);
      return Expect.fails("truncated", "end of file", "table offset", "table entries");
    }));
    c.add(new Case("file truncated mid-block", image -> {
      VhdImageBuilder b = baseDynamic();
      Layout l = b.writeTo(image);
      HostBytes.truncate(image, l.blockDataOffset(3) + MIB + 2000);
      return Expect.failsOrReads(b, "truncated", "end of file", "BAT entry");
    }));

    // Data offset (where the dynamic header is).
    c.add(new Case("data offset past the end of file", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_DATA_OFFSET, l.fileSize() + 512);
      return Expect.fails("data offset", "end of file");
    }));
    c.add(new Case("data offset with the top bit set", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_DATA_OFFSET, 0x8000_0000_0000_0200L);
      return Expect.fails("data offset");
    }));
    c.add(new Case("data offset inside the footer copy", image -> {
      Layout l = baseDynamic().writeTo(image);
      setFooterLong(image, l, VhdImageBuilder.F_DATA_OFFSET, 256);
      return Expect.fails("data offset", "overlap", "cookie");
    }));

    // Parent chains that never end, go too deep, or lead to the wrong parent.
    c.add(new Case("differencing image that is its own parent", image -> {
      UUID id = UUID.nameUUIDFromBytes(new byte[] {1});
      String self = image.getFileName().toString();
      VhdImageBuilder.differencing(8L * MIB).uniqueId(id).parentId(id).parentName(self)
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\" + self)
          .write(0, random(4096, 50)).writeTo(image);
      return Expect.fails("parent", "loop", "cycle", "chain");
    }));
    c.add(new Case("two differencing images that are each other's parent", image -> {
      UUID a = UUID.nameUUIDFromBytes(new byte[] {2});
      UUID b = UUID.nameUUIDFromBytes(new byte[] {3});
      String self = image.getFileName().toString();
      VhdImageBuilder.differencing(8L * MIB).uniqueId(b).parentId(a).parentName(self)
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\" + self)
          .writeTo(image.resolveSibling("other.vhd"));
      VhdImageBuilder.differencing(8L * MIB).uniqueId(a).parentId(b).parentName("other.vhd")
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\other.vhd")
          .write(0, random(4096, 51)).writeTo(image);
      return Expect.fails("parent", "loop", "cycle", "chain");
    }));
    c.add(new Case("chain of 100 differencing images", image -> {
      // Each level holds block 0 under a random half of its bitmap, so a sector's bytes come
      // from whichever level is the highest to have it; block 1 only exists at the bottom.
      // 64 KiB blocks keep the hundred files small enough for an in-memory host.
      int block = 64 * 1024;
      VhdImageBuilder level = VhdImageBuilder.dynamic(8L * MIB).blockSize(block)
          .block(1, random(block, 52)).block(0, random(block, 53));
      level.writeTo(image.resolveSibling("level-000.vhd"));
      for (int i = 1; i < 100; i++) {
        int seed = i;
        level = VhdImageBuilder.differencing(level, String.format("level-%03d.vhd", i - 1))
            .block(0, () -> pattern(1000 + seed, block)).bitmap(0, random(block / 4096, 200 + i));
        level.writeTo(i == 99 ? image : image.resolveSibling(String.format("level-%03d.vhd", i)));
      }
      return Expect.failsOrReads(level, "parent", "chain", "deep", "depth");
    }));
    c.add(new Case("parent whose unique id does not match", image -> {
      VhdImageBuilder child = childOf(image).parentId(UUID.nameUUIDFromBytes(new byte[] {4}));
      child.writeTo(image);
      return Expect.fails("parent", "unique id", "identifier", "mismatch");
    }));

    // Parent locators of a differencing image whose parent is right there.
    c.add(new Case("parent locator data length 0x7FFFFFFF", image -> {
      Layout l = childOf(image).writeTo(image);
      setHeaderInt(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
          + VhdImageBuilder.L_DATA_LENGTH, 0x7FFF_FFFF);
      return Expect.fails("parent locator");
    }));
    c.add(new Case("parent locator data offset so large that adding its length overflows",
        image -> {
          Layout l = childOf(image).writeTo(image);
          setHeaderLong(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
              + VhdImageBuilder.L_DATA_OFFSET, 0x7FFF_FFFF_FFFF_FFF7L);
          return Expect.fails("parent locator");
        }));
    c.add(new Case("parent locator data past the end of file", image -> {
      Layout l = childOf(image).writeTo(image);
      setHeaderLong(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
          + VhdImageBuilder.L_DATA_OFFSET, l.fileSize() + MIB);
      return Expect.fails("parent locator");
    }));

    // Parents that are missing, not images, or broken themselves.
    c.add(new Case("parent image missing from every place the child names", image -> {
      VhdImageBuilder.differencing(8L * MIB).parentId(UUID.nameUUIDFromBytes(new byte[] {5}))
          .parentName("parent.vhd")
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\sub\\parent.vhd")
          .parentLocator(VhdImageBuilder.PLATFORM_W2KU, "C:\\nowhere-w2ku\\parent.vhd")
          .parentLocator(VhdImageBuilder.PLATFORM_MACX, "file:///nowhere-macx/parent.vhd")
          .write(0, random(4096, 54)).writeTo(image);
      return Expect.failsSaying("parent image 'parent.vhd' not found; places tried: ",
          "W2ru locator 0 '.\\sub\\parent.vhd' -> ", "sub/parent.vhd: no such file",
          "W2ku locator 1 'C:\\nowhere-w2ku\\parent.vhd' -> /nowhere-w2ku/parent.vhd: no such file",
          "MacX locator 2 'file:///nowhere-macx/parent.vhd' -> /nowhere-macx/parent.vhd: no such "
              + "file",
          "parent name 'parent.vhd' next to the image -> ");
    }));
    c.add(new Case("parent that is a text file", image -> {
      Files.writeString(image.resolveSibling("parent.vhd"), "not a disk image\n".repeat(100));
      VhdImageBuilder.differencing(8L * MIB).parentId(UUID.nameUUIDFromBytes(new byte[] {6}))
          .parentName("parent.vhd").parentLocator(VhdImageBuilder.PLATFORM_W2RU, ".\\parent.vhd")
          .write(0, random(4096, 55)).writeTo(image);
      return Expect.failsSaying("parent image 'parent.vhd' not found",
          "parent.vhd: not a VHD image");
    }));
    c.add(new Case("parent with a bad footer checksum in both copies", image -> {
      // No footer to trust is no VHD: the place is passed over like any non-image.
      VhdImageBuilder child = childOf(image);
      child.writeTo(image);
      Path parent = image.resolveSibling("parent.vhd");
      for (long at : parentBuilder().layout().footerOffsets()) {
        flipChecksum(parent, at + VhdImageBuilder.F_CHECKSUM);
      }
      return Expect.failsSaying("parent image 'parent.vhd' not found",
          "parent.vhd: not a VHD image");
    }));
    c.add(new Case("parent whose BAT entries alias one block", image -> {
      VhdImageBuilder child = childOf(image);
      child.writeTo(image);
      Path parent = image.resolveSibling("parent.vhd");
      Layout l = parentBuilder().layout();
      HostBytes.writeInt(parent, l.batEntryOffset(3), (int) l.blockSector(0));
      return Expect.failsSaying("its parent chain cannot be opened: ",
          "parent.vhd: BAT entry 3");
    }));
    c.add(new Case("grandparent whose BAT entries alias one block", image -> {
      VhdImageBuilder base = VhdImageBuilder.dynamic(8L * MIB).block(0, random(MIB, 56))
          .block(1, random(MIB, 57));
      Layout l = base.writeTo(image.resolveSibling("base.vhd"));
      HostBytes.writeInt(image.resolveSibling("base.vhd"), l.batEntryOffset(1),
          (int) l.blockSector(0));
      VhdImageBuilder middle = VhdImageBuilder.differencing(base, "base.vhd")
          .write(0, random(4096, 58));
      middle.writeTo(image.resolveSibling("middle.vhd"));
      VhdImageBuilder.differencing(middle, "middle.vhd").write(MIB, random(4096, 59))
          .writeTo(image);
      return Expect.failsSaying("its parent chain cannot be opened: ", "base.vhd: BAT entry 1");
    }));

    // Locators whose payload names no file: each is a place that fails, never a crash.
    c.add(new Case("parent locator payload that is not valid UTF-16", image -> {
      childOf(image); // the parent is there, but nothing names it
      byte[] payload = {0x2E, 0x00, 0x5C, 0x00, 0x00, (byte) 0xD8, 0x70, 0x00, 0x00, (byte) 0xDC,
          (byte) 0xDC, 0x00, 0x41};
      onlyLocator(image, VhdImageBuilder.PLATFORM_W2RU, payload).writeTo(image);
      return Expect.failsSaying("parent image '' not found", "W2ru locator 0 '");
    }));
    c.add(new Case("parent locator payload with NULs and control characters", image -> {
      childOf(image);
      onlyLocator(image, VhdImageBuilder.PLATFORM_W2RU,
          ".\\par\u0000ent\u0007\u001b.vhd".getBytes(StandardCharsets.UTF_16LE)).writeTo(image);
      return Expect.failsSaying("parent image '' not found",
          "W2ru locator 0 '.\\par\\u0000ent\\u0007\\u001b.vhd'")
          .without("\u0000", "\u0007", "\u001b");
    }));
    c.add(new Case("parent locator payload ending in NULs counted in its length", image -> {
      VhdImageBuilder child = childOf(image).clearParentLocators().parentName("")
          .parentLocator(VhdImageBuilder.PLATFORM_W2RU,
              ".\\parent.vhd\u0000\u0000".getBytes(StandardCharsets.UTF_16LE));
      child.writeTo(image);
      return Expect.reads(child);
    }));
    c.add(new Case("W2ku locator holding a UNC path", image -> {
      childOf(image);
      onlyLocator(image, VhdImageBuilder.PLATFORM_W2KU,
          "\\\\server\\share\\parent.vhd".getBytes(StandardCharsets.UTF_16LE)).writeTo(image);
      return Expect.failsSaying("parent image '' not found",
          "W2ku locator 0 '\\\\server\\share\\parent.vhd': a network (UNC) path");
    }));
    c.add(new Case("MacX locators holding a garbage URL and a remote one", image -> {
      childOf(image);
      onlyLocator(image, VhdImageBuilder.PLATFORM_MACX,
          "file:///%zz/par ent.vhd".getBytes(StandardCharsets.UTF_8))
          .parentLocator(VhdImageBuilder.PLATFORM_MACX, "http://example.com/parent.vhd")
          .writeTo(image);
      return Expect.failsSaying("parent image '' not found",
          "MacX locator 0 'file:///%zz/par ent.vhd': not a URL",
          // Another scheme's URI names a parent on another host, through its provider: none
          // is installed for http.
          "MacX locator 1 'http://example.com/parent.vhd': not a path here (no file system "
              + "provider for scheme http is installed)");
    }));
    c.add(new Case("parent locator pointing into the child's own BAT", image -> {
      // The BAT's bytes read as a path name no file; the header's parent name still finds it.
      VhdImageBuilder child = childOf(image);
      Layout l = child.writeTo(image);
      setHeaderLong(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
          + VhdImageBuilder.L_DATA_OFFSET, l.tableOffset());
      return Expect.reads(child);
    }));
    c.add(new Case("only parent locator pointing into the child's own BAT", image -> {
      VhdImageBuilder child = childOf(image).parentName("");
      Layout l = child.writeTo(image);
      setHeaderLong(image, l, l.parentLocatorEntryOffset(0) - l.headerOffset()
          + VhdImageBuilder.L_DATA_OFFSET, l.tableOffset());
      return Expect.failsSaying("parent image '' not found", "W2ru locator 0 '");
    }));
    c.add(new Case("W2ku locator naming /etc/passwd and no other place", image -> {
      Path passwd = image.getFileSystem().getPath("/etc/passwd");
      if (image.getFileSystem() == FileSystems.getDefault()) {
        Assumptions.assumeTrue(Files.isRegularFile(passwd), "no /etc/passwd on this host");
      } else {
        Files.createDirectories(passwd.getParent());
        Files.writeString(passwd, "root:x:0:0:root:/root:/bin/sh\n".repeat(40));
      }
      childOf(image);
      onlyLocator(image, VhdImageBuilder.PLATFORM_W2KU,
          "C:\\etc\\passwd".getBytes(StandardCharsets.UTF_16LE)).writeTo(image);
      return Expect.failsSaying("parent image '' not found",
          "W2ku locator 0 'C:\\etc\\passwd' -> /etc/passwd: not a VHD image");
    }));

    // The parent name field: 256 UTF-16 units fill it, with no NUL after them.
    c.add(new Case("parent name of 256 UTF-16 units naming no file", image -> {
      String name = "x".repeat(252) + ".vhd";
      childOf(image).clearParentLocators().parentName(name).writeTo(image);
      return Expect.failsSaying("parent image '" + name + "' not found",
          "parent name '" + name + "' next to the image -> ");
    }));
    c.add(new Case("parent name of 256 UTF-16 units ending in the parent's name", image -> {
      String tail = "\\parent.vhd";
      String name = "D:\\" + "d".repeat(256 - 3 - tail.length()) + tail;
      assertEquals(256, name.length());
      VhdImageBuilder child = childOf(image).clearParentLocators().parentName(name);
      child.writeTo(image);
      return Expect.reads(child);
    }));
    c.add(new Case("child whose recorded parent unique id is zero", image -> {
      childOf(image).parentId(new UUID(0, 0)).writeTo(image);
      return Expect.failsSaying("parent unique id mismatch",
          "expects a parent with unique id 00000000-0000-0000-0000-000000000000",
          "ignoreParentId=true");
    }));

    // The longest chain opened, and one more.
    c.add(new Case("chain of 32 images, the most opened", image -> {
      VhdImageBuilder top = chainOf(image, 32);
      return Expect.reads(top);
    }));
    c.add(new Case("chain of 33 images, one too many", image -> {
      chainOf(image, 33);
      return Expect.failsSaying("parent chain too deep: more than 32 images");
    }));

    // Seeded random edits of metadata fields, checksums mostly kept right so the edits get past
    // the first check: whatever the reader makes of them, it reads or refuses cleanly.
    for (int seed = 1; seed <= FUZZ_CASES; seed++) {
      int fuzzSeed = seed;
      c.add(new Case(String.format(Locale.ROOT, "fuzzed metadata, seed %02d", seed),
          image -> fuzz(image, fuzzSeed)));
    }
    return c.stream();
  }

  private static final int FUZZ_CASES = 40;
  /** Values that tend to sit on a boundary of some check. */
  private static final int[] EDGE_BYTES = {0x00, 0xFF, 0x80, 0x7F, 0x01, 0x02, 0x10, 0xFE};

  private static Expect fuzz(Path image, int seed) throws IOException {
    Random rnd = new Random(seed * 7919L);
    boolean fixed = seed % 5 == 0;
    Layout l = fixed
        ? VhdImageBuilder.fixed(3L * MIB).write(0, random(8192, seed)).writeTo(image)
        : baseDynamic().writeTo(image);
    int edits = 1 + rnd.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int where = fixed ? 0 : rnd.nextInt(3);
      int value = rnd.nextBoolean() ? EDGE_BYTES[rnd.nextInt(EDGE_BYTES.length)]
          : rnd.nextInt(256);
      if (where == 0) {
        // Footer fields before the checksum, except the disk type: a type-4 image without a
        // parent is a missing-parent case, covered elsewhere.
        int field;
        do {
          field = rnd.nextInt(VhdImageBuilder.F_CHECKSUM);
        } while (field >= VhdImageBuilder.F_DISK_TYPE && field < VhdImageBuilder.F_DISK_TYPE + 4);
        boolean bothCopies = rnd.nextInt(4) != 0;
        for (long at : l.footerOffsets()) {
          HostBytes.write(image, at + field, new byte[] {(byte) value});
          if (!bothCopies) {
            break;
          }
        }
      } else if (where == 1) {
        int field = rnd.nextInt(VhdImageBuilder.H_PARENT_ID);
        if (field >= VhdImageBuilder.H_CHECKSUM && field < VhdImageBuilder.H_CHECKSUM + 4) {
          field = VhdImageBuilder.H_MAX_TABLE_ENTRIES + (field & 3);
        }
        HostBytes.write(image, l.headerOffset() + field, new byte[] {(byte) value});
      } else {
        int entry = rnd.nextInt(l.batEntries() + 1);
        HostBytes.write(image, l.tableOffset() + 4L * entry + rnd.nextInt(4),
            new byte[] {(byte) value});
      }
    }
    if (rnd.nextInt(8) != 0) {
      for (long at : l.footerOffsets()) {
        VhdImageBuilder.fixFooterChecksum(image, at);
      }
      if (!fixed) {
        VhdImageBuilder.fixHeaderChecksum(image, l.headerOffset());
      }
    }
    if (!hasCookie(image)) {
      return Expect.notAVhd();
    }
    // The edits leave an image the format still reads one way, or not at all: a reader that
    // opens it must show exactly those bytes; where the format defines none, it must refuse.
    SpecReader.Outcome spec = SpecReader.read(image);
    if (spec instanceof SpecReader.Reading r) {
      return Expect.failsOrReads(r.disk().size(), r.disk()::content);
    }
    return Expect.refusedBecause(((SpecReader.NoReading) spec).why());
  }

  /** Whether "conectix" starts a footer candidate: at the end (512 or 511 bytes) or at 0. */
  private static boolean hasCookie(Path image) throws IOException {
    long size = Files.size(image);
    byte[] cookie = "conectix".getBytes(StandardCharsets.US_ASCII);
    for (long at : new long[] {size - 512, size - 511, 0}) {
      if (at >= 0 && at + 8 <= size && Arrays.equals(cookie, HostBytes.read(image, at, 8))) {
        return true;
      }
    }
    return false;
  }

  /** 8 MiB, 4 blocks: 0 and 2 full of noise, 3 with 5000 bytes at 1 MiB + 100, 1 unallocated. */
  private static VhdImageBuilder baseDynamic() {
    return VhdImageBuilder.dynamic(8L * MIB)
        .block(0, random(2 * MIB, 1))
        .block(2, random(2 * MIB, 2))
        .write(7L * MIB + 100, random(5000, 3));
  }

  /**
   * {@code images} images ending in {@code image}: a dynamic base and differencing levels over it,
   * each holding block 0 under a random half of its bitmap (64 KiB blocks keep them small).
   */
  private static VhdImageBuilder chainOf(Path image, int images) throws IOException {
    int block = 64 * 1024;
    VhdImageBuilder level = VhdImageBuilder.dynamic(4L * MIB).blockSize(block)
        .block(1, random(block, 60)).block(0, random(block, 61));
    level.writeTo(images == 1 ? image : image.resolveSibling("chain-00.vhd"));
    for (int i = 1; i < images; i++) {
      int seed = i;
      level = VhdImageBuilder.differencing(level, String.format("chain-%02d.vhd", i - 1))
          .block(0, () -> pattern(2000 + seed, block)).bitmap(0, random(block / 4096, 300 + i));
      level.writeTo(i == images - 1 ? image : image.resolveSibling(
          String.format("chain-%02d.vhd", i)));
    }
    return level;
  }

  /**
   * A child of the {@code parent.vhd} {@link #childOf} wrote, whose one place naming a parent is
   * a locator with this payload: no other locator, an empty parent name.
   */
  private static VhdImageBuilder onlyLocator(Path image, int code, byte[] payload)
      throws IOException {
    return VhdImageBuilder.differencing(8L * MIB)
        .parentId(idOf(image.resolveSibling("parent.vhd"))).parentName("")
        .parentLocator(code, payload).write(MIB, random(4096, 62));
  }

  /** The unique id in the end footer of an image on the host. */
  private static UUID idOf(Path image) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(HostBytes.read(image,
        Files.size(image) - VhdImageBuilder.FOOTER_SIZE + VhdImageBuilder.F_UNIQUE_ID, 16));
    return new UUID(b.getLong(), b.getLong());
  }

  /** The parent {@link #childOf} writes: its layout does not depend on its random id. */
  private static VhdImageBuilder parentBuilder() {
    return VhdImageBuilder.dynamic(8L * MIB)
        .block(0, random(2 * MIB, 10)).block(3, random(MIB, 11));
  }

  /** A child (not yet written) of a parent written as {@code parent.vhd} next to {@code image}. */
  private static VhdImageBuilder childOf(Path image) throws IOException {
    VhdImageBuilder parent = parentBuilder();
    parent.writeTo(image.resolveSibling("parent.vhd"));
    return VhdImageBuilder.differencing(parent, "parent.vhd")
        .write(MIB, random(4096, 12))
        .block(3, random(2 * MIB, 13)).bitmap(3, new byte[] {(byte) 0xF0, 0x0F});
  }

  // ---- the tests -------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void vhdUriReadsExactlyOrRefusesWithVhdFormatException(Case c, @TempDir Path dir)
      throws IOException {
    Path image = dir.resolve(c.fileName());
    Expect expect = c.maker.make(image);
    guarded(c, "vhd: URI", () -> checkVhdUri(image, expect));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void newFileSystemOnHostPathReadsExactlyOrRefusesCleanly(Case c, @TempDir Path dir)
      throws IOException {
    Path image = dir.resolve(c.fileName());
    Expect expect = c.maker.make(image);
    guarded(c, "newFileSystem", () -> checkNewFileSystem(image, expect));
  }

  /** The same on an in-memory host: nothing may assume the default file system. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("casesSmallEnoughForMemory")
  void newFileSystemOnJimfsHostReadsExactlyOrRefusesCleanly(Case c) throws IOException {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(jimfs.getPath("/images"));
      Path image = dir.resolve(c.fileName());
      Expect expect = c.maker.make(image);
      guarded(c, "Jimfs host", () -> checkNewFileSystem(image, expect));
    }
  }

  /**
   * The same images opened for writing. A crafted image may not turn a write into damage: either
   * the writes land exactly (after reopening, they read back and every other byte is as before),
   * or the open is refused as the read is, and then the file is byte-identical.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void writableOpenWritesExactlyOrRefusesCleanly(Case c, @TempDir Path dir) throws IOException {
    Path image = dir.resolve(c.fileName());
    Expect expect = c.maker.make(image);
    guarded(c, "write", () -> checkWrite(image, expect, c.large));
  }

  private static String checkWrite(Path image, Expect expect, boolean large) throws Throwable {
    if (expect.noCookie) {
      return checkDeclined(image);
    }
    byte[] before = large ? null : Files.readAllBytes(image);
    List<long[]> ranges = new ArrayList<>();
    byte[] data = random(3000, 99);
    Throwable thrown = null;
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of());
        FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      long size = ch.size();
      // The start, a stretch across the middle (a block boundary for even block counts), the end.
      for (long at : new long[] {0, size / 2 - 1000, size - 1500}) {
        long from = Math.max(0, at);
        int length = (int) Math.min(data.length, size - from);
        if (length > 0) {
          assertEquals(length, ch.write(ByteBuffer.wrap(data, 0, length), from));
          ranges.add(new long[] {from, length});
        }
      }
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) {
      thrown = t;
    }
    if (thrown != null) {
      if (before != null) {
        assertTrue(Arrays.equals(before, Files.readAllBytes(image)),
            "a refused writable open changed the image");
      }
      return judge(thrown, null, image, expect);
    }
    if (expect.kind == Kind.FAILS) {
      fail("opened and wrote the disk; expected " + expect.kind + " " + expect.keywords
          + expect.reason());
    }
    Content base = expect.content;
    Content written = base == null ? null : (offset, length) -> {
      byte[] b = base.at(offset, length);
      for (long[] r : ranges) {
        long from = Math.max(offset, r[0]);
        long to = Math.min(offset + length, r[0] + r[1]);
        if (from < to) {
          System.arraycopy(data, (int) (from - r[0]), b, (int) (from - offset), (int) (to - from));
        }
      }
      return b;
    };
    Expect after = expect.withContent(written);
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("accessMode", "readOnly"));
        FileChannel ch = FileChannel.open(fs.getPath("/disk"))) {
      for (long[] r : ranges) {
        ByteBuffer got = ByteBuffer.allocate((int) r[1]);
        while (got.hasRemaining() && ch.read(got, r[0] + got.position()) > 0) {
          // positional reads until the range is full
        }
        assertTrue(Arrays.equals(Arrays.copyOf(data, (int) r[1]), got.array()),
            "the bytes written at " + r[0] + " do not read back after reopening");
      }
      long size = readWholeDisk(fs.getPath("/disk"), after);
      return "wrote " + ranges.size() + " ranges, reread " + size + " bytes";
    }
  }

  static Stream<Case> casesSmallEnoughForMemory() {
    return cases().filter(c -> !c.large);
  }

  private static void guarded(Case c, String route, ThrowingSupplier<String> check) {
    long start = System.nanoTime();
    String outcome = "failed";
    try {
      outcome = assertTimeoutPreemptively(HANG_GUARD, check,
          c.name + ": did not finish within " + HANG_GUARD.toSeconds() + " s");
    } finally {
      System.out.printf(Locale.ROOT, "%-56s %-13s %5d ms  %s%n", c.name, route,
          (System.nanoTime() - start) / 1_000_000, outcome);
    }
  }

  /**
   * Threads racing to open the same images through their URIs (so racing to create the
   * auto-created file systems) each read exactly or get the same refusal, with nothing else.
   */
  @Test
  void concurrentOpensOfGoodAndBadImagesReadExactlyOrRefuse(@TempDir Path dir) throws Exception {
    VhdImageBuilder good = baseDynamic();
    Path goodImage = dir.resolve("good.vhd");
    good.writeTo(goodImage);
    Path badImage = dir.resolve("bad.vhd");
    Layout l = baseDynamic().writeTo(badImage);
    HostBytes.writeInt(badImage, l.batEntryOffset(2), (int) l.blockSector(0));
    byte[] expected = good.expectedContent(3L * MIB, MIB);
    int threads = 8;
    int rounds = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<?>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          boolean readGood = t % 2 == 0;
          results.add(pool.submit(() -> {
            start.await();
            for (int r = 0; r < rounds; r++) {
              Path image = readGood ? goodImage : badImage;
              Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
              try (FileChannel ch = (FileChannel) Files.newByteChannel(disk)) {
                ByteBuffer buf = ByteBuffer.allocate(MIB);
                while (buf.hasRemaining()) {
                  if (ch.read(buf, 3L * MIB + buf.position()) < 0) {
                    fail("early end of stream");
                  }
                }
                if (!readGood) {
                  fail("opened an image with aliased BAT entries");
                }
                if (!Arrays.equals(expected, buf.array())) {
                  fail("wrong bytes under concurrent opens");
                }
              } catch (AssertionFailedError e) {
                throw e;
              } catch (Throwable e) {
                if (readGood) {
                  throw new AssertionFailedError("the good image failed: " + e, e);
                }
                assertRefusal(e, badImage, Expect.fails("BAT entry", "overlap"));
              }
            }
            return null;
          }));
        }
        for (Future<?> f : results) {
          try {
            f.get();
          } catch (ExecutionException e) {
            throw e.getCause();
          }
        }
      });
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A locator naming a file that is no VHD (here /etc/passwd on an in-memory host, whose reads a
   * forwarding host records): the footer probe looks at its first and last 512 bytes and at
   * nothing else, and nothing is written anywhere.
   */
  @Test
  void locatorNamingAForeignFileReadsNothingOfItButTheFooterProbe() throws Exception {
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      Path passwd = Files.createDirectories(jimfs.getPath("/etc")).resolve("passwd");
      Files.writeString(passwd, "user:x:1000:1000:someone:/home/user:/bin/sh\n".repeat(2000));
      long size = Files.size(passwd);
      Path image = Files.createDirectories(jimfs.getPath("/images")).resolve("reads-passwd.vhd");
      childOf(image);
      onlyLocator(image, VhdImageBuilder.PLATFORM_W2KU,
          "C:\\etc\\passwd".getBytes(StandardCharsets.UTF_16LE)).writeTo(image);
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      host.log().clear();
      Path wrapped = host.wrap(image);
      Throwable thrown = null;
      try (FileSystem fs = FileSystems.newFileSystem(wrapped, Map.of("accessMode", "readOnly"))) {
        fail("opened a child whose only parent place is /etc/passwd: " + fs);
      } catch (Throwable t) {
        thrown = t;
      }
      assertRefusal(thrown, image, Expect.failsSaying(
          "W2ku locator 0 'C:\\etc\\passwd' -> /etc/passwd: not a VHD image"));
      List<HostWriteLog.Read> probe = host.log().reads().stream()
          .filter(r -> r.file().equals(passwd.toString())).toList();
      System.out.println("reads of /etc/passwd (" + size + " bytes): " + probe);
      assertTrue(!probe.isEmpty(), "/etc/passwd was never looked at, yet called not a VHD");
      for (HostWriteLog.Read r : probe) {
        boolean head = r.position() + r.length() <= VhdImageBuilder.FOOTER_SIZE;
        boolean tail = r.position() >= size - VhdImageBuilder.FOOTER_SIZE;
        assertTrue(head || tail, () -> r + ": beyond the footer probe (the first and last 512 of "
            + size + " bytes); all reads: " + probe);
      }
      assertEquals(List.of(), host.log().mutations(), "nothing may be written");
      assertEquals(0, host.log().writeOpens(), "nothing may be opened for writing");
    }
  }

  /** sizeFrom=chs may not send reads past the end of the table. */
  @Test
  void sizeFromChsBeyondTheTableIsRefused(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("chs-beyond-table.vhd");
    baseDynamic().geometry(1000, 16, 63).writeTo(image);
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      Throwable thrown = null;
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("sizeFrom", "chs"));
          FileChannel ch = (FileChannel) Files.newByteChannel(fs.getPath("/disk"))) {
        ByteBuffer buf = ByteBuffer.allocate(MIB);
        ch.read(buf, ch.size() - MIB);
        ch.read(buf.clear(), 100L * MIB);
      } catch (Throwable t) {
        thrown = t;
      }
      if (thrown == null) {
        fail("read 1000/16/63 sectors of a disk whose table covers 8 MiB");
      }
      assertRefusal(thrown, image, Expect.fails("table entries", "size"));
    });
  }

  @Test
  void sizeFromChsBeyondAFixedImageIsRefused(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("chs-beyond-fixed.vhd");
    VhdImageBuilder.fixed(4L * MIB).geometry(1000, 16, 63).write(0, random(512, 49))
        .writeTo(image);
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      Throwable thrown = null;
      try (FileSystem fs = FileSystems.newFileSystem(image, Map.of("sizeFrom", "chs"));
          FileChannel ch = (FileChannel) Files.newByteChannel(fs.getPath("/disk"))) {
        ByteBuffer buf = ByteBuffer.allocate(MIB);
        ch.read(buf, ch.size() - MIB);
      } catch (Throwable t) {
        thrown = t;
      }
      if (thrown == null) {
        fail("read 1000/16/63 sectors of a fixed image holding 4 MiB");
      }
      assertRefusal(thrown, image, Expect.fails("size", "end of file", "truncated"));
    });
  }

  /** The image shrinks under an open channel: the read must fail, not invent zeros. */
  @Test
  void dynamicImageTruncatedUnderAnOpenChannelFailsTheRead(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("shrinks-while-open.vhd");
    VhdImageBuilder b = baseDynamic();
    Layout l = b.writeTo(image);
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      try (FileChannel ch = (FileChannel) Files.newByteChannel(disk)) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        ch.read(buf, 0);
        HostBytes.truncate(image, l.blockDataOffset(2) + 4096);
        Throwable thrown = readExpectingFailure(ch, 4L * MIB + 8192);
        assertRefusal(thrown, image, Expect.fails("truncated", "end of file"));
      }
    });
  }

  @Test
  void fixedImageTruncatedUnderAnOpenChannelFailsTheRead(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("fixed-shrinks-while-open.vhd");
    VhdImageBuilder.fixed(4L * MIB).write(3L * MIB, random(4096, 48)).writeTo(image);
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      try (FileChannel ch = (FileChannel) Files.newByteChannel(disk)) {
        ch.read(ByteBuffer.allocate(512), 0);
        HostBytes.truncate(image, 2L * MIB);
        Throwable thrown = readExpectingFailure(ch, 3L * MIB);
        assertRefusal(thrown, image, Expect.fails("truncated", "end of file"));
      }
    });
  }

  private static Throwable readExpectingFailure(FileChannel ch, long position) {
    ByteBuffer buf = ByteBuffer.allocate(4096);
    try {
      int n = ch.read(buf, position);
      throw new AssertionFailedError("read " + n + " bytes of a region the host file no longer "
          + "holds; expected a VhdFormatException");
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) {
      return t;
    }
  }

  /** Returns what happened, for the log. */
  private static String checkVhdUri(Path image, Expect expect) {
    Path disk = Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
    String outcome = null;
    Throwable thrown = null;
    try {
      long size = readWholeDisk(disk, expect);
      if (expect.kind == Kind.READS) {
        assertEquals(expect.size, Files.size(disk), "Files.size of the disk");
      }
      outcome = "read " + size + " bytes";
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) { // an Error or RuntimeException is a failure to report, not a crash
      thrown = t;
    }
    return judge(thrown, outcome, image, expect);
  }

  private static String checkNewFileSystem(Path image, Expect expect) throws Throwable {
    if (expect.noCookie) {
      return checkDeclined(image);
    }
    String outcome = null;
    Throwable thrown = null;
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      Path disk = fs.getPath("/disk");
      if (expect.kind == Kind.READS) {
        assertEquals(expect.size, Files.size(disk), "Files.size of /disk");
      }
      long size = readWholeDisk(disk, expect);
      outcome = "opened, read " + size + " bytes";
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) {
      thrown = t;
    }
    return judge(thrown, outcome, image, expect);
  }

  /**
   * No cookie anywhere: the vhd provider must decline with UnsupportedOperationException, so
   * other providers get their turn; when every provider declines the JDK throws
   * ProviderNotFoundException.
   */
  private static String checkDeclined(Path image) {
    FileSystemProvider vhd = FileSystemProvider.installedProviders().stream()
        .filter(p -> p.getScheme().equalsIgnoreCase("vhd")).findFirst()
        .orElseThrow(() -> new AssertionFailedError("no installed provider for the vhd scheme"));
    try (FileSystem fs = vhd.newFileSystem(image, Map.of())) {
      fail("the vhd provider opened a file with no conectix cookie: " + fs);
    } catch (UnsupportedOperationException expected) {
      // declined, as the contract says
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionFailedError("expected UnsupportedOperationException from the vhd "
          + "provider for a file with no cookie, got " + t, t);
    }
    try (FileSystem fs = FileSystems.newFileSystem(image, Map.of())) {
      fail("FileSystems.newFileSystem opened a file with no conectix cookie: " + fs);
    } catch (ProviderNotFoundException | UnsupportedOperationException expected) {
      return "declined: " + expected;
    } catch (AssertionFailedError e) {
      throw e;
    } catch (Throwable t) {
      throw new AssertionFailedError("expected every provider to decline a file with no "
          + "cookie, got " + t, t);
    }
    throw new AssertionError("unreachable");
  }

  /** Checks what opening and reading did against the expectation; returns it for the log. */
  private static String judge(Throwable thrown, String outcome, Path image, Expect expect) {
    switch (expect.kind) {
      case READS:
        if (thrown != null) {
          throw new AssertionFailedError("expected the image to open and read, but got " + thrown,
              thrown);
        }
        break;
      case FAILS:
        if (thrown == null) {
          fail("opened and read the whole disk; expected a VhdFormatException mentioning one of "
              + expect.keywords + expect.reason());
        }
        assertRefusal(thrown, image, expect);
        break;
      case FAILS_OR_READS:
        if (thrown != null) {
          assertRefusal(thrown, image, expect);
        }
        break;
      default:
        throw new AssertionError(expect.kind);
    }
    return thrown == null ? outcome : "refused: " + thrown.getMessage();
  }

  /**
   * Reads every byte (or the first and last MiB of a huge disk) with positional reads, compares
   * with the expected content where there is one, and checks -1 at the end.
   */
  private static long readWholeDisk(Path disk, Expect expect) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(disk)) {
      if (!(ch instanceof FileChannel)) {
        fail("newByteChannel returned " + ch.getClass().getName() + ", not a FileChannel");
      }
      FileChannel fc = (FileChannel) ch;
      long size = fc.size();
      if (expect.kind == Kind.READS || expect.kind == Kind.FAILS_OR_READS) {
        assertEquals(expect.size, size, "channel size");
      }
      if (size < 0) {
        fail("negative channel size " + size);
      }
      List<long[]> ranges = new ArrayList<>();
      if (size <= WHOLE_READ_LIMIT) {
        ranges.add(new long[] {0, size});
      } else {
        ranges.add(new long[] {0, MIB});
        ranges.add(new long[] {size - MIB, size});
      }
      ByteBuffer buf = ByteBuffer.allocate(MIB);
      for (long[] range : ranges) {
        for (long pos = range[0]; pos < range[1]; pos += MIB) {
          int length = (int) Math.min(MIB, range[1] - pos);
          buf.clear().limit(length);
          while (buf.hasRemaining()) {
            int n = fc.read(buf, pos + buf.position());
            if (n < 0) {
              fail("end of stream at " + (pos + buf.position()) + " before the size " + size);
            }
          }
          if (expect.content != null) {
            byte[] want = expect.content.at(pos, length);
            byte[] got = Arrays.copyOf(buf.array(), length);
            if (!Arrays.equals(want, got)) {
              int i = Arrays.mismatch(want, got);
              fail(String.format("wrong byte at virtual offset %d: expected 0x%02X, read 0x%02X",
                  pos + i, want[i], got[i]));
            }
          }
        }
      }
      assertEquals(-1, fc.read(ByteBuffer.allocate(1), size), "read at the size");
      return size;
    }
  }

  private static void assertRefusal(Throwable thrown, Path image, Expect expect) {
    if (!(thrown instanceof VhdFormatException)) {
      throw new AssertionFailedError("expected a VhdFormatException mentioning one of "
          + expect.keywords + ", got " + thrown, thrown);
    }
    VhdFormatException e = (VhdFormatException) thrown;
    String message = String.valueOf(e.getMessage());
    String name = image.getFileName().toString();
    assertTrue(message.contains(name), () -> "message does not name the file " + name + ": "
        + message);
    assertTrue(e.file() != null && e.file().endsWith(name), () -> "file() is " + e.file());
    assertTrue(message.startsWith(e.file() + ": "), () -> "message does not start with file(): "
        + message);
    assertTrue(e.offset() >= -1, () -> "offset() is " + e.offset());
    String lower = message.toLowerCase(Locale.ROOT);
    assertTrue(expect.keywords.stream().anyMatch(k -> lower.contains(k.toLowerCase(Locale.ROOT))),
        () -> "message mentions none of " + expect.keywords + ": " + message);
    for (String phrase : expect.required) {
      assertTrue(message.contains(phrase), () -> "message does not say \"" + phrase + "\": "
          + message);
    }
    for (String text : expect.forbidden) {
      assertTrue(!message.contains(text), () -> "message holds \"" + escaped(text) + "\": "
          + escaped(message));
    }
  }

  /** Control characters as escapes, so a failure message about them can be read. */
  private static String escaped(String s) {
    StringBuilder b = new StringBuilder();
    s.chars().forEach(c -> b.append(c < 0x20 ? String.format("\\x%02x", c) : (char) c));
    return b.toString();
  }

  // ---- edits -----------------------------------------------------------------------------

  private static void flipChecksum(Path image, long offset) throws IOException {
    HostBytes.writeInt(image, offset, HostBytes.readInt(image, offset) ^ 0x0000_0100);
  }

  private static byte[] random(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Cheap repeatable bytes that differ from block to block. */
  private static byte[] pattern(int seed, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (seed * 31 + i * 7 + (seed >>> 8));
    }
    return b;
  }

  private static int indexOf(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ---- case model ------------------------------------------------------------------------

  @FunctionalInterface
  interface ImageMaker {
    /** Writes the case's image at {@code image} and says what opening it must do. */
    Expect make(Path image) throws IOException;
  }

  @FunctionalInterface
  interface Content {
    byte[] at(long offset, int length);
  }

  enum Kind { READS, FAILS, FAILS_OR_READS }

  static final class Case {
    final String name;
    final ImageMaker maker;
    /** Tens of MiB or more on the host: kept off the in-memory host under the small heap. */
    final boolean large;

    Case(String name, ImageMaker maker) {
      this(name, maker, false);
    }

    private Case(String name, ImageMaker maker, boolean large) {
      this.name = name;
      this.maker = maker;
      this.large = large;
    }

    static Case large(String name, ImageMaker maker) {
      return new Case(name, maker, true);
    }

    /** A file name from the case name, so a failure message points at the case. */
    String fileName() {
      return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-")
          .replaceAll("^-|-$", "") + ".vhd";
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static final class Expect {
    final Kind kind;
    final long size;
    final Content content;
    final List<String> keywords;
    final boolean noCookie;
    /** Phrases a refusal's message must all hold (on top of one of the keywords). */
    final List<String> required;
    /** Text a refusal's message must not hold. */
    final List<String> forbidden;
    /** Why the image must be refused, where no keyword says it; empty otherwise. */
    final String why;

    private Expect(Kind kind, long size, Content content, List<String> keywords,
        boolean noCookie) {
      this(kind, size, content, keywords, noCookie, List.of(), List.of());
    }

    private Expect(Kind kind, long size, Content content, List<String> keywords,
        boolean noCookie, List<String> required, List<String> forbidden) {
      this(kind, size, content, keywords, noCookie, required, forbidden, "");
    }

    private Expect(Kind kind, long size, Content content, List<String> keywords,
        boolean noCookie, List<String> required, List<String> forbidden, String why) {
      this.kind = kind;
      this.size = size;
      this.content = content;
      this.keywords = keywords;
      this.noCookie = noCookie;
      this.required = required;
      this.forbidden = forbidden;
      this.why = why;
    }

    /** For failure messages: why the image must be refused, if said. */
    String reason() {
      return why.isEmpty() ? "" : " (" + why + ")";
    }

    /** The same expectation with other content (the harness's writes applied). */
    Expect withContent(Content other) {
      return new Expect(kind, size, other, keywords, false, required, forbidden, why);
    }

    /**
     * Refused with a VhdFormatException whose message holds every one of {@code phrases}, as
     * written (the first one also serves as the keyword).
     */
    static Expect failsSaying(String... phrases) {
      return new Expect(Kind.FAILS, -1, null, List.of(phrases[0]), false, List.of(phrases),
          List.of());
    }

    /** This refusal, whose message must also not hold any of {@code texts}. */
    Expect without(String... texts) {
      return new Expect(kind, size, content, keywords, noCookie, required, List.of(texts));
    }

    /** Opens; size and every byte as the builder describes the disk. */
    static Expect reads(VhdImageBuilder b) {
      return new Expect(Kind.READS, b.expectedVirtualSize(), b::expectedContent, List.of(),
          false);
    }

    /** Opens with this size (where the builder's size rule is not the reader's); bytes as built. */
    static Expect reads(long size, VhdImageBuilder b) {
      return new Expect(Kind.READS, size, b::expectedContent, List.of(), false);
    }

    /** Refused with a VhdFormatException mentioning at least one keyword. */
    static Expect fails(String... keywords) {
      return new Expect(Kind.FAILS, -1, null, List.of(keywords), false);
    }

    /** Refused, or read with exactly the right size and bytes: never garbled. */
    static Expect failsOrReads(VhdImageBuilder b, String... keywords) {
      return failsOrReads(b.expectedVirtualSize(), b, keywords);
    }

    static Expect failsOrReads(long size, VhdImageBuilder b, String... keywords) {
      return new Expect(Kind.FAILS_OR_READS, size, b::expectedContent, List.of(keywords), false);
    }

    /**
     * Refused (any wording), or read with exactly this size and these bytes: the expectation of
     * seeded fuzz, whose content {@link SpecReader} reads from the edited image.
     */
    static Expect failsOrReads(long size, Content content) {
      return new Expect(Kind.FAILS_OR_READS, size, content, List.of(""), false);
    }

    /**
     * Refused with a VhdFormatException naming the file (any wording): the format defines no
     * content for the image, for the reason given (kept for failure messages).
     */
    static Expect refusedBecause(String why) {
      return new Expect(Kind.FAILS, -1, null, List.of(""), false, List.of(), List.of(), why);
    }

    static Expect notAVhd() {
      return new Expect(Kind.FAILS, -1, null, List.of("not a VHD"), true);
    }
  }
}
