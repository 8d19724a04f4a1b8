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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vhd check IMAGE [--repair]}: one line per structural defect, exit 0 when none remains,
 * 1 when some do.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Check an image's structure: footers, dynamic header, BAT entries, orphan "
        + "space, the parent of a differencing image. Prints one line per finding, "
        + "\"offset N: meaning\". Exit 0 sound (or all repaired), 1 findings remain.",
        "A VHDX: a bad header or region table copy, a log not yet applied, every BAT entry, "
        + "the parent.",
        "With --repair (VHD only for now), fix what is safe to fix without touching data: "
        + "rewrite a lost, damaged "
        + "or differing footer from the sound one, mark BAT entries that point outside the "
        + "file unallocated."})
final class CheckCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Mixin ForceShare share;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", description = "The VHD or VHDX image.")
  Path image;

  @Option(names = "--repair", description = "Fix what is safe to fix; report the rest.")
  boolean repair;

  @Override
  public Integer call() throws Exception {
    if (repair && share.forceShare) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--force-share reads without locks, so it cannot go with --repair, which writes");
    }
    VhdImages.Check check;
    try (ProgressReporter progress = ProgressReporter.start("check", options)) {
      check = VhdImages.check(image, repair, share.applyTo(options.env()), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
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
