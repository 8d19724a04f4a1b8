package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** {@code vhd create IMAGE [SIZE]}. */
final class CreateCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path image;
  String size;
  String type = "dynamic";
  String parent;
  String blockSize;
  String format;
  String logicalSectorSize;
  String physicalSectorSize;
  boolean exactSize;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("create",
        "Create a dynamic, fixed or differencing image: a VHDX where --format vhdx or the name's "
            + ".vhdx extension says so, else a VHD. VHD sizes round up to a CHS geometry as "
            + "qemu-img does, unless --exact-size.")
        .parameter("IMAGE", "The image to create.",
            v -> image = Path.of(v))
        .optionalParameter("SIZE", "Virtual size: bytes or with suffix K, M, G, T, as qemu-img "
            + "takes them (20G, 1.5G; not for differencing).",
            v -> size = v)
        .option("--type", "TYPE", "dynamic (default), fixed or differencing.",
            v -> type = v)
        .option("--parent", "PARENT", "Parent of a differencing image (relative to IMAGE's "
            + "directory).",
            v -> parent = v)
        .option("--block-size", "BYTES", "Block size of a dynamic or differencing image (default "
            + "2M for VHD, 32M for VHDX).",
            v -> blockSize = v)
        .option("--format", "FORMAT", "vhd or vhdx (default: vhdx for a name ending in .vhdx, else "
            + "vhd).",
            v -> format = v)
        .option("--logical-sector-size", "BYTES", "512 (default) or 4096: logical sector size of a "
            + "VHDX.",
            v -> logicalSectorSize = v)
        .option("--physical-sector-size", "BYTES", "512 or 4096 (default): physical sector size of "
            + "a VHDX.",
            v -> physicalSectorSize = v)
        .flag("--exact-size", "Keep the size to the byte (Azure).",
            () -> exactSize = true);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
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
      io.out().println(Json.of(info));
    } else {
      Object made = info.containsKey("type") ? info.get("type") : info.get("diskType");
      io.out().println("created " + image + ": " + made + ", "
          + info.get("virtualSize") + " bytes");
    }
    return VhdCli.OK;
  }
}
