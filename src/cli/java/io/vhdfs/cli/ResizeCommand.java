package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vhd resize IMAGE SIZE [--shrink]}: changes an image's virtual size in place. */
@Command(name = "resize", mixinStandardHelpOptions = true,
    description = "Change the virtual size of an image in place (Resize-VHD). A differencing "
        + "image is resized on its own. VHD sizes round up to a CHS geometry as for create, "
        + "unless the image was made with an exact size; VHDX sizes to the logical sector. Interrupted, the image keeps its old "
        + "or its new size and every byte.")
final class ResizeCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to resize.")
  Path image;

  @Parameters(index = "1", paramLabel = "SIZE",
      description = "New virtual size: bytes or with suffix K, M, G, T, as create takes them.")
  String size;

  @Option(names = "--shrink", description = "Allow a smaller size; refused when the range cut "
      + "off holds data (the message names its first offset).")
  boolean shrink;

  @Override
  public Integer call() throws Exception {
    long bytes;
    try {
      bytes = VhdImages.parseSize(size);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("SIZE: '" + size + "' is not " + e.getMessage(), e);
    }
    VhdImages.Resize r = VhdImages.resize(image, bytes, shrink);
    PrintWriter out = spec.commandLine().getOut();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("image", r.image().toString());
      m.put("oldSize", r.oldSize());
      m.put("newSize", r.newSize());
      m.put("moved", r.moved());
      out.println(Json.of(m));
    } else {
      out.println("resized " + r.image() + " from " + r.oldSize() + " to " + r.newSize()
          + " bytes" + (r.moved() == null ? "" : "; moved the " + r.moved()));
    }
    return VhdCli.OK;
  }
}
