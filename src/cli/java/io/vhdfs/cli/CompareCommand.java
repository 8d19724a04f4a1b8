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

/** {@code vhd compare A B}: exit 0 if the disks read the same, 1 with the first difference. */
@Command(name = "compare", mixinStandardHelpOptions = true,
    description = "Compare two disks, each a VHD or VHDX (read with its parents) or a raw "
        + "image; print the first differing offset or \"identical\". As qemu-img compare, "
        + "disks of different "
        + "sizes are identical when the longer one's extra part is all zeros, unless --strict. "
        + "Exit 0 identical, 1 different.")
final class CompareCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Mixin ForceShare share;
  @Mixin PartitionOption partition;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "A", description = "First image, VHD, VHDX or raw.")
  Path a;

  @Parameters(index = "1", paramLabel = "B", description = "Second image, VHD, VHDX or raw.")
  Path b;

  @Option(names = {"-s", "--strict"},
      description = "Disks of different sizes differ, whatever the longer one's extra part holds.")
  boolean strict;

  @Override
  public Integer call() throws Exception {
    long at;
    try (ProgressReporter progress = ProgressReporter.start("compare", options)) {
      at = VhdImages.compare(a, b, strict, partition.number(), share.applyTo(options.env()),
          progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("partition", partition.partition);
      m.put("identical", at < 0);
      m.put("firstDifference", at < 0 ? null : at);
      out.println(Json.of(m));
    } else {
      out.println(at < 0 ? "identical" : "differ at offset " + at);
    }
    return at < 0 ? VhdCli.OK : VhdCli.FINDINGS;
  }
}
