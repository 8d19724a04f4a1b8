package io.vhdfs.nio;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.image.Formats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.spi.FileTypeDetector;

/**
 * Names VHD and VHDX images for {@link Files#probeContentType}: a regular file with the VHD footer
 * cookie where the format puts it (the last 512 or 511 bytes, or the copy at offset 0) is
 * {@value #CONTENT_TYPE}, one starting with {@code vhdxfile} is {@value #VHDX_CONTENT_TYPE},
 * whatever its name. Anything else is left to the other detectors.
 */
public final class VhdFileTypeDetector extends FileTypeDetector {
  /** The content type of a VHD image. */
  public static final String CONTENT_TYPE = "application/x-vhd";
  /** The content type of a VHDX image. */
  public static final String VHDX_CONTENT_TYPE = "application/x-vhdx";

  /** Called by the service loader. */
  public VhdFileTypeDetector() {}

  @Override
  public String probeContentType(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      return null;
    }
    try (HostFile host = HostFile.openForReading(path)) {
      ImageFormat format = Formats.probe(host);
      return format == null ? null : "application/x-" + format.name();
    } catch (IOException e) {
      return null; // unreadable, or gone: not ours to name
    }
  }
}
