package io.vhdfs.vhdx;

import io.vhdfs.VhdEnv;
import io.vhdfs.VhdFormatException;
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
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Microsoft's VHDX (Hyper-V since 2012, Disk2vhd, Windows backup): fixed, dynamic and
 * differencing images, recognised by the {@code vhdxfile} signature at offset 0. Disks are
 * read and written (metadata through the log: {@link VhdxBlockWriter}, {@link LoggedMetadata}),
 * new fixed, dynamic and differencing images are created ({@link VhdxCreator}), a check may
 * repair the file ({@link VhdxRepair}), and children commit into their parents.
 */
public final class VhdxFormat implements ImageFormat {
  /** The one instance. */
  public static final VhdxFormat INSTANCE = new VhdxFormat();

  /** The logical sector size of a new image when none is asked for. */
  static final int DEFAULT_LOGICAL_SECTOR_SIZE = 512;
  /** The physical sector size of a new image when none is asked for, Hyper-V's. */
  static final int DEFAULT_PHYSICAL_SECTOR_SIZE = 4096;

  private VhdxFormat() {}

  @Override
  public String name() {
    return "vhdx";
  }

  @Override
  public String label() {
    return "VHDX";
  }

  /** Everything: writing, creating, repairing, committing. */
  @Override
  public Set<Capability> capabilities() {
    return EnumSet.allOf(Capability.class);
  }

  /** Hyper-V's: 32 MiB. */
  @Override
  public int defaultBlockSize() {
    return VhdxCreator.DEFAULT_BLOCK_SIZE;
  }

  /** {@code vhdxfile} at offset 0. */
  @Override
  public boolean probe(HostFile host) throws IOException {
    if (host.size() < 8) {
      return false;
    }
    ByteBuffer first = ByteBuffer.allocate(8);
    host.readFully(first, 0);
    return FileIdentifier.matches(first.array());
  }

  /** The current header's DataWriteGuid, which children record as {@code parent_linkage}. */
  @Override
  public UUID linkId(HostFile host) throws IOException {
    ByteSource raw = new HostSource(host);
    if (!probe(host)) {
      throw new VhdFormatException(host.name(), 0, "not a VHDX image: no 'vhdxfile' "
          + "signature at offset 0");
    }
    return HeaderChoice.read(raw).current().dataWriteGuid();
  }

  @Override
  public DiskLayer openLayer(HostFile host, SizeRule sizeRule, TableBudget budget)
      throws IOException {
    return VhdxLayer.open(host, budget);
  }

  /**
   * The common fields, the {@code vhdx} view's, then the structures: both headers, the region
   * table, the metadata items, the log's state and the BAT's counts.
   */
  @Override
  public Map<String, Object> describe(Path file, VirtualDisk disk) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("file", file.toString());
    m.put("format", name());
    m.put("diskType", disk.info().type().label());
    m.put("virtualSize", disk.size());
    m.put("hostSize", disk.info().hostSize());
    Map<String, Object> own = disk.info().view(name());
    if (own != null) {
      own.forEach(m::putIfAbsent);
    }
    if (disk.info().fields() instanceof VhdxFields fields) {
      fields.structure().describe().forEach(m::putIfAbsent);
    }
    List<Path> parents = disk.parents();
    if (!parents.isEmpty()) {
      m.put("parents", parents.stream().map(Path::toString).toList());
    }
    return m;
  }

  /**
   * The structure ({@link VhdxChecker}); a repair replays a dirty log onto the file and rewrites
   * a bad header or region table copy ({@link VhdxRepair}).
   */
  @Override
  public List<Finding> check(Path image, boolean repair, SizeRule sizeRule, ParentChain chain,
      ProgressListener progress) throws IOException {
    return VhdxChecker.check(image, repair, chain);
  }

  /**
   * A fixed or dynamic image of at most 64 TiB, a multiple of the logical sector size, blocks a
   * power of two from 1 to 256 MiB; a child with such blocks and its parent's sector sizes.
   * exactSize changes nothing, as a VHDX keeps its size to the sector anyway.
   */
  @Override
  public NewImage.Refusal refuse(NewImage spec) {
    if (spec.type() == DiskType.DIFFERENCING) {
      if (spec.logicalSectorSize() != 0) {
        return new NewImage.Refusal(VhdEnv.LOGICAL_SECTOR_SIZE,
            "no value: a differencing VHDX has its parent's sector sizes");
      }
      if (spec.physicalSectorSize() != 0) {
        return new NewImage.Refusal(VhdEnv.PHYSICAL_SECTOR_SIZE,
            "no value: a differencing VHDX has its parent's sector sizes");
      }
      return FileParameters.validBlockSize(spec.blockSize()) ? null : new NewImage.Refusal(
          VhdEnv.BLOCK_SIZE, "a power of two from 1 MiB to 256 MiB for a VHDX");
    }
    int logical = logicalSectorSize(spec);
    if (spec.size() > VhdxMetadata.MAX_VIRTUAL_DISK_SIZE) {
      return new NewImage.Refusal(VhdEnv.SIZE, "at most 64 TiB ("
          + VhdxMetadata.MAX_VIRTUAL_DISK_SIZE + " bytes), the largest disk a VHDX can hold");
    }
    if (spec.size() % logical != 0) {
      return new NewImage.Refusal(VhdEnv.SIZE, "a multiple of the " + logical
          + "-byte logical sector size");
    }
    if (!FileParameters.validBlockSize(spec.blockSize())) {
      return new NewImage.Refusal(VhdEnv.BLOCK_SIZE,
          "a power of two from 1 MiB to 256 MiB for a VHDX");
    }
    return null;
  }

  @Override
  public void create(Path image, NewImage spec) throws IOException {
    NewImage.Refusal refusal = refuse(spec);
    if (refusal != null) {
      throw new IllegalArgumentException("env key '" + refusal.key() + "': expected "
          + refusal.expected());
    }
    VhdxCreator.create(image, spec.type() == DiskType.FIXED, spec.size(), spec.blockSize(),
        logicalSectorSize(spec),
        spec.physicalSectorSize() == 0 ? DEFAULT_PHYSICAL_SECTOR_SIZE : spec.physicalSectorSize());
  }

  /**
   * {@inheritDoc}
   *
   * @throws FileSystemException if the parent is not a VHDX
   */
  @Override
  public void createChild(Path image, Path parent, VirtualDisk parentDisk, int blockSize)
      throws IOException {
    if (!(parentDisk.info().fields() instanceof VhdxFields fields)) {
      throw new FileSystemException(image.toString(), parent.toString(), "a differencing VHDX "
          + "needs a VHDX parent, not a " + parentDisk.info().format().label() + " image");
    }
    VhdxCreator.createChild(image, parent, fields, blockSize);
  }

  private static int logicalSectorSize(NewImage spec) {
    return spec.logicalSectorSize() == 0 ? DEFAULT_LOGICAL_SECTOR_SIZE : spec.logicalSectorSize();
  }

  @Override
  public Resized resize(HostFile host, long size, boolean shrink, TableBudget budget)
      throws IOException {
    return VhdxResize.resize(host, size, shrink, budget);
  }

  @Override
  public void setParent(HostFile host, Path child, Path parent, VirtualDisk parentDisk,
      boolean replaceId) throws IOException {
    if (!(parentDisk.info().fields() instanceof VhdxFields fields)) {
      throw new FileSystemException(child.toString(), parent.toString(), "a differencing VHDX "
          + "needs a VHDX parent, not a " + parentDisk.info().format().label() + " image");
    }
    VhdxReparent.rewrite(host, child, parent, fields.header().dataWriteGuid(), replaceId);
  }
}
