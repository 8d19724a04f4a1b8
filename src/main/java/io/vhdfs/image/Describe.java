package io.vhdfs.image;

import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.ImageHandle;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Every field of an image, as its format describes it ({@link
 * io.vhdfs.disk.ImageFormat#describe}), for people and for JSON; a differencing image whose
 * parents cannot be opened is described on its own, with why.
 */
public final class Describe {
  private Describe() {}

  /**
   * The description of {@code image}, opened with its parents; where they cannot be opened, of
   * the image alone, with {@code parentChainError} saying why.
   */
  public static Map<String, Object> image(Path image, SizeRule sizeRule, ChainOptions options)
      throws IOException {
    try (ImageHandle h = Formats.handle(image, sizeRule, options)) {
      return of(image, h.disk());
    } catch (IOException chainFailed) {
      // A child whose parents cannot be opened still has fields worth showing, and the reason.
      try (VirtualDisk alone = Formats.openAlone(image, sizeRule)) {
        if (alone.info().type() != DiskType.DIFFERENCING) {
          throw chainFailed; // not a chain's fault: the image itself does not open
        }
        Map<String, Object> m = of(image, alone);
        m.put("parentChainError", chainFailed.getMessage());
        return m;
      } catch (IOException | RuntimeException alsoFailed) {
        if (alsoFailed != chainFailed) {
          chainFailed.addSuppressed(alsoFailed);
        }
        throw chainFailed;
      }
    }
  }

  private static Map<String, Object> of(Path image, VirtualDisk disk) {
    return disk.info().format().describe(image, disk);
  }
}
