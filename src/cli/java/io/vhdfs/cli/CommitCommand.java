package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd commit CHILD}: merges a differencing image into its parent. */
final class CommitCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path child;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("commit",
        "Write every sector a differencing image holds into its parent (Merge-VHD, vhd-util "
            + "coalesce). The child is left as it was; interrupted, the parent stays valid.")
        .parameter("CHILD", "The differencing image.",
            v -> child = Path.of(v));
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    VhdImages.Commit c;
    try (ProgressReporter progress = ProgressReporter.start("commit", options)) {
      c = VhdImages.commit(child, options.env(), progress);
    }
    PrintWriter out = io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("child", c.child().toString());
      m.put("parent", c.parent().toString());
      m.put("bytesWritten", c.bytesWritten());
      m.put("blocksRead", c.blocksRead());
      out.println(Json.of(m));
    } else {
      out.println("committed " + c.child() + " into " + c.parent() + ": " + c.bytesWritten()
          + " bytes from " + c.blocksRead() + " blocks");
    }
    return VhdCli.OK;
  }
}
