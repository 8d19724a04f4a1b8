package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.nio.file.Path;
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
    description = "Create a dynamic, fixed or differencing image. Sizes round up to a CHS "
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
      description = "Block size of a dynamic or differencing image (default 2M).")
  String blockSize;

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
    if (t.equals("fixed") && blockSize != null) {
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
    VhdImages.create(image, env);
    Map<String, Object> info = InfoCommand.withActualSize(image,
        VhdImages.describe(image, options.env()));
    if (options.json) {
      spec.commandLine().getOut().println(Json.of(info));
    } else {
      spec.commandLine().getOut().println("created " + image + ": " + info.get("type") + ", "
          + info.get("virtualSize") + " bytes");
    }
    return VhdCli.OK;
  }
}
