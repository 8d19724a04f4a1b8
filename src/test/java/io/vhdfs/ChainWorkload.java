package io.vhdfs;

import static io.vhdfs.testing.Chains.assertSameBytes;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded guest writes for differencing-chain tests, and chains built from them: a base that
 * qemu-img made and qemu-io filled, children created with this library and written through it,
 * and a raw byte mirror of what the whole chain must read as.
 */
final class ChainWorkload {
  static final int SECTOR = 512;
  static final int KIB = 1 << 10;
  static final int MIB = 1 << 20;
  /** What qemu-img is asked for; its CHS rounding gives a disk of 8390656 bytes. */
  static final long BASE_REQUEST = 8L * MIB;

  private ChainWorkload() {}

  /** One guest write: its number, where it goes, its bytes and what kind of write it is. */
  record Write(int id, long offset, byte[] data, String kind) {
    long end() {
      return offset + data.length;
    }

    @Override
    public String toString() {
      return "#" + id + " " + kind + " [" + offset + ", " + end() + ")";
    }
  }

  /**
   * A random write of 1 byte to 3 blocks: sector-granular, unaligned, inside one sector,
   * straddling a block boundary, tiny, or over an earlier write; one in six is all zeros.
   */
  static Write random(Random r, int id, long size, int block, List<Write> earlier) {
    int max = 3 * block;
    long offset;
    int length;
    String kind;
    int pick = r.nextInt(100);
    if (pick < 20) {
      kind = "sector-granular";
      length = SECTOR * (1 + r.nextInt(max / SECTOR));
      offset = SECTOR * (long) r.nextInt((int) ((size - length) / SECTOR) + 1);
    } else if (pick < 38) {
      kind = "unaligned";
      length = 1 + r.nextInt(max);
      offset = (long) (r.nextDouble() * (size - length + 1));
    } else if (pick < 53) {
      kind = "partial sector";
      int start = r.nextInt(SECTOR - 1);
      length = 1 + r.nextInt(SECTOR - 1 - start);
      offset = (long) r.nextInt((int) (size / SECTOR)) * SECTOR + start;
    } else if (pick < 73) {
      kind = "block-straddling";
      long blocks = size / block;
      long boundary = block * (1 + (long) r.nextInt((int) blocks - 1));
      int before = 1 + r.nextInt(Math.max(1, max / 2));
      length = before + 1 + r.nextInt(max - before);
      offset = boundary - before;
    } else if (pick < 83) {
      kind = "tiny";
      length = 1 + r.nextInt(8);
      offset = (long) (r.nextDouble() * (size - length + 1));
    } else {
      kind = "over an earlier write";
      Write e = earlier.isEmpty() ? null : earlier.get(r.nextInt(earlier.size()));
      length = 1 + r.nextInt(Math.min(max, 16 * KIB));
      long around = e == null ? 0 : e.offset() + r.nextInt(e.data().length);
      offset = Math.max(0, around - r.nextInt(2 * KIB));
    }
    offset = Math.max(0, Math.min(offset, size - length));
    return filled(r, id, offset, length, kind);
  }

  /**
   * A random write of whole, aligned 4 KiB units, 1 unit to 3 blocks: every byte of the sector
   * bitmap it touches is then all set, which libvhdi 20210425 reads right.
   */
  static Write aligned4k(Random r, int id, long size, int block) {
    int unit = 4 * KIB;
    int units = 1 + r.nextInt(Math.max(1, 3 * block / unit));
    int length = units * unit;
    long slots = (size - length) / unit + 1;
    long offset = unit * (long) r.nextInt((int) slots);
    return filled(r, id, offset, length, "4 KiB-aligned");
  }

  private static Write filled(Random r, int id, long offset, int length, String kind) {
    byte[] data = new byte[length];
    if (r.nextInt(6) == 0) {
      kind = "all-zero " + kind;
    } else {
      r.nextBytes(data);
    }
    return new Write(id, offset, data, kind);
  }

  /**
   * Applies {@code w} through {@code ch}: positional or relative, from a heap or a direct buffer,
   * as the generator says.
   */
  static void apply(FileChannel ch, Write w, Random r) throws IOException {
    ByteBuffer src = r.nextBoolean() ? ByteBuffer.wrap(w.data())
        : ByteBuffer.allocateDirect(w.data().length).put(w.data()).flip();
    if (r.nextBoolean()) {
      while (src.hasRemaining()) {
        ch.write(src, w.offset() + src.position());
      }
    } else {
      ch.position(w.offset());
      while (src.hasRemaining()) {
        ch.write(src);
      }
    }
  }

  static void mirror(byte[] mirror, Write w) {
    System.arraycopy(w.data(), 0, mirror, (int) w.offset(), w.data().length);
  }

  /** {@code n} qemu-io writes of {@code align}-aligned runs up to 1 MiB, random patterns. */
  static List<QemuTools.Write> qemuWrites(Random r, long size, int n, int align) {
    List<QemuTools.Write> writes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long length = align * (1L + r.nextInt(MIB / align));
      long offset = align * (long) r.nextInt((int) ((size - length) / align) + 1);
      writes.add(new QemuTools.Write(1 + r.nextInt(255), offset, length));
    }
    return writes;
  }

  static void mirror(byte[] mirror, QemuTools.Write w) {
    Arrays.fill(mirror, (int) w.offset(), (int) (w.offset() + w.length()), (byte) w.pattern());
  }

  /** A differencing chain on disk, base first, and what its top reads as. */
  static final class Chain {
    final List<Path> images = new ArrayList<>();
    final List<Write> writes = new ArrayList<>();
    byte[] mirror;

    Path base() {
      return images.get(0);
    }

    Path top() {
      return images.get(images.size() - 1);
    }

    /** Every image but the top. */
    List<Path> parents() {
      return images.subList(0, images.size() - 1);
    }

    /** Writes {@code count} random writes into the top through one channel, mirroring them. */
    void writeTop(Random r, int count, int block, boolean aligned4k) throws IOException {
      try (FileSystem fs = Chains.open(top());
          FileChannel ch = FileChannel.open(fs.getPath("/disk"), StandardOpenOption.READ,
              StandardOpenOption.WRITE)) {
        for (int i = 0; i < count; i++) {
          Write w = aligned4k ? aligned4k(r, writes.size(), mirror.length, block)
              : random(r, writes.size(), mirror.length, block, writes);
          apply(ch, w, r);
          mirror(mirror, w);
          writes.add(w);
        }
      }
    }

    /** Adds a child of the current top, created with {@code blockSize} (null: default). */
    Path addChild(Path dir, String name, Integer blockSize) throws IOException {
      Path child = dir.resolve(name);
      Chains.createChild(child, top().getFileName().toString(), blockSize);
      images.add(child);
      return child;
    }
  }

  /**
   * A base of {@link #BASE_REQUEST} bytes that qemu-img created and qemu-io filled with 10 runs
   * aligned to {@code align}; checked to read as its mirror through this library.
   */
  static Chain qemuBase(QemuTools qemu, Path dir, Random r, int align, String subformat)
      throws IOException {
    Chain chain = new Chain();
    Path base = dir.resolve("base.vhd");
    qemu.create(base, BASE_REQUEST, subformat);
    long size;
    try (FileSystem fs = Chains.open(base)) {
      size = Files.size(fs.getPath("/disk"));
    }
    chain.mirror = new byte[Math.toIntExact(size)];
    List<QemuTools.Write> writes = qemuWrites(r, size, 10, align);
    qemu.write(base, writes);
    for (QemuTools.Write w : writes) {
      mirror(chain.mirror, w);
    }
    assertSameBytes(chain.mirror, Chains.readDisk(base), 0,
        "fixture: this library reading the qemu-made base " + writes);
    chain.images.add(base);
    return chain;
  }

  /**
   * A chain of {@code depth} children over a qemu-made base ({@code subformat} as for
   * {@link QemuTools#create}: empty for dynamic, {@code subformat=fixed}): each child but the top gets 12
   * random writes (of up to 3 x {@code block} bytes); children alternate between the default
   * 2 MiB blocks and {@code block}, the top has {@code block}.
   */
  static Chain qemuChain(QemuTools qemu, Path dir, Random r, int depth, int block,
      boolean aligned4k, String subformat) throws IOException {
    Chain chain = qemuBase(qemu, dir, r, aligned4k ? 4 * KIB : SECTOR, subformat);
    for (int i = 1; i <= depth; i++) {
      Integer bs = i == depth || i % 2 == 0 ? Integer.valueOf(block) : null;
      chain.addChild(dir, "child" + i + ".vhd", bs);
      if (i < depth) {
        chain.writeTop(r, 12, block, aligned4k);
      }
    }
    return chain;
  }
}
