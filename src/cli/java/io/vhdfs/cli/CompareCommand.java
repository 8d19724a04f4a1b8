package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code vhd compare A B}: exit 0 if the disks read the same, 1 with the first difference. */
final class CompareCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();
  final ForceShare share = new ForceShare();
  final PartitionOption partition = new PartitionOption();

  Path a;
  Path b;
  boolean strict;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("compare",
        "Compare two disks, each a VHD or VHDX (read with its parents) or a raw image; print the "
            + "first differing offset or \"identical\". As qemu-img compare, disks of different "
            + "sizes are identical when the longer one's extra part is all zeros, unless --strict. "
            + "Exit 0 identical, 1 different.")
        .parameter("A", "First image, VHD, VHDX or raw.",
            v -> a = Path.of(v))
        .parameter("B", "Second image, VHD, VHDX or raw.",
            v -> b = Path.of(v))
        .flag("-s, --strict", "Disks of different sizes differ, whatever the longer one's extra "
            + "part holds.",
            () -> strict = true);
    partition.addTo(syntax);
    share.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    long at;
    try (ProgressReporter progress = ProgressReporter.start("compare", options)) {
      at = VhdImages.compare(a, b, strict, partition.number(), share.applyTo(options.env()),
          progress);
    }
    PrintWriter out = io.out();
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
