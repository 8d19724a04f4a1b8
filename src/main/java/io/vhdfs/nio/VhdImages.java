package io.vhdfs.nio;

import io.vhdfs.VhdEnv;
import io.vhdfs.disk.DiskView;
import io.vhdfs.disk.HostAllocation;
import io.vhdfs.disk.ImageHandle;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Compare;
import io.vhdfs.image.Convert;
import io.vhdfs.image.Describe;
import io.vhdfs.image.ExtentMap;
import io.vhdfs.image.Formats;
import io.vhdfs.image.ImageSource;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Operations on whole images, beside the file system view; the {@code vhd} command-line tool is a
 * shell over them.
 *
 * <table>
 * <caption>env keys the operations honour (constants in {@link VhdEnv})</caption>
 * <tr><th>key</th><th>meaning</th></tr>
 * <tr><td>{@value VhdEnv#PARENT_ROOT}</td><td>open no parent outside this directory</td></tr>
 * <tr><td>{@value VhdEnv#IGNORE_PARENT_ID}</td><td>accept a parent whose unique id differs from
 *   the one the child records</td></tr>
 * <tr><td>{@value VhdEnv#SIZE_FROM}</td><td>which footer field gives an image's size</td></tr>
 * </table>
 *
 * <p>Images are opened read-only unless the operation writes, and shared with every file system
 * and channel open on them in this JVM. {@link #restore} takes {@code vhd:} paths, which carry
 * their file systems' options, and so no env.
 */
public final class VhdImages {
  private VhdImages() {}

  /** Told how far a long operation has got. */
  @FunctionalInterface
  public interface Progress {
    /** Does nothing. */
    Progress NONE = (done, total) -> { };

    /** {@code done} of {@code total} bytes are done. */
    void advanced(long done, long total);
  }

  /**
   * A stretch of a virtual disk and where its bytes are.
   *
   * @param offset virtual offset
   * @param length bytes
   * @param data whether the bytes are stored in an image file (else they read as zeros)
   * @param depth 0 for the image itself, 1 for its parent, and so on
   * @param file the image file holding the bytes, or null for zeros
   * @param hostOffset where in {@code file} they start, or -1 for zeros
   */
  public record Extent(long offset, long length, boolean data, int depth, Path file,
      long hostOffset) {
    /** Where an extent's bytes are. */
    public enum Kind {
      /** Stored in the image itself (depth 0): what a differencing child changed. */
      DATA,
      /** Stored in a parent, {@link #depth()} levels up. */
      PARENT,
      /** Stored nowhere: the bytes read as zeros. */
      ZERO
    }

    /** Where this extent's bytes are. */
    public Kind kind() {
      return !data ? Kind.ZERO : depth == 0 ? Kind.DATA : Kind.PARENT;
    }

    /** The offset just past this extent. */
    public long end() {
      return offset + length;
    }

    static Extent of(io.vhdfs.disk.Extent e) {
      return new Extent(e.offset(), e.length(), e.data(), e.depth(), e.file(), e.hostOffset());
    }
  }

  /**
   * Every footer and header field of {@code image}, its virtual and host sizes, allocated blocks
   * and parent chain, as an ordered map of strings, numbers, lists and maps. A differencing image
   * whose parents cannot be opened is described on its own, with {@code parentChainError} saying
   * why.
   */
  public static Map<String, Object> describe(Path image, Map<String, ?> env) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    return Describe.image(image, config.sizeRule(), config.chainOptions());
  }

  /**
   * The bytes {@code file}'s host allocated to it, as {@code du} and qemu-img's "disk size" count
   * them: for a sparse image, far less than its length. Known on Linux with Java 22 or later and
   * native access enabled ({@code --enable-native-access}; the tool's jar enables it), from the C
   * library's {@code statx}; empty elsewhere, and for a file of any other provider.
   */
  public static OptionalLong hostAllocatedBytes(Path file) {
    return HostAllocation.of(file);
  }

  /**
   * Creates {@code image} as {@code newFileSystem} with {@value VhdEnv#CREATE} does ({@code size},
   * {@code type}, {@code parent}, {@code blockSize}, {@code exactSize}, {@code format},
   * {@code logicalSectorSize}, {@code physicalSectorSize}).
   */
  public static void create(Path image, Map<String, ?> env) throws IOException {
    Map<String, Object> withCreate = new java.util.HashMap<>(env);
    withCreate.put(VhdEnv.CREATE, "true");
    provider().newFileSystem(image, withCreate).close();
  }

  private static java.nio.file.spi.FileSystemProvider provider() {
    for (java.nio.file.spi.FileSystemProvider p
        : java.nio.file.spi.FileSystemProvider.installedProviders()) {
      if (p instanceof VhdFileSystemProvider) {
        return p;
      }
    }
    return new VhdFileSystemProvider();
  }

  /** Where every byte of {@code image}'s disk is, in order: its own data, a parent's, or zeros. */
  public static List<Extent> extents(Path image, Map<String, ?> env) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    try (ImageHandle h = Formats.handle(image, config.sizeRule(), config.chainOptions())) {
      return ExtentMap.of(h.disk()).stream().map(Extent::of).toList();
    }
  }

  /**
   * Where every byte of {@code image}'s disk is, as {@link #extents(Path, Map)}, worked out as
   * the stream is consumed (a block at a time), so any number of extents takes no more memory
   * than a few. The stream holds the image open: close it (try-with-resources). An
   * {@link IOException} while reading the image's tables reaches the consumer as an
   * {@link java.io.UncheckedIOException}. For the {@code vhd:} path of a disk or partition, see
   * {@link DiskExtents}.
   */
  public static Stream<Extent> streamExtents(Path image, Map<String, ?> env) throws IOException {
    return streamExtents(image, 0, env);
  }

  /**
   * As {@link #streamExtents(Path, Map)}, for partition {@code partition} of the disk
   * ({@code /pN} of its file system; 0 for the whole disk): offsets from the partition's start,
   * host offsets in the image files as ever.
   *
   * @throws java.nio.file.NoSuchFileException if the disk has no such partition
   */
  public static Stream<Extent> streamExtents(Path image, int partition, Map<String, ?> env)
      throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    DiskView view = PartitionView.of(partition);
    ImageHandle h = Formats.handle(image, config.sizeRule(), config.chainOptions());
    try {
      VirtualDisk disk = view.select(h.disk(), image);
      return ExtentStream.of(disk.extents(0, disk.size()), h);
    } catch (IOException | RuntimeException e) {
      h.close();
      throw e;
    }
  }

  /**
   * Where the disks of {@code a} and {@code b}, each a VHD (read with its parents) or a raw image
   * (told apart by the VHD footer, not the name), first differ; disks of different sizes always
   * differ ({@link #compare(Path, Path, boolean, Map, Progress)} with {@code strict}).
   *
   * @return the first differing offset; where all bytes agree but one disk is longer, the shorter
   *     one's size; -1 if they are identical
   */
  public static long compare(Path a, Path b, Map<String, ?> env, Progress progress)
      throws IOException {
    return compare(a, b, true, env, progress);
  }

  /**
   * Where the disks of {@code a} and {@code b} first differ. Without {@code strict}, disks of
   * different sizes compare as {@code qemu-img compare} does: identical when the longer one's
   * extra part is all zeros, else different at its first byte that is not.
   *
   * @return the first differing offset, or -1 if they are identical
   */
  public static long compare(Path a, Path b, boolean strict, Map<String, ?> env,
      Progress progress) throws IOException {
    return compare(a, b, strict, 0, env, progress);
  }

  /**
   * As {@link #compare(Path, Path, boolean, Map, Progress)}, on partition {@code partition} of
   * each VHD ({@code /pN} of its file system; a raw image is compared whole), or on the whole
   * disks for 0: {@code compare(vhd, partitionBackup, false, 2, ...)} checks a backup of
   * partition 2.
   *
   * @throws java.nio.file.NoSuchFileException if a VHD has no such partition
   */
  public static long compare(Path a, Path b, boolean strict, int partition, Map<String, ?> env,
      Progress progress) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    DiskView view = PartitionView.of(partition);
    try (ImageSource x = ImageSource.open(a, config.chainOptions(), wholeIfRaw(a, view));
        ImageSource y = ImageSource.open(b, config.chainOptions(), wholeIfRaw(b, view))) {
      return Compare.firstDifference(x, y, strict, progress::advanced);
    }
  }

  /**
   * What {@link #commit} did.
   *
   * @param child the committed image
   * @param parent the real path of the parent it was committed into
   * @param bytesWritten bytes written into the parent: every sector the child holds
   * @param blocksRead allocated blocks of the child read
   */
  public record Commit(Path child, Path parent, long bytesWritten, long blocksRead) {}

  /**
   * Commits the differencing image {@code child} into its parent, the merge Hyper-V calls
   * Merge-VHD and vhd-util calls coalesce: every sector the child holds is written into the
   * parent, which afterwards reads as the chain did. The child is only read and is left as it was
   * (now redundant; deleting it is the caller's call). If interrupted, the parent is still a valid
   * image and the chain still reads as before, so the commit can be run again.
   *
   * <p>Other children of the same parent would see its bytes change under them: commit only into
   * a parent that has no other children. In this JVM, a child that is open is refused, and so is a
   * parent that is the parent of another open child.
   *
   * @param env {@value VhdEnv#PARENT_ROOT} and {@value VhdEnv#IGNORE_PARENT_ID}, as for opening
   * @throws io.vhdfs.VhdFormatException if the child or its chain is malformed, or its parent
   *     cannot be found
   * @throws java.nio.file.FileSystemException if the child is not a differencing image, is open,
   *     or holds data past the end of its parent, or the parent is in use
   * @throws java.nio.file.AccessDeniedException if the parent is not writable
   */
  public static Commit commit(Path child, Map<String, ?> env) throws IOException {
    return commit(child, env, Progress.NONE);
  }

  /** {@link #commit(Path, Map)}, telling {@code progress} how much of the child is done. */
  public static Commit commit(Path child, Map<String, ?> env, Progress progress)
      throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    io.vhdfs.image.Commit.Result r =
        io.vhdfs.image.Commit.commit(child, config.chainOptions(), progress::advanced);
    return new Commit(child, r.parent(), r.bytes(), r.blocks());
  }

  /**
   * What {@link #resize} did.
   *
   * @param image the resized image
   * @param oldSize its virtual size before
   * @param newSize its virtual size now: the size asked for, rounded as a new image's size is
   *     (a VHD's up to a whole CHS geometry, unless it records 65535/16/255; a VHDX's up to its
   *     logical sector)
   * @param moved what had to move to make room for a larger block table, or {@code null} when
   *     nothing moved
   */
  public record Resize(Path image, long oldSize, long newSize, String moved) {}

  /**
   * The bytes a size in the syntax of the {@value VhdEnv#SIZE} env key stands for: bytes, or a
   * number with a binary suffix K, M, G or T, before which a decimal fraction may stand, as
   * qemu-img takes them ({@code 1.5G}, whole bytes, truncated). For sizes given as text to
   * {@link #resize}.
   *
   * @throws IllegalArgumentException saying what is expected, if {@code text} is not a
   *     non-negative size that fits 63 bits
   */
  public static long parseSize(String text) {
    return FileSystemConfig.parseSize(text);
  }

  /**
   * Changes the virtual size of the VHD or VHDX {@code image} in place, as Hyper-V's Resize-VHD
   * does: a fixed, dynamic or differencing image, on its own (a differencing image's parent is
   * not looked for; past the parent's end a child reads zeros). Growing makes room for the larger
   * block table, moving the table past the last block where it has none. A VHDX changes through
   * its log, so its DataWriteGuid changes as with any write (children of it no longer link). A smaller size is taken only with
   * {@code shrink}, and only when the range cut off holds no data (as
   * {@code Resize-VHD -ToMinimumSize} allows). Interrupted at any point, the image opens with its
   * old or its new size and every byte it held. The image must not be open in this JVM or in use
   * by another process.
   *
   * @param newSize the new virtual size in bytes
   * @throws IllegalArgumentException if {@code newSize} is out of the format's range
   * @throws io.vhdfs.VhdFormatException if the image is malformed
   * @throws java.nio.file.FileSystemException if the image is open, in use, of a format that
   *     cannot be resized, smaller without {@code shrink}, or holds data in the range a shrink
   *     would cut off (the message names its first offset)
   * @throws java.nio.file.AccessDeniedException if the image is not writable
   */
  public static Resize resize(Path image, long newSize, boolean shrink) throws IOException {
    io.vhdfs.disk.Resized r = io.vhdfs.image.Resize.resize(image, newSize, shrink,
        io.vhdfs.disk.Locking.AUTO);
    return new Resize(image, r.oldSize(), r.newSize(), r.moved());
  }

  /**
   * What {@link #compact} did.
   *
   * @param image the compacted image
   * @param bytesReclaimed bytes the file shrank by
   * @param blocksUnmapped blocks given back: their table entries no longer point into the file
   * @param blocksMoved blocks moved down into the room given back
   * @param oldSize the file's length before, in bytes
   * @param newSize the file's length after, in bytes
   */
  public record Compaction(Path image, long bytesReclaimed, long blocksUnmapped,
      long blocksMoved, long oldSize, long newSize) {}

  /**
   * Compacts a dynamic or differencing image in place, as Hyper-V's Optimize-VHD does: blocks
   * that hold only zeros (in a differencing image, only zeros its parent also reads as zeros)
   * are given back, later blocks move down into the room they leave, and the file is cut right
   * after the last block (and, for VHD, its footer). With {@code againstParent}, blocks of a
   * differencing image whose every sector equals what the parent chain reads there go too. The
   * disk reads the same before and after; a fixed image is left as it is.
   *
   * <p>Cut at any host write (a crash, a power loss), the image opens and reads the same disk:
   * blocks are copied and forced before the table points at their new place, and the file is cut
   * last. The image is refused while open in this JVM, and locked against QEMU and other JVMs.
   *
   * @param env {@value VhdEnv#PARENT_ROOT} and {@value VhdEnv#IGNORE_PARENT_ID}, as for opening
   * @throws io.vhdfs.VhdFormatException if the image or its chain is malformed, or its parent
   *     cannot be found
   * @throws java.nio.file.FileSystemException if the image is open, or {@code againstParent} is
   *     asked of an image with no parent
   * @throws java.nio.file.AccessDeniedException if the image is not writable
   */
  public static Compaction compact(Path image, boolean againstParent, Map<String, ?> env,
      Progress progress) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    io.vhdfs.disk.Compaction r = io.vhdfs.image.Compact.compact(image, againstParent,
        config.chainOptions(), progress::advanced);
    return new Compaction(image, r.bytesReclaimed(), r.blocksUnmapped(), r.blocksMoved(),
        r.oldSize(), r.newSize());
  }

  /**
   * What {@link #setParent} did.
   *
   * @param child the image whose parent changed
   * @param parent the real path of its new parent
   * @param oldParentId the parent id the child recorded (VHD: unique id; VHDX: parent_linkage)
   * @param newParentId the new parent's id (VHD: unique id; VHDX: current DataWriteGuid)
   * @param idReplaced whether the child now records {@code newParentId}, the ids having differed
   */
  public record SetParent(Path child, Path parent, java.util.UUID oldParentId,
      java.util.UUID newParentId, boolean idReplaced) {}

  /**
   * Points the differencing image {@code child} at {@code newParent}, a moved or copied parent,
   * what {@code Set-VHD -ParentPath} does. A VHD's {@code W2ku} and {@code W2ru} locators (and
   * {@code MacX}, where written) become the ones a new child of {@code newParent} would have,
   * with the parent's file name and its footer's time stamp in the header; a VHDX's locator item
   * gets the new {@code relative_path} and {@code absolute_win32_path} ({@code volume_path}
   * dropped), through the log. The disk's data is not touched. Cut at any host write, the child
   * opens with its old or its new locators, and reads the same disk whenever a parent is found.
   *
   * @param ignoreParentId take a parent whose id (VHD: unique id; VHDX: DataWriteGuid) differs
   *     from the one the child records, and record its id from now on; without it such a parent
   *     is refused
   * @throws java.nio.file.FileSystemException if the child is open in this JVM or in use
   *     elsewhere, is not a differencing image, or {@code newParent} is of another format or size,
   *     or has another id than the child records and {@code ignoreParentId} is false
   * @throws io.vhdfs.VhdFormatException if either image is malformed
   */
  public static SetParent setParent(Path child, Path newParent, boolean ignoreParentId)
      throws IOException {
    io.vhdfs.image.Reparent.Result r = io.vhdfs.image.Reparent.setParent(child, newParent,
        ignoreParentId, FileSystemConfig.parse(Map.of()).chainOptions());
    return new SetParent(child, r.parent(), r.oldId(), r.newId(), r.idReplaced());
  }

  /**
   * What {@link #merge} did.
   *
   * @param child the image merged from
   * @param ancestor the real path of the image merged into
   * @param deleted the real paths of the images merged and then deleted, child first
   * @param bytesWritten bytes written into the ancestor as data
   */
  public record Merge(Path child, Path ancestor, List<Path> deleted, long bytesWritten) {}

  /**
   * Merges the differencing image {@code child}, and every image between it and
   * {@code intoAncestor}, into {@code intoAncestor}, what {@code Merge-VHD} does: the run is
   * read as one disk and what it holds is written into the ancestor, which is forced; only then
   * are the merged images deleted, the child first. Afterwards the ancestor reads as the chain
   * did. Interrupted before the ancestor is durable, the chain still reads the same and the
   * merge can run again. Other children of the ancestor or of the run would see their parent
   * change: merge only a run no other image reads through.
   *
   * @param intoAncestor an image of the child's chain, {@code null} for its direct parent
   * @param env {@value VhdEnv#PARENT_ROOT} and {@value VhdEnv#IGNORE_PARENT_ID}, as for opening
   * @throws java.nio.file.FileSystemException if the child is not a differencing image,
   *     {@code intoAncestor} is not in its chain, an image of the run is open in this JVM or in
   *     use elsewhere, or the ancestor is not writable
   */
  public static Merge merge(Path child, Path intoAncestor, Map<String, ?> env, Progress progress)
      throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    io.vhdfs.image.Merge.Result r = io.vhdfs.image.Merge.merge(child, intoAncestor,
        config.chainOptions(), progress::advanced);
    return new Merge(child, r.ancestor(), r.merged(), r.bytes());
  }

  /**
   * What {@link #restore} did.
   *
   * @param source the file or disk restored from
   * @param target the disk or partition restored
   * @param sourceSize bytes of the source, now the first bytes of the target
   * @param targetSize the target's size; past the source's bytes it reads as zeros
   * @param bytesWritten bytes written as data: the source's, less the 4 KiB grains of it that are
   *     zeros, which were made to read as zeros without storing any where the target read as
   *     zeros already
   */
  public record Restore(Path source, Path target, long sourceSize, long targetSize,
      long bytesWritten) {}

  /**
   * {@link #restore(Path, Path, Progress)} without progress.
   */
  public static Restore restore(Path source, Path target) throws IOException {
    return restore(source, target, Progress.NONE);
  }

  /**
   * Puts a backup back: writes the bytes of {@code source} onto {@code target} from its start,
   * then zeros to its end, so that the target reads as the source followed by zeros. What
   * {@code Files.copy(raw, disk, REPLACE_EXISTING)} cannot do, since it deletes the target first
   * and an image's entries cannot be deleted.
   *
   * <p>{@code source} is read byte for byte: a raw backup on any provider, a device, or the
   * {@code vhd:} path of another image's disk or partition (read through its parents). An image
   * file given by its host path is not opened as an image but read as raw bytes, footer and all;
   * pass its disk's {@code vhd:} path to restore from what it holds ({@code vhd restore} on the
   * command line tells the two apart by the footer).
   *
   * <p>{@code target} is the {@code vhd:} path of a disk or a partition, written through a channel
   * of its file system, whose options (access mode, parent confinement) apply: so this takes no
   * env. Ranges of the source that are zeros (in 4 KiB grains) are not written but made to read
   * as zeros, storing nothing where the target reads as zeros already: a dynamic image allocates
   * no block for them, a fixed image's host file keeps its holes, and a differencing image writes
   * zeros only over data its parents hold there, so that they read as zeros through the chain.
   * Blocks of a dynamic or differencing image that end up holding only zeros and are the last
   * things in its file are given back, the file shrinking by them, when the image's last channel
   * closes; VHD keeps no free-space map, so elsewhere such a block keeps its place and its zeros,
   * which {@code vhd convert} drops.
   *
   * <p>When this returns, what it wrote is durable ({@code force}). Failing or interrupted part
   * way, the target holds part of the source and the image is sound; restoring again finishes the
   * job. Other channels on the target may be open meanwhile; what they write over the same range
   * at the same time lands before or after the restore's bytes.
   *
   * @param progress told how many bytes of the target are done, of its size
   * @return what was done
   * @throws java.nio.file.FileSystemException if the source is larger than the target: before the
   *     image is opened for writing, so nothing is written; or if the target cannot be written
   *     now (the parent of an open differencing image, written by another process)
   * @throws java.nio.file.ProviderMismatchException if {@code target} is not a {@code vhd:} path
   * @throws java.nio.file.ReadOnlyFileSystemException if the target's file system is read-only
   * @throws java.nio.file.NoSuchFileException if the source or the target's image does not exist
   */
  public static Restore restore(Path source, Path target, Progress progress) throws IOException {
    DiskRestore.Result r = DiskRestore.restore(source, target, progress::advanced);
    return new Restore(source, target, r.sourceSize(), r.targetSize(), r.bytesWritten());
  }

  /**
   * What {@link #convert} makes, and how.
   *
   * @param to the kind of result; null for the other kind than the source's: a raw source becomes
   *     a dynamic VHD and a VHD becomes raw ({@code azure} makes a fixed VHD), except that a
   *     destination named {@code *.vhdx} becomes a dynamic VHDX
   * @param blockSize the block size of a dynamic VHD or a VHDX result in bytes, a power of two
   *     from 512 bytes (1 MiB for a VHDX) to 256 MiB; 0 for the format's default, 2 MiB for a VHD
   *     and 32 MiB for a VHDX
   * @param azure make a fixed image for Azure: its size rounded up to a whole MiB and kept exact
   *     (geometry 65535/16/255), so size % 1 MiB == 0 and the file is size + 512 bytes
   * @param replace replace an existing destination instead of refusing it (a FIFO or device
   *     is written where it is without it)
   * @param partition the partition of the source's disk to convert, 0 for the whole disk
   * @param sync make the result durable before it takes the destination's name (the default);
   *     without it the final force is skipped, as plain {@code qemu-img convert} skips it, and a
   *     crash soon after may leave the destination with bytes the host had not written yet
   */
  public record ConvertOptions(Format to, int blockSize, boolean azure, boolean replace,
      int partition, boolean sync) {
    /**
     * The other kind than the source's, default block size, no Azure sizing, no replacing, the
     * whole disk.
     */
    public static final ConvertOptions DEFAULT =
        new ConvertOptions(null, 0, false, false, 0, true);

    /** These options for the source's whole disk. */
    public ConvertOptions(Format to, int blockSize, boolean azure, boolean replace) {
      this(to, blockSize, azure, replace, 0, true);
    }

    /** These options, the result made durable. */
    public ConvertOptions(Format to, int blockSize, boolean azure, boolean replace,
        int partition) {
      this(to, blockSize, azure, replace, partition, true);
    }

    /** Kinds of result. */
    public enum Format {
      /** A raw file of the disk's bytes, written sparse. */
      RAW,
      /** A fixed VHD. */
      FIXED,
      /** A dynamic VHD; blocks that would hold only zeros are not allocated. */
      DYNAMIC,
      /** A dynamic VHDX; blocks that would hold only zeros are not allocated. */
      VHDX,
      /** A fixed VHDX: every block allocated, zeros left as holes in the host file. */
      VHDX_FIXED
    }

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException for a bad block size, or {@code azure} with a result that
     *     is not fixed
     */
    public ConvertOptions {
      if (partition < 0) {
        throw new IllegalArgumentException("partition " + partition + " is not a partition "
            + "number (1 or more; 0 for the whole disk)");
      }
      if (blockSize != 0 && (blockSize < 512 || blockSize > 256 << 20
          || Integer.bitCount(blockSize) != 1)) {
        throw new IllegalArgumentException("block size " + blockSize
            + " is not a power of two from 512 bytes to 256 MiB");
      }
      if (azure && to != null && to != Format.FIXED) {
        throw new IllegalArgumentException("an Azure image is fixed, not "
            + to.name().toLowerCase(java.util.Locale.ROOT));
      }
    }

    /** These options with the result {@code format}. */
    public ConvertOptions to(Format format) {
      return new ConvertOptions(format, blockSize, azure, replace, partition, sync);
    }

    /** These options with the final force made ({@code true}) or skipped. */
    public ConvertOptions sync(boolean durable) {
      return new ConvertOptions(to, blockSize, azure, replace, partition, durable);
    }

    /**
     * These options converting partition {@code number} of the source's disk ({@code /pN} of its
     * file system), 0 for the whole disk; a raw source has no partitions.
     */
    public ConvertOptions partition(int number) {
      return new ConvertOptions(to, blockSize, azure, replace, number, sync);
    }
  }

  /**
   * What {@link #convert} did.
   *
   * @param source the converted image
   * @param destination the image made, as given (a link, a FIFO, a device), or null where the
   *     result went into a channel
   * @param sourceType {@code raw}, {@code fixed}, {@code dynamic} or {@code differencing}
   * @param type what was made: {@code raw}, {@code fixed}, {@code dynamic}, {@code vhdx} or
   *     {@code vhdx-fixed}
   * @param size the disk size of the result in bytes
   * @param bytesRead bytes read from the source's disk: only its stored ranges
   * @param bytesWritten bytes of data written into the result (metadata not counted, nor zeros
   *     that were left as holes or not allocated, nor zeros written out into a pipe or device; a
   *     block of a dynamic result counts whole, and so does a MiB the host copied
   *     whole into a raw or fixed one, zeros in it included)
   */
  public record Conversion(Path source, Path destination, String sourceType, String type,
      long size, long bytesRead, long bytesWritten) {}

  /**
   * Converts the disk of {@code src} into a new image {@code dst}, what {@code qemu-img convert}
   * does. The source is a raw image or a VHD, told apart by the VHD footer, not the name; a
   * differencing VHD converts as its whole chain reads. A VHDX result ({@code vhdx},
   * {@code vhdx-fixed}, or a {@code dst} named {@code *.vhdx} with no {@code to}) has 512-byte
   * logical sectors and the disk's size rounded up to a whole one, and is written without its log:
   * the staged file is seen by no one until it is complete and durable.
   *
   * <p>Only what the source stores is read (a VHD's allocated ranges, its parents' included; all
   * of a raw file, which has no map). Only what is not zero is written: a dynamic result allocates
   * no block that would hold only zeros; a raw or fixed result leaves what the source does not
   * store as holes on hosts that have them, and the zeros it stores too, in 4 KiB pages, except
   * inside a MiB the host copies whole: between files of the default file system, where the
   * stored bytes lie in a row in the source's file, a look at 4 pages of each MiB
   * that finds data in every one has the host copy it ({@code transferTo}) without reading it
   * into the JVM, any zeros in it written as such. A fixed VHD result is created and written as
   * any image of this library; a dynamic one is created so and then filled as only a staged file
   * may be, its blocks appended (their data on page boundaries) and its table written once at
   * the end.
   *
   * <p>Sizes: a raw result has the source disk's size. A VHD result keeps it, rounded up to a
   * whole sector where it is not one: with the CHS geometry that spans it exactly where one does,
   * else with geometry 65535/16/255 and the exact size, which every current reader honours; the
   * usual CHS round-up of a new image would grow the disk for no reason. With {@code azure}, the
   * size is rounded up to a whole MiB.
   *
   * <p>The result is written beside {@code dst} under a temporary name ({@code .NAME.part-*}),
   * made durable, and then given {@code dst}'s name atomically, so that name never holds a
   * half-written image. On failure, on interrupt and on JVM shutdown the temporary file is
   * deleted. Where {@code dst} is a symbolic link (or a chain of them, or a dangling link into a
   * directory that exists), the link stays: its final target is staged beside, replaced and
   * made, as a plain {@code dst} would be.
   *
   * <p>Where {@code dst} is a FIFO, a character device or a block device (directly or through
   * links), it cannot be replaced and cannot seek: the result is written into it where it is, from
   * its start and in order, every zero written out, with no temporary file and whether or not
   * {@code replace} is set; as {@link #convert(Path, WritableByteChannel, ConvertOptions, Map,
   * Progress) into a channel}. Only a raw or fixed result can be written so. A block device must
   * hold the whole result; one larger keeps its bytes past the result's end. A FIFO is opened
   * when the source has been opened, and the open waits for a reader.
   *
   * @param env {@value VhdEnv#PARENT_ROOT} and {@value VhdEnv#IGNORE_PARENT_ID}, for the parents
   *     of a differencing source
   * @param progress told how much of the disk is done
   * @throws java.nio.file.FileAlreadyExistsException if {@code dst} (or the target of its link)
   *     exists and {@code options.replace()} is false
   * @throws java.nio.file.FileSystemException if {@code dst} is a FIFO or a device and the result
   *     would be dynamic, or a block device smaller than the result: before the source's disk is
   *     read and before anything is written
   * @throws IllegalArgumentException if the result cannot hold the disk (a VHD over 2040 GiB,
   *     blocks too small for its size, a VHDX over 64 TiB) or the block size is not one a VHDX
   *     result can have (under 1 MiB); before {@code dst} is touched
   * @throws io.vhdfs.VhdFormatException if the source is a malformed VHD or its chain is broken
   */
  public static Conversion convert(Path src, Path dst, ConvertOptions options,
      Map<String, ?> env, Progress progress) throws IOException {
    Convert.Result r = Convert.convert(src, dst, request(options, env),
        progress::advanced);
    return new Conversion(src, dst, r.sourceType(), r.output().label(), r.size(), r.bytesRead(),
        r.bytesWritten());
  }

  /**
   * Converts the disk of {@code src} into {@code dst}, a raw disk or a fixed VHD written in
   * order, as a pipe or standard output needs: every byte of the disk, zeros included, and for a
   * fixed VHD its footer after them (no copy at offset 0, as in every fixed VHD). The source is
   * read as {@link #convert(Path, Path, ConvertOptions, Map, Progress)} reads it.
   *
   * <p>{@code dst} is written from its position on, is expected to block until it takes bytes,
   * and is left open; where it must be durable, forcing it is the caller's call. A result that
   * fails midway leaves what was written in {@code dst}. {@code options.replace()} is ignored.
   *
   * @return the conversion, with a null {@code destination}
   * @throws IllegalArgumentException if the result would be dynamic (a dynamic VHD is written out
   *     of order), refused before the source's disk is read; or cannot hold the disk
   * @throws io.vhdfs.VhdFormatException if the source is a malformed VHD or its chain is broken
   */
  public static Conversion convert(Path src, WritableByteChannel dst, ConvertOptions options,
      Map<String, ?> env, Progress progress) throws IOException {
    Convert.Result r = Convert.convert(src, dst, request(options, env),
        progress::advanced);
    return new Conversion(src, null, r.sourceType(), r.output().label(), r.size(), r.bytesRead(),
        r.bytesWritten());
  }

  private static Convert.Request request(ConvertOptions options, Map<String, ?> env) {
    FileSystemConfig config = FileSystemConfig.parse(env);
    Convert.Output output = options.to() == null ? null
        : Convert.Output.valueOf(options.to().name());
    // 0 stays 0: the result's format has the default, and a *.vhdx name may choose the format.
    return new Convert.Request(output, options.blockSize(),
        options.azure(), options.replace(), config.chainOptions(),
        PartitionView.of(options.partition()), options.sync());
  }

  /** {@code view}, or the whole disk where {@code image} is a raw image, which has no parts. */
  private static DiskView wholeIfRaw(Path image, DiskView view) throws IOException {
    if (view == DiskView.WHOLE) {
      return view;
    }
    return Formats.isImage(image) ? view : DiskView.WHOLE;
  }

  /**
   * One structural defect {@link #check} found.
   *
   * @param code the kind of defect, stable for scripts: {@code footer-lost},
   *     {@code footer-checksum}, {@code footer-invalid}, {@code footer-copy-missing},
   *     {@code footer-copies-differ}, {@code short-footer}, {@code header-location},
   *     {@code header-cookie}, {@code header-checksum}, {@code header-invalid},
   *     {@code table-location}, {@code table-entries}, {@code size}, {@code locator},
   *     {@code entry-outside-file}, {@code entry-truncated}, {@code entry-over-footer},
   *     {@code entry-over-metadata}, {@code entries-overlap}, {@code orphan-space},
   *     {@code parent-missing}, {@code parent-id-mismatch}, {@code parent-chain}, or
   *     {@code more} (a count of findings of one kind past the first hundred)
   * @param offset the byte offset in the image file of the structure or field at fault, or -1
   * @param meaning what is wrong and what it means, for a person
   * @param repairable whether {@code check} with {@code repair} fixes it
   * @param repaired whether this check did fix it
   */
  public record Finding(String code, long offset, String meaning, boolean repairable,
      boolean repaired) {}

  /**
   * What {@link #check} found.
   *
   * @param image the image checked
   * @param findings every defect found, in the order found; empty for a sound image
   */
  public record Check(Path image, List<Finding> findings) {
    /** Copies the list. */
    public Check {
      findings = List.copyOf(findings);
    }

    /** The findings not repaired: empty when the image is sound now. */
    public List<Finding> remaining() {
      return findings.stream().filter(f -> !f.repaired()).toList();
    }
  }

  /**
   * Checks the structure of {@code image} and reports every defect, each with its byte offset and
   * meaning. Unlike opening, which refuses an image at its first defect, the check reads every
   * structure leniently and goes on: the footer at the end and its copy at offset 0 (lost,
   * failing their checksums, holding fields no reader accepts, differing from each other, the
   * 511-byte footer of old Virtual PC images), the dynamic header (place, cookie, checksum,
   * fields), the BAT (place, size) and every entry in it (outside the file, cut short by the end
   * of the file, over the end footer or other metadata, overlapping another block), orphan space
   * (room for whole blocks that no entry points at, as a crash between allocating and recording a
   * block leaves), and for a differencing image its parent locators and whether its parent is
   * found, has the unique id the child records, and opens with its own parents.
   *
   * <p>With {@code repair}, what is safe to fix is fixed, and the rest is reported: a lost,
   * damaged or 511-byte end footer is rewritten from the sound copy at offset 0, BAT entries that
   * point outside the file are marked unallocated (their blocks then read as zeros, or from the
   * parent), and a missing, damaged or differing copy at offset 0 is rewritten from the sound
   * end footer. No data byte is ever written. The writes go in that order, each forced to the
   * disk before the next, so an interrupted repair leaves the image no worse and can be run
   * again. A repair is refused while the image is open in this JVM, and a check of an image being
   * written meanwhile may see it half-way.
   *
   * @param env {@value VhdEnv#PARENT_ROOT}, {@value VhdEnv#IGNORE_PARENT_ID} and
   *     {@value VhdEnv#SIZE_FROM}, as for opening
   * @param progress told how much of the block allocation table has been checked
   * @throws io.vhdfs.VhdFormatException if the file is not a VHD at all (no footer cookie at the
   *     end or at offset 0)
   * @throws java.nio.file.NoSuchFileException if there is no such file
   * @throws java.nio.file.FileSystemException if {@code repair} is asked while the image is open
   *     in this JVM
   * @throws java.nio.file.AccessDeniedException if a repair must write but the file is read-only
   */
  public static Check check(Path image, boolean repair, Map<String, ?> env, Progress progress)
      throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    List<Finding> findings = io.vhdfs.image.Check.image(image, repair, config.sizeRule(),
        config.chainOptions(), progress::advanced).stream()
        .map(f -> new Finding(f.code(), f.offset(), f.meaning(), f.repairable(), f.repaired()))
        .toList();
    return new Check(image, findings);
  }
}
