package io.vhdfs.vhd;

import io.vhdfs.VhdEnv;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.NewImage;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.Resized;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.TableBudget;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Microsoft's VHD (Virtual PC, Hyper-V before 2012, Azure, XenServer, QEMU's {@code vpc}): fixed,
 * dynamic and differencing images, recognised by the {@code conectix} footer cookie at the end of
 * the file, the 511-byte footer of old Virtual PC, or the copy at offset 0. Reads, writes,
 * creates, repairs and commits.
 */
public final class VhdFormat implements ImageFormat {
  /** The one instance. */
  public static final VhdFormat INSTANCE = new VhdFormat();

  private static final Set<Capability> CAPABILITIES = EnumSet.allOf(Capability.class);

  private VhdFormat() {}

  @Override
  public String name() {
    return "vhd";
  }

  @Override
  public Set<Capability> capabilities() {
    return CAPABILITIES;
  }

  /** A footer cookie where one belongs: the last 512 or 511 bytes, or offset 0. */
  @Override
  public boolean probe(HostFile host) throws IOException {
    return FooterLocator.hasCookie(host);
  }

  /** The unique id of the footer the image would be opened with. */
  @Override
  public UUID linkId(HostFile host) throws IOException {
    return FooterLocator.locate(host, host.size()).footer().uniqueId();
  }

  @Override
  public DiskLayer openLayer(HostFile host, SizeRule sizeRule, TableBudget budget)
      throws IOException {
    return VhdLayer.open(host, sizeRule, budget);
  }

  @Override
  public Map<String, Object> describe(Path file, VirtualDisk disk) {
    return VhdDescription.of(file, disk);
  }

  @Override
  public List<Finding> check(Path image, boolean repair, SizeRule sizeRule, ParentChain chain,
      ProgressListener progress) throws IOException {
    return VhdChecker.check(image, repair, sizeRule, chain, progress);
  }

  @Override
  public Resized resize(HostFile host, long size, boolean shrink, TableBudget budget)
      throws IOException {
    return VhdResize.resize(host, size, shrink, budget);
  }

  /**
   * 512-byte sectors and no physical sector size, a size of at most 2040 GiB, a multiple of 512 when kept exact, and a block size the table of
   * at most {@link VhdLayer#MAX_TABLE_ENTRIES} entries can cover the size with.
   */
  @Override
  public NewImage.Refusal refuse(NewImage spec) {
    if (spec.logicalSectorSize() != 0 && spec.logicalSectorSize() != 512) {
      return new NewImage.Refusal(VhdEnv.LOGICAL_SECTOR_SIZE,
          "512: VHD sectors are 512 bytes (format=vhdx takes 4096)");
    }
    if (spec.physicalSectorSize() != 0) {
      return new NewImage.Refusal(VhdEnv.PHYSICAL_SECTOR_SIZE,
          "no value: a VHD records no physical sector size (format=vhdx does)");
    }
    if (spec.type() == DiskType.DIFFERENCING) {
      return null;
    }
    if (spec.size() > VhdLayer.MAX_SIZE) {
      return new NewImage.Refusal(VhdEnv.SIZE, "at most 2040 GiB (" + VhdLayer.MAX_SIZE
          + " bytes), the largest disk a VHD can address");
    }
    if (spec.exactSize() && spec.size() % 512 != 0) {
      return new NewImage.Refusal(VhdEnv.SIZE, "a multiple of 512 bytes when exactSize is set");
    }
    long created = VhdCreator.createdSize(spec.size(), spec.exactSize());
    long entries = (created + spec.blockSize() - 1) / spec.blockSize();
    if (spec.type() == DiskType.DYNAMIC && entries > VhdLayer.MAX_TABLE_ENTRIES) {
      return new NewImage.Refusal(VhdEnv.BLOCK_SIZE, "a larger block size: " + spec.blockSize()
          + "-byte blocks need more than " + VhdLayer.MAX_TABLE_ENTRIES + " table entries for "
          + created + " bytes");
    }
    return null;
  }

  @Override
  public void create(Path image, NewImage spec) throws IOException {
    VhdCreator.create(image, spec.type(), spec.size(), spec.blockSize(), spec.exactSize());
  }

  /**
   * {@inheritDoc}
   *
   * @throws FileSystemException if the parent is not a VHD
   */
  @Override
  public void createChild(Path image, Path parent, VirtualDisk parentDisk, int blockSize)
      throws IOException {
    if (parentDisk.info().format() != this) {
      throw new FileSystemException(image.toString(), parent.toString(), "a differencing VHD "
          + "needs a VHD parent, not a " + parentDisk.info().format().label() + " image");
    }
    VhdCreator.createChild(image, parent, parentDisk.info(), blockSize);
  }

  @Override
  public void setParent(HostFile host, Path child, Path parent, VirtualDisk parentDisk,
      boolean replaceId) throws IOException {
    if (parentDisk.info().format() != this) {
      throw new FileSystemException(child.toString(), parent.toString(), "a differencing VHD "
          + "needs a VHD parent, not a " + parentDisk.info().format().label() + " image");
    }
    VhdReparent.rewrite(host, child, parent, parentDisk.info(), replaceId);
  }
}
