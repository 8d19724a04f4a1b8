package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vhd map IMAGE}: extents as data, zero or from a parent; {@code --output=json} (or
 * {@code --json}) prints them as {@code qemu-img map --output=json} does.
 */
@Command(name = "map", mixinStandardHelpOptions = true,
    description = "Show where the disk's bytes are: data in the image, data in a parent, or "
        + "zeros, with host file offsets.")
final class MapCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Mixin ForceShare share;
  @Mixin PartitionOption partition;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IMAGE", description = "The VHD or VHDX image.")
  Path image;

  @Option(names = "--output", paramLabel = "FORMAT",
      description = "human (default): a table of offset, length, kind, host offset and file; "
          + "json: qemu-img map --output=json's fields and layout (--json is the same).")
  String output;

  @Override
  public Integer call() throws Exception {
    MapPrinter printer = new MapPrinter(format(), spec.commandLine().getOut());
    // Extents come a block at a time and leave at once: any number of them prints in a few
    // kilobytes of memory.
    try (Stream<VhdImages.Extent> extents =
        VhdImages.streamExtents(image, partition.number(), share.applyTo(options.env()))) {
      Iterator<VhdImages.Extent> it = extents.iterator();
      while (it.hasNext()) {
        printer.add(MapEntry.of(it.next()));
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    printer.finish();
    return VhdCli.OK;
  }

  private MapPrinter.Format format() {
    if (output == null) {
      return options.json ? MapPrinter.Format.JSON : MapPrinter.Format.HUMAN;
    }
    MapPrinter.Format f = switch (output) {
      case "json" -> MapPrinter.Format.JSON;
      case "human" -> MapPrinter.Format.HUMAN;
      default -> throw new ParameterException(spec.commandLine(),
          "--output must be human or json, not '" + output + "'");
    };
    if (options.json && f != MapPrinter.Format.JSON) {
      throw new ParameterException(spec.commandLine(),
          "--json and --output=" + output + " ask for different formats");
    }
    return f;
  }
}
