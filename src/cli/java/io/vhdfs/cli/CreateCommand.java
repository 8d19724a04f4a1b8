package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vhd create IMAGE [SIZE]}. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Create a dynamic, fixed or differencing image: a VHDX where --format vhdx or "
        + "the name's .vhdx extension says so, else a VHD. VHD sizes round up to a CHS "
        + "geometry as qemu-img does, unless --exact-size.")
final class CreateCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to create.")
  Path image;

  @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE",
      description = "Virtual size: bytes or with suffix K, M, G, T, as qemu-img takes them "
          + "(20G, 1.5G; not for differencing).")
  String size;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "dynamic",
      description = "dynamic (default), fixed or differencing.")
  String type;

  @Option(names = "--parent", paramLabel = "PARENT",
      description = "Parent of a differencing image (relative to IMAGE's directory).")
  String parent;

  @Option(names = "--block-size", paramLabel = "BYTES",
      description = "Block size of a dynamic or differencing image (default 2M for VHD, 32M "
          + "for VHDX).")
  String blockSize;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "vhd or vhdx (default: vhdx for a name ending in .vhdx, else vhd).")
  String format;

  @Option(names = "--logical-sector-size", paramLabel = "BYTES",
      description = "512 (default) or 4096: logical sector size of a VHDX.")
  String logicalSectorSize;

  @Option(names = "--physical-sector-size", paramLabel = "BYTES",
      description = "512 or 4096 (default): physical sector size of a VHDX.")
  String physicalSectorSize;

  @Option(names = "--exact-size", description = "Keep the size to the byte (Azure).")
  boolean exactSize;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> env = options.env();
    String t = parent != null && type.equals("dynamic") ? "differencing" : type;
    env.put("type", t);
    // Said in the tool's terms: the library would name its env keys instead.
    if (t.equals("differencing") && parent == null) {
      throw new IllegalArgumentException("--parent is required for a differencing image");
    }
    boolean vhdx = format != null ? format.equalsIgnoreCase("vhdx")
        : String.valueOf(image.getFileName()).toLowerCase(Locale.ROOT).endsWith(".vhdx");
    // A fixed VHDX has blocks (its BAT maps them); a fixed VHD has none.
    if (t.equals("fixed") && blockSize != null && !vhdx) {
      throw new IllegalArgumentException("--block-size is for dynamic and differencing images; "
          + "a fixed image has no blocks");
    }
    if (size != null) {
      env.put("size", size);
    } else if (!t.equals("differencing")) {
      throw new IllegalArgumentException("SIZE is required for a " + t + " image");
    }
    if (parent != null) {
      env.put("parent", parent);
    }
    if (blockSize != null) {
      env.put("blockSize", blockSize);
    }
    if (exactSize) {
      env.put("exactSize", "true");
    }
    if (format != null) {
      env.put("format", format);
    }
    if (logicalSectorSize != null) {
      env.put("logicalSectorSize", logicalSectorSize);
    }
    if (physicalSectorSize != null) {
      env.put("physicalSectorSize", physicalSectorSize);
    }
    VhdImages.create(image, env);
    Map<String, Object> info = InfoCommand.withActualSize(image,
        VhdImages.describe(image, options.env()));
    if (options.json) {
      spec.commandLine().getOut().println(Json.of(info));
    } else {
      Object made = info.containsKey("type") ? info.get("type") : info.get("diskType");
      spec.commandLine().getOut().println("created " + image + ": " + made + ", "
          + info.get("virtualSize") + " bytes");
    }
    return VhdCli.OK;
  }
}
