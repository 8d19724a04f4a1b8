package io.vhdfs.image;

import io.vhdfs.disk.BlockMap;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskOpener;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.ParentLookup;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.Run;
import io.vhdfs.disk.SectorMapper;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Commits a differencing image into its parent (what Hyper-V calls merging and vhd-util
 * coalescing): every sector the child holds is written into the parent at the same place, and
 * every block the child marks as zeros is made to read as zeros there. It works on any format
 * through its interfaces: the child is read as one layer ({@link DiskLayer}), its blocks through
 * its {@link BlockMap}, its parent found from its {@link ParentLink}, and the parent written as
 * any disk is.
 *
 * <p>Interrupted anywhere, nothing is lost: each write into the parent leaves it a valid image
 * (its own write order sees to that), and the child, which is only read, still holds every
 * sector it held and hides the parent's copy of it, so the chain reads as before and the commit
 * can simply be run again. Once done, the parent alone reads as the chain did; the child is left
 * as it was, now redundant. Other children of the same parent see its new bytes, as with every
 * tool that commits: commit only into a parent with no other children.
 */
public final class Commit {
  private static final int CHUNK = 1 << 20;

  /**
   * What a commit did.
   *
   * @param parent the parent's real path
   * @param bytes bytes written into the parent
   * @param blocks the child's blocks read: those it holds sectors of or marks as zeros
   */
  public record Result(Path parent, long bytes, long blocks) {}

  private Commit() {}

  /**
   * Commits the differencing image {@code child} into its parent, found and checked as opening
   * the child would with {@code options}.
   *
   * @throws FileSystemException if the child or the parent is in use in this JVM in a way that
   *     a commit would disturb, or the parent is not writable
   */
  public static Result commit(Path child, ChainOptions options, ProgressListener progress)
      throws IOException {
    Path childReal = child.toRealPath();
    if (OpenDisks.isOpen(childReal)) {
      throw new FileSystemException(child.toString(), null,
          "open in this JVM: close it before committing it");
    }
    // The child is read outside OpenDisks, so it takes its reader's locks here.
    try (ImageLock.Hold childHold = ImageLock.hold(childReal, options.locking())) {
      return commitLocked(childReal, options, progress);
    }
  }

  private static Result commitLocked(Path childReal, ChainOptions options,
      ProgressListener progress) throws IOException {
    try (HostFile host = HostFile.openForReading(childReal)) {
      ImageFormat format = Formats.of(host);
      DiskLayer layer = format.openLayer(host, SizeRule.AUTO,
          ParentChain.detached(Formats.ALL)::checkTable);
      ParentLink link = layer.parentLink();
      if (link == null) {
        throw new FileSystemException(host.name(), null,
            "not a differencing image: there is no parent to commit it into");
      }
      format.require(ImageFormat.Capability.COMMIT, host.name());
      Path parent = ParentLookup.find(host.name(), childReal, link, options).path();
      VirtualDisk target = OpenDisks.acquire(parent, SizeRule.AUTO, options,
          () -> DiskOpener.open(parent, SizeRule.AUTO, Formats.chain(parent, options)));
      try {
        target.info().format().require(ImageFormat.Capability.WRITE, parent.toString());
        return copy(host, layer, target, parent, childReal, progress);
      } finally {
        OpenDisks.release(parent, SizeRule.AUTO, target);
      }
    }
  }

  private static Result copy(HostFile host, DiskLayer child, VirtualDisk parent,
      Path parentPath, Path childPath, ProgressListener progress) throws IOException {
    if (parent.parents().contains(childPath)) {
      throw new FileSystemException(childPath.toString(), null,
          "its parent " + parentPath + " reads through it: the chain loops");
    }
    BlockMap map = child.blockMap();
    SectorMapper mapper = new SectorMapper(map);
    int blockSize = map.blockSize();
    long size = child.info().size();
    long blocks = (size + blockSize - 1) / blockSize;
    long lastByte = lastHeldByte(map, mapper, size);
    if (lastByte > parent.size()) {
      throw new FileSystemException(childPath.toString(), parentPath.toString(), "the child "
          + "holds data up to byte " + lastByte + ", past the end of its " + parent.size()
          + "-byte parent");
    }
    OpenDisks.startWriting(parentPath, SizeRule.AUTO);
    try {
      parent.enableWritesForCommit();
      long bytes = 0;
      long read = 0;
      ByteBuffer buf = ByteBuffer.allocateDirect(Math.min(CHUNK, blockSize));
      for (long b = 0; b < blocks; b++) {
        if (map.state(b) == BlockMap.State.ABSENT) {
          continue;
        }
        read++;
        long start = b * blockSize;
        long at = start;
        for (Run run : mapper.map(start, (int) Math.min(blockSize, size - start))) {
          switch (run.kind()) {
            case DATA -> bytes += copyRun(host, run, at, parent, buf);
            // Zeros hide what the parent holds, up to its end.
            case ZERO -> parent.writeZeros(at,
                Math.min(run.length(), Math.max(0, parent.size() - at)));
            case BACKING -> { }
          }
          at += run.length();
        }
        progress.advanced(Math.min(size, start + blockSize), size);
      }
      parent.force();
      return new Result(parentPath, bytes, read);
    } finally {
      OpenDisks.stopWriting(parentPath, SizeRule.AUTO);
    }
  }

  /**
   * Copies a run of stored bytes of an image in {@code host} to {@code target} at
   * {@code position}, through {@code buf}; also {@link Merge}'s.
   */
  static long copyRun(HostFile host, Run run, long position, VirtualDisk target,
      ByteBuffer buf) throws IOException {
    for (int done = 0; done < run.length(); ) {
      int n = Math.min(buf.capacity(), run.length() - done);
      buf.clear().limit(n);
      host.readFully(buf, run.hostOffset() + done);
      buf.flip();
      target.write(buf, position + done);
      done += n;
    }
    return run.length();
  }

  /**
   * The end of the last sector the child holds data for, 0 if none. Blocks it marks as zeros
   * count only where the parent holds something to hide, which no size check can tell: the
   * zeros are written up to the parent's end.
   */
  private static long lastHeldByte(BlockMap map, SectorMapper mapper, long size)
      throws IOException {
    int blockSize = map.blockSize();
    long blocks = (size + blockSize - 1) / blockSize;
    for (long b = blocks - 1; b >= 0; b--) {
      if (map.state(b) == BlockMap.State.ABSENT) {
        continue;
      }
      long start = b * blockSize;
      long end = start;
      long at = start;
      for (Run run : mapper.map(start, (int) Math.min(blockSize, size - start))) {
        at += run.length();
        if (run.kind() == Run.Kind.DATA) {
          end = at;
        }
      }
      if (end > start) {
        return end;
      }
    }
    return 0;
  }
}
