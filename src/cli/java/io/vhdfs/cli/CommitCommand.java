package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vhd commit CHILD}: merges a differencing image into its parent. */
@Command(name = "commit", mixinStandardHelpOptions = true,
    description = "Write every sector a differencing image holds into its parent (Merge-VHD, "
        + "vhd-util coalesce). The child is left as it was; interrupted, the parent stays valid.")
final class CommitCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "CHILD", description = "The differencing image.")
  Path child;

  @Override
  public Integer call() throws Exception {
    VhdImages.Commit c;
    try (ProgressReporter progress = ProgressReporter.start("commit", options)) {
      c = VhdImages.commit(child, options.env(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
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
