package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.Compaction;
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
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.vhd.VhdCompactor;
import io.vhdfs.vhd.VhdFormat;
import io.vhdfs.vhdx.VhdxCompactor;
import io.vhdfs.vhdx.VhdxFormat;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Compacts an image in place (what Hyper-V calls optimizing): blocks the disk reads the same
 * without are given back, later blocks move down into the room they leave, and the file is cut
 * after the last one. Which blocks those are, and the order of writes that keeps the image whole
 * if cut anywhere, are the format's ({@link VhdCompactor}, {@link VhdxCompactor}); this finds the
 * format, keeps everyone else out of the image, and opens a differencing image's parent chain,
 * read only, to compare against.
 */
public final class Compact {
  private Compact() {}

  /**
   * Compacts {@code image}.
   *
   * @param againstParent whether blocks of a differencing image that hold only what its parent
   *     reads there go too
   * @param options how a differencing image's parent is found and checked
   * @throws FileSystemException if the image is open in this JVM, or {@code againstParent} is
   *     asked of an image with no parent
   */
  public static Compaction compact(Path image, boolean againstParent, ChainOptions options,
      ProgressListener progress) throws IOException {
    Path real = image.toRealPath();
    if (OpenDisks.isOpen(real)) {
      // Its open disk holds the block table in memory and would write it back over ours.
      throw new FileSystemException(image.toString(), null,
          "open in this JVM: close every file system and channel on it before compacting it");
    }
    try (ImageLock.Hold hold = ImageLock.hold(real, options.locking())) {
      return hold.writing(() -> compactLocked(real, againstParent, options, progress));
    }
  }

  private static Compaction compactLocked(Path real, boolean againstParent, ChainOptions options,
      ProgressListener progress) throws IOException {
    try (HostFile host = HostFile.openForReading(real)) {
      ImageFormat format = Formats.of(host);
      DiskLayer layer = format.openLayer(host, SizeRule.AUTO,
          ParentChain.detached(Formats.ALL)::checkTable);
      ParentLink link = layer.parentLink();
      if (link == null) {
        if (againstParent) {
          throw new FileSystemException(host.name(), null,
              "not a differencing image: there is no parent to compare it against");
        }
        return compactFormat(format, host, layer, null, againstParent, progress);
      }
      Path parent = ParentLookup.find(host.name(), real, link, options).path();
      VirtualDisk parentDisk = OpenDisks.acquire(parent, SizeRule.AUTO, options,
          () -> DiskOpener.open(parent, SizeRule.AUTO, Formats.chain(parent, options)));
      try {
        if (parentDisk.parents().contains(real)) {
          throw new FileSystemException(real.toString(), parent.toString(),
              "its parent reads through it: the chain loops");
        }
        return compactFormat(format, host, layer, parentDisk, againstParent, progress);
      } finally {
        OpenDisks.release(parent, SizeRule.AUTO, parentDisk);
      }
    }
  }

  private static Compaction compactFormat(ImageFormat format, HostFile host, DiskLayer layer,
      VirtualDisk parent, boolean againstParent, ProgressListener progress) throws IOException {
    if (format == VhdFormat.INSTANCE) {
      return VhdCompactor.compact(host, layer, parent, againstParent, progress);
    }
    if (format == VhdxFormat.INSTANCE) {
      return VhdxCompactor.compact(host, layer, parent, againstParent, progress);
    }
    throw new FileSystemException(host.name(), null,
        format.label() + " compacting is not supported");
  }
}
