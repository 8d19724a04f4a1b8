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

/** {@code vhd merge CHILD [--into ANCESTOR]}: merges a run of a chain and deletes it. */
@Command(name = "merge", mixinStandardHelpOptions = true,
    description = "Merge a differencing image, and every image between it and the ancestor, "
        + "into the ancestor (Merge-VHD), then delete the merged images once the ancestor is "
        + "durable. Interrupted, the chain still reads the same and the merge can run again.")
final class MergeCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "CHILD", description = "The differencing image to merge from.")
  Path child;

  @Option(names = "--into", paramLabel = "ANCESTOR",
      description = "The image of the child's chain to merge into (default: its parent).")
  Path into;

  @Override
  public Integer call() throws Exception {
    VhdImages.Merge r;
    try (ProgressReporter progress = ProgressReporter.start("merge", options)) {
      r = VhdImages.merge(child, into, options.env(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
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
