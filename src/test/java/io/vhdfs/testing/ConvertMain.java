package io.vhdfs.testing;

import io.vhdfs.disk.HostDataRanges;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Run in another JVM by tests that need a newer JDK: prints what {@link HostDataRanges} says of
 * a file ("unknown", or "start-end" pairs), then, given a destination, converts the file to a
 * dynamic VHD there and prints how many bytes the conversion read.
 */
public final class ConvertMain {
  private ConvertMain() {}

  public static void main(String[] args) throws Exception {
    Path raw = Path.of(args[0]);
    Optional<List<long[]>> ranges = HostDataRanges.of(raw);
    StringBuilder out = new StringBuilder();
    if (ranges.isEmpty()) {
      out.append("unknown");
    } else {
      for (long[] r : ranges.get()) {
        out.append(out.length() == 0 ? "" : " ").append(r[0]).append('-').append(r[1]);
      }
    }
    System.out.println(out);
    if (args.length > 1) {
      VhdImages.Conversion c = VhdImages.convert(raw, Path.of(args[1]),
          ConvertOptions.DEFAULT.to(ConvertOptions.Format.DYNAMIC), Map.of(),
          VhdImages.Progress.NONE);
      System.out.println("read " + c.bytesRead());
    }
  }
}
