package io.vhdfs.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code vhd demo [DIR]}: creates a 64 MiB dynamic image, writes to it through {@code vhd:} NIO,
 * shows its {@code info} and {@code map}, and converts it to VHDX, raw and back to a VHD that
 * compares identical, so a newcomer sees the library work.
 */
final class DemoCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path dir;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("demo",
        "Create a demo image (in a new temporary directory unless DIR is given), write to it "
            + "through the vhd: NIO provider, show its info and map, convert it to VHDX, that to "
            + "raw and that back to a VHD, and compare the last with the first.")
        .optionalParameter("DIR", "Where to put demo.vhd (and demo.vhdx, demo.raw, "
            + "demo-again.vhd).",
            v -> dir = Path.of(v));
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    PrintWriter out = io.out();
    Path where = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("vhd-demo");
    Path image = where.resolve("demo.vhd").toAbsolutePath();
    URI uri = URI.create("vhd:" + image.toUri().getRawPath());
    out.println("# FileSystems.newFileSystem(" + uri + ", {create=true, size=64M})");
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("create", "true", "size", "64M"))) {
      Path disk = fs.getPath("/disk");
      byte[] hello = "hello from vhdfs".getBytes(StandardCharsets.US_ASCII);
      try (SeekableByteChannel ch = Files.newByteChannel(disk, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(hello));
        ch.position(40L << 20);
        ch.write(ByteBuffer.wrap(hello));
      }
      out.println("# wrote \"hello from vhdfs\" at offsets 0 and 40 MiB of " + disk.toUri());
    }
    int code = show(io, "info", image.toString());
    code = code != VhdCli.OK ? code : show(io, "map", image.toString());
    // The same disk through VHDX and raw and back to VHD, which reads as the first. (The build's
    // class-data-sharing archive is made from a run of this command, so what runs here also
    // starts faster in every later run of the tool.)
    String vhdx = where.resolve("demo.vhdx").toString();
    String raw = where.resolve("demo.raw").toString();
    String again = where.resolve("demo-again.vhd").toString();
    code = code != VhdCli.OK ? code : show(io, "convert", image.toString(), vhdx);
    code = code != VhdCli.OK ? code : show(io, "convert", "--to", "raw", vhdx, raw);
    code = code != VhdCli.OK ? code : show(io, "convert", raw, again);
    return code != VhdCli.OK ? code : show(io, "compare", image.toString(), again);
  }

  /** Prints the command line, then runs it (with {@code --json} if the demo has it). */
  private int show(Streams io, String... args) {
    io.out().println();
    io.out().println("# vhd " + String.join(" ", args));
    io.out().flush();
    List<String> command = new ArrayList<>(List.of(args));
    if (options.json) {
      command.add(1, "--json");
    }
    return VhdCli.run(command.toArray(String[]::new), io.out(), io.err());
  }
}
