package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd merge CHILD [--into ANCESTOR]}: merges a run of a chain and deletes it. */
final class MergeCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path child;
  Path into;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("merge",
        "Merge a differencing image, and every image between it and the ancestor, into the "
            + "ancestor (Merge-VHD), then delete the merged images once the ancestor is durable. "
            + "Interrupted, the chain still reads the same and the merge can run again.")
        .parameter("CHILD", "The differencing image to merge from.",
            v -> child = Path.of(v))
        .option("--into", "ANCESTOR", "The image of the child's chain to merge into (default: its "
            + "parent).",
            v -> into = Path.of(v));
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    VhdImages.Merge r;
    try (ProgressReporter progress = ProgressReporter.start("merge", options)) {
      r = VhdImages.merge(child, into, options.env(), progress);
    }
    PrintWriter out = io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("child", r.child().toString());
      m.put("ancestor", r.ancestor().toString());
      m.put("deleted", r.deleted().stream().map(Path::toString).toList());
      m.put("bytesWritten", r.bytesWritten());
      out.println(Json.of(m));
    } else {
      out.println("merged " + r.child() + " into " + r.ancestor() + ": " + r.bytesWritten()
          + " bytes; deleted " + r.deleted().size() + " image"
          + (r.deleted().size() == 1 ? "" : "s"));
    }
    return VhdCli.OK;
  }
}
