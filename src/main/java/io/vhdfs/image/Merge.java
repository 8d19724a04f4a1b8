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
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.Run;
import io.vhdfs.disk.SectorMapper;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges a run of a chain into an ancestor, what {@code Merge-VHD} does: the images from the
 * child up to the ancestor (excluded) are read as one disk, top first, and what they hold
 * (sectors, and blocks marked as zeros) is written into the ancestor at the same place; the
 * ancestor is forced, and only then are the merged images deleted, child first.
 *
 * <p>The run is only read, so cut anywhere before the deletions the chain reads as before: every
 * byte written into the ancestor is one the run hides, and a VHDX ancestor keeps the
 * DataWriteGuid the run's bottom image links by until its write session ends
 * ({@link VirtualDisk#enableWritesForCommit}); the merge can simply run again. The run is deleted
 * once the ancestor is forced and before that session ends, so no merged image is ever left
 * unlinked. Deleting the child first means that no image is left whose parent is gone while the
 * child still names it.
 */
public final class Merge {
  private static final int CHUNK = 1 << 20;

  /**
   * What a merge did.
   *
   * @param ancestor the real path of the image merged into
   * @param merged the real paths of the images merged and deleted, child first
   * @param bytes bytes written into the ancestor as data
   */
  public record Result(Path ancestor, List<Path> merged, long bytes) {}

  private Merge() {}

  /**
   * Merges {@code child} and the images between it and {@code ancestor} into {@code ancestor},
   * {@code null} for the child's direct parent.
   *
   * @throws FileSystemException if {@code ancestor} is not in the child's chain, an image of the
   *     run is open in this JVM or in use elsewhere, or the ancestor is not writable
   */
  public static Result merge(Path child, Path ancestor, ChainOptions options,
      ProgressListener progress) throws IOException {
    Path childReal = child.toRealPath();
    List<Path> chain;
    try (VirtualDisk top = DiskOpener.open(childReal, SizeRule.AUTO,
        Formats.chain(childReal, options))) {
      chain = top.parents();
    }
    if (chain.isEmpty()) {
      throw new FileSystemException(child.toString(), null,
          "not a differencing image: there is no parent to merge it into");
    }
    Path into = ancestor == null ? chain.get(0) : ancestor.toRealPath();
    int at = chain.indexOf(into);
    if (at < 0) {
      throw new FileSystemException(child.toString(), ancestor.toString(),
          "not in the child's chain " + chain);
    }
    List<Path> run = new ArrayList<>();
    run.add(childReal);
    run.addAll(chain.subList(0, at));
    for (Path p : run) {
      if (OpenDisks.isOpen(p)) {
        throw new FileSystemException(p.toString(), null,
            "open in this JVM: close it before merging it");
      }
    }
    List<ImageLock.Hold> holds = new ArrayList<>();
    List<HostFile> hosts = new ArrayList<>();
    try {
      for (Path p : run) {
        ImageLock.Hold hold = ImageLock.hold(p, options.locking());
        holds.add(hold);
        // Nobody else may read what is about to be deleted.
        hold.startWriting();
      }
      List<DiskLayer> layers = new ArrayList<>();
      for (Path p : run) {
        HostFile host = HostFile.openForReading(p);
        hosts.add(host);
        ImageFormat format = Formats.of(host);
        format.require(ImageFormat.Capability.COMMIT, host.name());
        layers.add(format.openLayer(host, SizeRule.AUTO,
            ParentChain.detached(Formats.ALL)::checkTable));
      }
      long bytes = write(run, hosts, layers, into, options, progress, () -> {
        for (HostFile h : hosts) {
          h.close();
        }
        hosts.clear();
        for (Path p : run) {
          Files.delete(p);
        }
      });
      return new Result(into, List.copyOf(run), bytes);
    } finally {
      for (HostFile h : hosts) {
        h.close();
      }
      for (ImageLock.Hold h : holds) {
        h.close();
      }
    }
  }

  /** What is done once the ancestor is durable, before its write session ends. */
  @FunctionalInterface
  private interface Durable {
    void run() throws IOException;
  }

  private static long write(List<Path> run, List<HostFile> hosts, List<DiskLayer> layers,
      Path into, ChainOptions options, ProgressListener progress, Durable then)
      throws IOException {
    VirtualDisk target = OpenDisks.acquire(into, SizeRule.AUTO, options,
        () -> DiskOpener.open(into, SizeRule.AUTO, Formats.chain(into, options)));
    try {
      target.info().format().require(ImageFormat.Capability.WRITE, into.toString());
      long size = layers.get(0).info().size();
      if (size > target.size()) {
        throw new FileSystemException(run.get(0).toString(), into.toString(), "the child is "
            + size + " bytes, past the end of its " + target.size() + "-byte ancestor");
      }
      OpenDisks.startWriting(into, SizeRule.AUTO);
      try {
        target.enableWritesForCommit();
        long bytes = copy(hosts, layers, target, size, progress);
        target.force();
        then.run();
        return bytes;
      } finally {
        OpenDisks.stopWriting(into, SizeRule.AUTO);
      }
    } finally {
      // The last user closes the ancestor, which ends its write session durably.
      OpenDisks.release(into, SizeRule.AUTO, target);
    }
  }

  /**
   * Writes into {@code target} what the layers, top first, hold: a window at a time, the
   * smallest block size of the run, so each window lies in one block of every layer.
   */
  private static long copy(List<HostFile> hosts, List<DiskLayer> layers, VirtualDisk target,
      long size, ProgressListener progress) throws IOException {
    List<BlockMap> maps = new ArrayList<>();
    List<SectorMapper> mappers = new ArrayList<>();
    int window = Integer.MAX_VALUE;
    for (DiskLayer l : layers) {
      BlockMap m = l.blockMap();
      maps.add(m);
      mappers.add(new SectorMapper(m));
      window = Math.min(window, m.blockSize());
    }
    ByteBuffer buf = ByteBuffer.allocateDirect(Math.min(CHUNK, window));
    long bytes = 0;
    for (long start = 0; start < size; start += window) {
      int length = (int) Math.min(window, size - start);
      List<long[]> open = new ArrayList<>();
      open.add(new long[] {start, start + length});
      for (int i = 0; i < layers.size() && !open.isEmpty(); i++) {
        if (maps.get(i).state(start / maps.get(i).blockSize()) == BlockMap.State.ABSENT) {
          continue;
        }
        List<long[]> still = new ArrayList<>();
        for (long[] range : open) {
          long pos = range[0];
          for (Run r : mappers.get(i).map(range[0], (int) (range[1] - range[0]))) {
            switch (r.kind()) {
              case DATA -> bytes += Commit.copyRun(hosts.get(i), r, pos, target, buf);
              case ZERO -> target.writeZeros(pos,
                  Math.min(r.length(), Math.max(0, target.size() - pos)));
              case BACKING -> still.add(new long[] {pos, pos + r.length()});
            }
            pos += r.length();
          }
        }
        open = still;
      }
      progress.advanced(start + length, size);
    }
    return bytes;
  }
}
