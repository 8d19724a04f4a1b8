package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vhd map IMAGE}: extents as data, zero or from a parent, like {@code qemu-img map}. */
@Command(name = "map", mixinStandardHelpOptions = true,
    description = "Show where the disk's bytes are: data in the image, data in a parent, or "
        + "zeros, with host file offsets.")
final class MapCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Mixin ForceShare share;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", description = "The VHD image.")
  Path image;

  @Override
  public Integer call() throws Exception {
    List<VhdImages.Extent> extents = VhdImages.extents(image, share.applyTo(options.env()));
    PrintWriter out = spec.commandLine().getOut();
    if (options.json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (VhdImages.Extent e : extents) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("start", e.offset());
        m.put("length", e.length());
        m.put("kind", kind(e));
        m.put("depth", e.depth());
        m.put("file", e.file() == null ? null : e.file().toString());
        m.put("offset", e.data() ? e.hostOffset() : null);
        rows.add(m);
      }
      out.println(Json.of(rows));
      return VhdCli.OK;
    }
    out.printf("%-18s %-18s %-7s %-18s %s%n", "Offset", "Length", "Kind", "Mapped to", "File");
    for (VhdImages.Extent e : extents) {
      out.printf("0x%016x 0x%016x %-7s %-18s %s%n", e.offset(), e.length(), kind(e),
          e.data() ? String.format("0x%016x", e.hostOffset()) : "-",
          e.file() == null ? "" : e.file());
    }
    return VhdCli.OK;
  }

  private static String kind(VhdImages.Extent e) {
    return !e.data() ? "zero" : e.depth() == 0 ? "data" : "parent";
  }
}
