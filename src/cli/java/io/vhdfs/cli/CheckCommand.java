package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vhd check IMAGE [--repair]}: one line per structural defect, exit 0 when none remains,
 * 1 when some do.
 */
final class CheckCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();
  final ForceShare share = new ForceShare();

  Path image;
  boolean repair;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("check",
        "Check an image's structure: footers, dynamic header, BAT entries, orphan space, the "
            + "parent of a differencing image. Prints one line per finding, \"offset N: meaning\". "
            + "Exit 0 sound (or all repaired), 1 findings remain.",
        "A VHDX: a bad header or region table copy, a log not yet applied, every BAT entry, the "
            + "parent.",
        "With --repair (VHD only for now), fix what is safe to fix without touching data: rewrite "
            + "a lost, damaged or differing footer from the sound one, mark BAT entries that point "
            + "outside the file unallocated.")
        .parameter("IMAGE", "The VHD or VHDX image.",
            v -> image = Path.of(v))
        .flag("--repair", "Fix what is safe to fix; report the rest.",
            () -> repair = true);
    share.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    if (repair && share.forceShare) {
      throw syntax().usage(
          "--force-share reads without locks, so it cannot go with --repair, which writes");
    }
    VhdImages.Check check;
    try (ProgressReporter progress = ProgressReporter.start("check", options)) {
      check = VhdImages.check(image, repair, share.applyTo(options.env()), progress);
    }
    PrintWriter out = io.out();
    List<VhdImages.Finding> findings = check.findings();
    int remaining = check.remaining().size();
    if (options.json) {
      List<Object> list = new ArrayList<>();
      for (VhdImages.Finding f : findings) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("code", f.code());
        m.put("offset", f.offset());
        m.put("meaning", f.meaning());
        m.put("repairable", f.repairable());
        m.put("repaired", f.repaired());
        list.add(m);
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("image", image.toString());
      m.put("findings", list);
      m.put("remaining", remaining);
      out.println(Json.of(m));
    } else {
      for (VhdImages.Finding f : findings) {
        out.println(line(f));
      }
      out.println(findings.isEmpty() ? "no findings"
          : findings.size() + (findings.size() == 1 ? " finding" : " findings") + ", "
              + (findings.size() - remaining) + " repaired, " + remaining + " remaining");
    }
    return remaining == 0 ? VhdCli.OK : VhdCli.FINDINGS;
  }

  /** {@code offset N: meaning}, marked when it was repaired or a repair would fix it. */
  private String line(VhdImages.Finding f) {
    String where = f.offset() >= 0 ? "offset " + f.offset() + ": " : "";
    String mark = f.repaired() ? " [repaired]"
        : f.repairable() && !repair ? " [--repair fixes this]" : "";
    return where + f.meaning() + mark;
  }
}
