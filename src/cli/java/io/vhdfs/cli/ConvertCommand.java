package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code vhd convert SRC DST}: a raw, VHD or VHDX disk into a new raw file, fixed or dynamic VHD,
 * or fixed or dynamic VHDX, or
 * into a FIFO, a device or standard output ({@code -}) as raw or fixed.
 */
final class ConvertCommand implements Subcommand {
  /** The DST that means standard output. */
  private static final String STANDARD_OUTPUT = "-";

  final CommonOptions options = new CommonOptions();
  final ForceShare share = new ForceShare();
  final PartitionOption partition = new PartitionOption();

  Path src;
  Path dst;
  String to;
  String blockSize;
  boolean azure;
  boolean force;
  boolean noSync;

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("convert",
        "Convert a disk, raw, VHD or VHDX (found by its signature; a differencing image reads with "
            + "its parents), into a new raw file, fixed or dynamic VHD, or fixed or dynamic VHDX. "
            + "Only stored ranges are read; zeros are not written (no all-zero blocks in a dynamic "
            + "image; holes in 4 KiB pages in a raw or fixed one and inside a dynamic one's "
            + "blocks, except inside a MiB whose 4 sampled pages all hold data, which the host "
            + "copies whole). The disk keeps its "
            + "size: exact, rounded up to a 512-byte sector for a VHD or VHDX, or to a MiB with "
            + "--azure.",
        "DST is written under a temporary name beside it and renamed when complete, so an "
            + "interrupted convert leaves no half-written DST. A symbolic link is written through: "
            + "the link stays and its target gets the result, staged beside the target.",
        "A FIFO or a character or block device is written where it is, front to back, zeros "
            + "included, with no temporary file and no --force; so is standard output, DST '-'. "
            + "Only a raw or fixed result can be written so. When DST is standard output ('-', "
            + "/dev/stdout), that carries the disk and nothing else (--json prints the summary on "
            + "standard error).")
        .parameter("SRC", "The disk to convert: raw, VHD or VHDX.",
            v -> src = Path.of(v))
        .parameter("DST", "The image to make; must not exist unless --force (a FIFO or device "
            + "needs none). '-' is standard output; ./- is a file.",
            v -> dst = Path.of(v))
        .option("--to", "TYPE", "raw, fixed, dynamic (VHD), vhdx (dynamic) or vhdx-fixed. Default: "
            + "vhdx for a DST named *.vhdx, else dynamic for a raw SRC, raw for a VHD or VHDX, "
            + "fixed with --azure.",
            v -> to = v)
        .option("--block-size", "BYTES", "Block size of a dynamic VHD or a VHDX: bytes or with "
            + "suffix K, M (default 2M for a VHD, 32M for a VHDX, which needs 1M or more).",
            v -> blockSize = v)
        .flag("--azure", "A fixed VHD for Azure: size rounded up to a whole MiB and kept exact.",
            () -> azure = true)
        .flag("--force", "Replace DST if it exists.",
            () -> force = true)
        .flag("--no-sync", "Do not force DST to the disk before it takes its name (as plain "
            + "qemu-img convert does not); faster, but a crash soon after may leave DST with bytes "
            + "the host had not written yet.",
            () -> noSync = true);
    partition.addTo(syntax);
    share.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    ConvertOptions convert = new ConvertOptions(format(to),
        blockSize == null ? 0 : blockSize(blockSize), azure, force, partition.number(), !noSync);
    boolean toStandardOutput = dst.toString().equals(STANDARD_OUTPUT);
    if (toStandardOutput && standardOutputIsATerminal()) {
      throw new IllegalArgumentException("standard output is a terminal, not a place for a "
          + "disk: redirect it into a pipe or a file");
    }
    // DST /dev/stdout and the like are standard output too, though not written as '-' is.
    boolean diskOnStandardOutput = toStandardOutput || isStandardOutput(dst);
    VhdImages.Conversion c;
    try (ProgressReporter progress = ProgressReporter.start("convert", options)) {
      c = toStandardOutput
          ? VhdImages.convert(src, standardOutput(), convert, share.applyTo(options.env()),
              progress)
          : VhdImages.convert(src, dst, convert, share.applyTo(options.env()), progress);
    }
    if (diskOnStandardOutput && !options.json) {
      return VhdCli.OK; // standard output carries the disk, nothing else
    }
    PrintWriter out = diskOnStandardOutput ? io.err()
        : io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("source", c.source().toString());
      m.put("partition", partition.partition);
      m.put("sourceType", c.sourceType());
      m.put("destination", toStandardOutput ? STANDARD_OUTPUT : c.destination().toString());
      m.put("type", c.type());
      m.put("size", c.size());
      m.put("bytesRead", c.bytesRead());
      m.put("bytesWritten", c.bytesWritten());
      out.println(Json.of(m));
    } else {
      out.println("converted " + c.source() + partition.suffix() + " (" + c.sourceType()
          + ") to " + c.destination() + " (" + c.type() + ", " + c.size() + " bytes): read "
          + c.bytesRead() + " bytes, wrote " + c.bytesWritten());
    }
    return VhdCli.OK;
  }

  /**
   * File descriptor 1 as a channel, which writes straight to it; not closed after, as the
   * process's standard output stays open until it exits.
   */
  private static FileChannel standardOutput() {
    System.out.flush();
    return new FileOutputStream(FileDescriptor.out).getChannel();
  }

  /** Whether {@code file} is what file descriptor 1 is, where Linux can say. */
  private static boolean isStandardOutput(Path file) {
    try {
      return Files.isSameFile(file, Path.of("/proc/self/fd/1"));
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  /**
   * Where Linux says what file descriptor 1 is, a terminal device; elsewhere the JDK's answer,
   * which looks at standard input too.
   */
  private static boolean standardOutputIsATerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  private static ConvertOptions.Format format(String to) {
    if (to == null) {
      return null;
    }
    return switch (to.toLowerCase(Locale.ROOT)) {
      case "raw" -> ConvertOptions.Format.RAW;
      case "fixed" -> ConvertOptions.Format.FIXED;
      case "dynamic" -> ConvertOptions.Format.DYNAMIC;
      case "vhdx" -> ConvertOptions.Format.VHDX;
      case "vhdx-fixed" -> ConvertOptions.Format.VHDX_FIXED;
      default -> throw new IllegalArgumentException("--to: '" + to
          + "' is not raw, fixed, dynamic, vhdx or vhdx-fixed");
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
