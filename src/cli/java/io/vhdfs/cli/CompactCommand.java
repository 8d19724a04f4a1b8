package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd compact IMAGE}: gives back blocks of zeros and shrinks the file in place. */
final class CompactCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path image;
  boolean againstParent;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("compact",
        "Give back blocks that hold only zeros and shrink the file in place by moving later blocks "
            + "down (Optimize-VHD). The disk reads the same; interrupted, the image still opens "
            + "and reads the same.")
        .parameter("IMAGE", "A dynamic or differencing VHD or VHDX.",
            v -> image = Path.of(v))
        .flag("--against-parent", "In a differencing image, also give back blocks whose every "
            + "sector holds what the parent reads there.",
            () -> againstParent = true);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    VhdImages.Compaction c;
    try (ProgressReporter progress = ProgressReporter.start("compact", options)) {
      c = VhdImages.compact(image, againstParent, options.env(), progress);
    }
    PrintWriter out = io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("image", c.image().toString());
      m.put("bytesReclaimed", c.bytesReclaimed());
      m.put("blocksUnmapped", c.blocksUnmapped());
      m.put("blocksMoved", c.blocksMoved());
      m.put("oldSize", c.oldSize());
      m.put("newSize", c.newSize());
      out.println(Json.of(m));
    } else {
      out.println("compacted " + c.image() + ": " + c.bytesReclaimed() + " bytes reclaimed ("
          + c.oldSize() + " -> " + c.newSize() + "), " + c.blocksUnmapped()
          + " blocks unmapped, " + c.blocksMoved() + " moved");
    }
    return VhdCli.OK;
  }
}
