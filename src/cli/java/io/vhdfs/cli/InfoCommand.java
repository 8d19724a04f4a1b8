package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code vhd info IMAGE}: every footer and header field, sizes, allocation, parent chain, and the
 * space the image takes on its host ({@code actual-size}, qemu-img's "disk size"). The text
 * shows sizes as qemu-img does ({@code 64 MiB (67108864 bytes)}); JSON has them in bytes. Exit 1
 * when the image is a child whose parents cannot be opened (the reason is shown).
 */
final class InfoCommand implements Subcommand {
  /** qemu-img info's JSON name for what its text calls "disk size". */
  private static final String ACTUAL_SIZE = "actual-size";
  /** What {@link #ACTUAL_SIZE} counts: allocated blocks, or the file's length where unknown. */
  private static final String ACTUAL_SIZE_FROM = "actualSizeFrom";
  /** Keys whose values are byte counts, shown in the text as qemu-img shows sizes. */
  private static final Set<String> SIZES = Set.of("virtualSize", "hostSize", ACTUAL_SIZE,
      "currentSize", "originalSize", "blockSize");

  final CommonOptions options = new CommonOptions();
  final ForceShare share = new ForceShare();

  Path image;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("info",
        "Show every footer and header field (of a VHDX: the headers, region table, metadata items, "
            + "log state and BAT counts), the virtual and host sizes, the space the image takes on "
            + "its host (qemu-img's disk size), allocated blocks and the parent chain.")
        .parameter("IMAGE", "The VHD or VHDX image.",
            v -> image = Path.of(v));
    share.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    Map<String, Object> info = withActualSize(image,
        VhdImages.describe(image, share.applyTo(options.env())));
    PrintWriter out = io.out();
    if (options.json) {
      out.println(Json.of(info));
    } else {
      Map<String, Object> text = new LinkedHashMap<>(info);
      for (String key : SIZES) {
        text.computeIfPresent(key, (k, v) -> v instanceof Number bytes
            ? SizeText.of(bytes.longValue()) + " (" + bytes + " bytes)" : v);
      }
      printFields(out, text, "");
    }
    // Shown, but a finding: the image cannot be read until its chain is whole.
    return info.containsKey("parentChainError") ? VhdCli.FINDINGS : VhdCli.OK;
  }

  /**
   * {@code info} with the space the image takes on its host after {@code hostSize}: the blocks
   * allocated to it where Java can tell, else its length, and which of the two it is.
   */
  static Map<String, Object> withActualSize(Path image, Map<String, Object> info)
      throws IOException {
    OptionalLong allocated = VhdImages.hostAllocatedBytes(image);
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : info.entrySet()) {
      m.put(e.getKey(), e.getValue());
      if (e.getKey().equals("hostSize")) {
        m.put(ACTUAL_SIZE, allocated.isPresent() ? allocated.getAsLong() : Files.size(image));
        m.put(ACTUAL_SIZE_FROM, allocated.isPresent() ? "allocated blocks"
            : "file length (allocated blocks are seen on Linux with Java 22 or later)");
      }
    }
    return m;
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
      } else if (v instanceof Map<?, ?> m && !m.isEmpty()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub = (Map<String, Object>) m;
        out.println(key + " :");
        printFields(out, sub, indent + "  ");
      } else {
        out.println(key + " : " + v);
      }
    }
  }
}
