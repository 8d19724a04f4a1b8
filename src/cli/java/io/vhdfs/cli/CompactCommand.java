package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vhd compact IMAGE}: gives back blocks of zeros and shrinks the file in place. */
@Command(name = "compact", mixinStandardHelpOptions = true,
    description = "Give back blocks that hold only zeros and shrink the file in place by moving "
        + "later blocks down (Optimize-VHD). The disk reads the same; interrupted, the image "
        + "still opens and reads the same.")
final class CompactCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", description = "A dynamic or differencing VHD or VHDX.")
  Path image;

  @Option(names = "--against-parent", description = "In a differencing image, also give back "
      + "blocks whose every sector holds what the parent reads there.")
  boolean againstParent;

  @Override
  public Integer call() throws Exception {
    VhdImages.Compaction c;
    try (ProgressReporter progress = ProgressReporter.start("compact", options)) {
      c = VhdImages.compact(image, againstParent, options.env(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
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
