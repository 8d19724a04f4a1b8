package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * {@code vhd map IMAGE}: extents as data, zero or from a parent; {@code --output=json} (or
 * {@code --json}) prints them as {@code qemu-img map --output=json} does.
 */
final class MapCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();
  final ForceShare share = new ForceShare();
  final PartitionOption partition = new PartitionOption();

  Path image;
  String output;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("map",
        "Show where the disk's bytes are: data in the image, data in a parent, or zeros, with host "
            + "file offsets.")
        .parameter("IMAGE", "The VHD or VHDX image.",
            v -> image = Path.of(v))
        .option("--output", "FORMAT", "human (default): a table of offset, length, kind, host "
            + "offset and file; json: qemu-img map --output=json's fields and layout (--json is "
            + "the same).",
            v -> output = v);
    partition.addTo(syntax);
    share.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    MapPrinter printer = new MapPrinter(format(), io.out());
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

  private MapPrinter.Format format() throws UsageException {
    if (output == null) {
      return options.json ? MapPrinter.Format.JSON : MapPrinter.Format.HUMAN;
    }
    MapPrinter.Format f = switch (output) {
      case "json" -> MapPrinter.Format.JSON;
      case "human" -> MapPrinter.Format.HUMAN;
      default -> throw syntax().usage(
          "--output must be human or json, not '" + output + "'");
    };
    if (options.json && f != MapPrinter.Format.JSON) {
      throw syntax().usage(
          "--json and --output=" + output + " ask for different formats");
    }
    return f;
  }
}
