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
import java.util.Map;

/**
 * {@code vhd demo [DIR]}: creates a 64 MiB dynamic image, writes to it through {@code vhd:} NIO,
 * and shows its {@code info} and {@code map}, so a newcomer sees the library work.
 */
final class DemoCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path dir;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("demo",
        "Create a demo image (in a new temporary directory unless DIR is given), write to it "
            + "through the vhd: NIO provider, and show its info and map.")
        .optionalParameter("DIR", "Where to put demo.vhd.",
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
    out.println();
    out.println("# vhd info " + image);
    out.flush();
    int code = VhdCli.run(withJson("info", image), out, io.err());
    out.println();
    out.println("# vhd map " + image);
    out.flush();
    return code != VhdCli.OK ? code : VhdCli.run(withJson("map", image), out, io.err());
  }

  private String[] withJson(String command, Path image) {
    return options.json ? new String[] {command, "--json", image.toString()}
        : new String[] {command, image.toString()};
  }
}
