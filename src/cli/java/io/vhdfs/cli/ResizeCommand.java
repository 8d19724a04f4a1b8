package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd resize IMAGE SIZE [--shrink]}: changes an image's virtual size in place. */
final class ResizeCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path image;
  String size;
  boolean shrink;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("resize",
        "Change the virtual size of an image in place (Resize-VHD). A differencing image is "
            + "resized on its own. VHD sizes round up to a CHS geometry as for create, unless the "
            + "image was made with an exact size; VHDX sizes to the logical sector. Interrupted, "
            + "the image keeps its old or its new size and every byte.")
        .parameter("IMAGE", "The image to resize.",
            v -> image = Path.of(v))
        .parameter("SIZE", "New virtual size: bytes or with suffix K, M, G, T, as create takes "
            + "them.",
            v -> size = v)
        .flag("--shrink", "Allow a smaller size; refused when the range cut off holds data (the "
            + "message names its first offset).",
            () -> shrink = true);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    long bytes;
    try {
      bytes = VhdImages.parseSize(size);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("SIZE: '" + size + "' is not " + e.getMessage(), e);
    }
    VhdImages.Resize r = VhdImages.resize(image, bytes, shrink);
    PrintWriter out = io.out();
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
