package io.vhdfs.cli;

import io.vhdfs.nio.VhdFileTypeDetector;
import io.vhdfs.nio.VhdImages;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code vhd restore SRC IMAGE}: puts a backup, raw or the disk of another VHD, back onto an
 * image's disk or one of its partitions ({@link VhdImages#restore}).
 */
final class RestoreCommand implements Subcommand {
  final CommonOptions options = new CommonOptions();

  Path src;
  Path image;

  final PartitionOption partition = new PartitionOption();

  @Override
  public CommandSyntax syntax() {
    CommandSyntax syntax = CommandSyntax.of("restore",
        "Write SRC onto the disk of IMAGE from its start, then zeros to its end: a backup put "
            + "back. SRC is a VHD, found by its footer and read as its disk (a differencing image "
            + "with its parents), or any other file or device, read as raw bytes. An SRC larger "
            + "than the disk (or partition) is refused before anything is written.",
        "Zeros of SRC are not stored where IMAGE reads as zeros already: a dynamic image allocates "
            + "no block for them, a differencing image writes zeros only over its parents' data. "
            + "Blocks at the end of IMAGE's file that end up holding only zeros are given back and "
            + "the file shrinks; elsewhere they keep their place ('vhd convert' drops them).")
        .parameter("SRC", "The backup: a raw disk, or a VHD (its disk is restored).",
            v -> src = Path.of(v))
        .parameter("IMAGE", "The VHD image to restore onto.",
            v -> image = Path.of(v));
    partition.addTo(syntax);
    options.addTo(syntax);
    return syntax;
  }

  @Override
  public int call(Streams io) throws Exception {
    int number = partition.number();
    Map<String, Object> env = options.env();
    boolean vhdSource = isVhd(src);
    VhdImages.Restore r;
    String sourceType;
    try (FileSystem target = FileSystems.newFileSystem(image, env);
        FileSystem from = vhdSource ? FileSystems.newFileSystem(src, readOnly(env)) : null) {
      Path entry = target.getPath(number == 0 ? "/disk" : "/p" + number);
      Path source = from == null ? src : from.getPath("/disk");
      sourceType = from == null ? "raw" : (String) Files.getAttribute(source, "vhd:diskType");
      try (ProgressReporter progress = ProgressReporter.start("restore", options)) {
        r = VhdImages.restore(source, entry, progress);
      }
    }
    String onto = image + partition.suffix();
    PrintWriter out = io.out();
    if (options.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("source", src.toString());
      m.put("sourceType", sourceType);
      m.put("image", image.toString());
      m.put("partition", partition.partition);
      m.put("sourceSize", r.sourceSize());
      m.put("targetSize", r.targetSize());
      m.put("bytesWritten", r.bytesWritten());
      out.println(Json.of(m));
    } else {
      out.println("restored " + src + " (" + sourceType + ", " + r.sourceSize() + " bytes) onto "
          + onto + " (" + r.targetSize() + " bytes): wrote " + r.bytesWritten() + " bytes of "
          + "data" + (r.sourceSize() < r.targetSize() ? ", zeros to the end" : ""));
    }
    return VhdCli.OK;
  }

  /** Whether {@code file} is a VHD image, by its footer as {@code vhd convert} tells. */
  private static boolean isVhd(Path file) throws IOException {
    return VhdFileTypeDetector.CONTENT_TYPE.equals(new VhdFileTypeDetector()
        .probeContentType(file));
  }

  private static Map<String, Object> readOnly(Map<String, Object> env) {
    Map<String, Object> m = new LinkedHashMap<>(env);
    m.put("accessMode", "readOnly");
    return m;
  }
}
