package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vhd convert SRC DST}: a raw or VHD disk into a new raw, fixed or dynamic image. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = {"Convert a disk, raw or VHD (found by its footer; a differencing image reads "
        + "with its parents), into a new raw file or fixed or dynamic VHD. Only stored ranges "
        + "are read; zeros are not written (no all-zero blocks in a dynamic image, holes in a "
        + "raw or fixed one). The disk keeps its size: exact, rounded up to a sector for a VHD, "
        + "or to a MiB with --azure.",
        "DST is written under a temporary name beside it and renamed when complete, so an "
            + "interrupted convert leaves no half-written DST."})
final class ConvertCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SRC", description = "The disk to convert, raw or VHD.")
  Path src;

  @Parameters(index = "1", paramLabel = "DST", description = "The image to make; must not exist "
      + "unless --force.")
  Path dst;

  @Option(names = "--to", paramLabel = "TYPE",
      description = "raw, fixed or dynamic. Default: dynamic for a raw SRC, raw for a VHD, fixed "
          + "with --azure.")
  String to;

  @Option(names = "--block-size", paramLabel = "BYTES",
      description = "Block size of a dynamic result: bytes or with suffix K, M (default 2M).")
  String blockSize;

  @Option(names = "--azure", description = "A fixed VHD for Azure: size rounded up to a whole "
      + "MiB and kept exact.")
  boolean azure;

  @Option(names = "--force", description = "Replace DST if it exists.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    ConvertOptions convert = new ConvertOptions(format(to),
        blockSize == null ? 0 : blockSize(blockSize), azure, force);
    VhdImages.Conversion c;
    try (ProgressReporter progress = ProgressReporter.start("convert", options)) {
      c = VhdImages.convert(src, dst, convert, options.env(), progress);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("source", c.source().toString());
      m.put("sourceType", c.sourceType());
      m.put("destination", c.destination().toString());
      m.put("type", c.type());
      m.put("size", c.size());
      m.put("bytesRead", c.bytesRead());
      m.put("bytesWritten", c.bytesWritten());
      out.println(Json.of(m));
    } else {
      out.println("converted " + c.source() + " (" + c.sourceType() + ") to " + c.destination()
          + " (" + c.type() + ", " + c.size() + " bytes): read " + c.bytesRead() + " bytes, wrote "
          + c.bytesWritten());
    }
    return VhdCli.OK;
  }

  private static ConvertOptions.Format format(String to) {
    if (to == null) {
      return null;
    }
    return switch (to.toLowerCase(Locale.ROOT)) {
      case "raw" -> ConvertOptions.Format.RAW;
      case "fixed" -> ConvertOptions.Format.FIXED;
      case "dynamic" -> ConvertOptions.Format.DYNAMIC;
      default -> throw new IllegalArgumentException("--to: '" + to
          + "' is not raw, fixed or dynamic");
    };
  }

  /** Bytes, or with a binary suffix K or M. */
  private static int blockSize(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    int shift = t.endsWith("K") ? 10 : t.endsWith("M") ? 20 : 0;
    String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
    try {
      long n = Long.parseLong(digits) << shift;
      if (n > 0 && n <= Integer.MAX_VALUE) {
        return (int) n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("--block-size: '" + s + "' is not a size in bytes "
        + "(suffix K or M allowed)");
  }
}
