package io.vhdfs.vhdx;

import io.vhdfs.VhdEnv;
import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskLayer;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.NewImage;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.TableBudget;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Microsoft's VHDX (Hyper-V since 2012, Disk2vhd, Windows backup): fixed, dynamic and
 * differencing images, recognised by the {@code vhdxfile} signature at offset 0. Disks are
 * read-only for now, and a check may repair the file ({@link VhdxRepair}); writing, creating and
 * committing wait for the format's writer, and are refused before anything is touched
 * ({@link #require}).
 */
public final class VhdxFormat implements ImageFormat {
  /** The one instance. */
  public static final VhdxFormat INSTANCE = new VhdxFormat();

  private VhdxFormat() {}

  @Override
  public String name() {
    return "vhdx";
  }

  @Override
  public String label() {
    return "VHDX";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.REPAIR);
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
    return HeaderChoice.choose(
        raw.readStructure(VhdxHeader.HEADER1_OFFSET, VhdxHeader.SIZE, "header 1"),
        raw.readStructure(VhdxHeader.HEADER2_OFFSET, VhdxHeader.SIZE, "header 2"),
        host.name()).current().dataWriteGuid();
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

  @Override
  public NewImage.Refusal refuse(NewImage spec) {
    return new NewImage.Refusal(VhdEnv.CREATE, "a VHD: VHDX images cannot be created yet");
  }

  @Override
  public void create(Path image, NewImage spec) throws IOException {
    require(Capability.CREATE, image.toString());
  }

  @Override
  public void createChild(Path image, Path parent, VirtualDisk parentDisk, int blockSize)
      throws IOException {
    require(Capability.CREATE, image.toString());
  }
}
