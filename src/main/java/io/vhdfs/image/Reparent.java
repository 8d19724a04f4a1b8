package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskOpener;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Points a differencing image at its parent's new place, what {@code Set-VHD -ParentPath} and
 * {@code vhd-util modify -p} do: the child's locators are rewritten by its format
 * ({@link ImageFormat#setParent}); its data is not touched. The new parent must carry the id the
 * child records of its parent (VHD: unique id; VHDX: DataWriteGuid), so that the child reads as
 * it was made to; with {@code ignoreParentId} any parent of the same format and size is taken,
 * and the child records its id from then on.
 */
public final class Reparent {
  /**
   * What a reparent did.
   *
   * @param parent the new parent's real path
   * @param oldId the parent id the child recorded
   * @param newId the new parent's id, which the child now accepts
   * @param idReplaced whether the recorded id changed (the ids differed)
   */
  public record Result(Path parent, UUID oldId, UUID newId, boolean idReplaced) {}

  private Reparent() {}

  /**
   * Points {@code child} at {@code parent}.
   *
   * @param options locking, and the parent root confinement does not apply: the parent is named
   * @throws FileSystemException if the child is open in this JVM or in use elsewhere, is not a
   *     differencing image, or the parent is of another format or size, or (without
   *     {@code ignoreParentId}) has another id than the child records
   */
  public static Result setParent(Path child, Path parent, boolean ignoreParentId,
      ChainOptions options) throws IOException {
    Path childReal = child.toRealPath();
    Path parentReal = parent.toRealPath();
    if (OpenDisks.isOpen(childReal)) {
      throw new FileSystemException(child.toString(), null,
          "open in this JVM: close it before changing its parent");
    }
    if (childReal.equals(parentReal)) {
      throw new FileSystemException(child.toString(), parent.toString(),
          "an image cannot be its own parent");
    }
    try (ImageLock.Hold hold = ImageLock.hold(childReal, options.locking())) {
      hold.startWriting();
      try (HostFile host = HostFile.openForReading(childReal)) {
        ImageFormat format = Formats.of(host);
        DiskLayer layer = format.openLayer(host, SizeRule.AUTO,
            ParentChain.detached(Formats.ALL)::checkTable);
        ParentLink link = layer.parentLink();
        if (link == null) {
          throw new FileSystemException(child.toString(), null,
              "not a differencing image: it has no parent to change");
        }
        long childSize = layer.info().size();
        VirtualDisk target = OpenDisks.acquire(parentReal, SizeRule.AUTO, options,
            () -> DiskOpener.open(parentReal, SizeRule.AUTO, Formats.chain(parentReal, options)));
        try {
          UUID newId = target.info().linkId();
          check(child, parent, childReal, link, target, childSize, ignoreParentId);
          boolean replace = !link.accepts(newId);
          host.enableWrites();
          format.setParent(host, childReal, parentReal, target, replace);
          return new Result(parentReal, link.expectedId(), newId, replace);
        } finally {
          OpenDisks.release(parentReal, SizeRule.AUTO, target);
        }
      }
    }
  }

  private static void check(Path child, Path parent, Path childReal, ParentLink link,
      VirtualDisk target, long childSize, boolean ignoreParentId) throws IOException {
    if (target.info().format() != link.parentFormat()) {
      throw new FileSystemException(child.toString(), parent.toString(), "the child needs a "
          + link.parentFormat().label() + " parent, not a " + target.info().format().label()
          + " image");
    }
    if (target.parents().contains(childReal)) {
      throw new FileSystemException(child.toString(), parent.toString(),
          "the new parent reads through the child: the chain would loop");
    }
    if (target.size() != childSize) {
      throw new FileSystemException(child.toString(), parent.toString(), "the new parent is "
          + target.size() + " bytes, the child " + childSize + ": not its parent");
    }
    UUID id = target.info().linkId();
    if (!link.accepts(id) && !ignoreParentId) {
      throw new FileSystemException(child.toString(), parent.toString(), "the child records "
          + "parent id " + link.expectedId() + ", the new parent's is " + id + ": it is not the "
          + "parent the child was made on (ignore the parent id to link it all the same)");
    }
  }
}
