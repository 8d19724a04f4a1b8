package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vhd info IMAGE}: every footer and header field, sizes, allocation, parent chain. Exit 1
 * when the image is a child whose parents cannot be opened (the reason is shown).
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Show every footer and header field, the virtual and host sizes, allocated "
        + "blocks and the parent chain.")
final class InfoCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Mixin ForceShare share;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", description = "The VHD image.")
  Path image;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> info = VhdImages.describe(image, share.applyTo(options.env()));
    PrintWriter out = spec.commandLine().getOut();
    if (options.json) {
      out.println(Json.of(info));
    } else {
      printFields(out, info, "");
    }
    // Shown, but a finding: the image cannot be read until its chain is whole.
    return info.containsKey("parentChainError") ? VhdCli.FINDINGS : VhdCli.OK;
  }

  /** {@code key: value} lines, nested maps and lists indented. */
  static void printFields(PrintWriter out, Map<String, Object> fields, String indent) {
    int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
    for (Map.Entry<String, Object> e : fields.entrySet()) {
      Object v = e.getValue();
      String key = indent + String.format("%-" + width + "s", e.getKey());
      if (v instanceof List<?> list) {
        out.println(key + " : " + (list.isEmpty() ? "(none)" : ""));
        for (Object item : list) {
          if (item instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> sub = (Map<String, Object>) m;
            out.println(indent + "  -");
            printFields(out, sub, indent + "    ");
          } else {
            out.println(indent + "  - " + item);
          }
        }
      } else {
        out.println(key + " : " + v);
      }
    }
  }
}
