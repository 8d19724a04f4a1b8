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
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code vhd demo [DIR]}: creates a 64 MiB dynamic image, writes to it through {@code vhd:} NIO,
 * and shows its {@code info} and {@code map}, so a newcomer sees the library work.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Create a demo image (in a new temporary directory unless DIR is given), write "
        + "to it through the vhd: NIO provider, and show its info and map.")
final class DemoCommand implements Callable<Integer> {
  @Mixin CommonOptions options;
  @Spec CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "DIR", description = "Where to put demo.vhd.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
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
    CommandLine root = spec.commandLine().getParent();
    out.println();
    out.println("# vhd info " + image);
    out.flush();
    int code = root.execute(withJson("info", image));
    out.println();
    out.println("# vhd map " + image);
    out.flush();
    return code != VhdCli.OK ? code : root.execute(withJson("map", image));
  }

  private String[] withJson(String command, Path image) {
    return options.json ? new String[] {command, "--json", image.toString()}
        : new String[] {command, image.toString()};
  }
}
