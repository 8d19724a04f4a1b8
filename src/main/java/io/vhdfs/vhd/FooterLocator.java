package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import java.io.IOException;

/**
 * Finds the footer to trust, in the order the specification and blktap use: the last 512 bytes,
 * then the 511-byte footer of pre-2004 Virtual PC images, then the copy at offset 0 that sparse
 * images keep for exactly this case.
 */
final class FooterLocator {
  private FooterLocator() {}

  /** Whether the file carries a footer cookie at any of the three places (a cheap probe). */
  static boolean hasCookie(HostFile host) throws IOException {
    long length = host.size();
    if (length >= Footer.SIZE
        && (Footer.hasCookie(host.readBytes(length - Footer.SIZE, Footer.SIZE), 0)
            || Footer.hasCookie(host.readBytes(0, Footer.SIZE), 0))) {
      return true;
    }
    return length >= Footer.SHORT_SIZE
        && Footer.hasCookie(host.readBytes(length - Footer.SHORT_SIZE, Footer.SHORT_SIZE), 0);
  }

  public static LocatedFooter locate(HostFile host, long length) throws IOException {
    if (length < Footer.SHORT_SIZE) {
      throw new VhdFormatException(host.name(), -1,
          "not a VHD image: the file has " + length + " bytes, fewer than a footer");
    }
    VhdFormatException endProblem = null;
    if (length >= Footer.SIZE) {
      long at = length - Footer.SIZE;
      byte[] b = host.readBytes(at, Footer.SIZE);
      if (Footer.hasCookie(b, 0)) {
        try {
          return new LocatedFooter(Footer.decode(b, 0, host.name(), at), b, at, true);
        } catch (VhdFormatException e) {
          endProblem = e;
        }
      }
    }
    if (endProblem == null && length % 512 == Footer.SHORT_SIZE) {
      long at = length - Footer.SHORT_SIZE;
      byte[] b = new byte[Footer.SIZE];
      System.arraycopy(host.readBytes(at, Footer.SHORT_SIZE), 0, b, 0, Footer.SHORT_SIZE);
      if (Footer.hasCookie(b, 0)) {
        try {
          return new LocatedFooter(Footer.decode(b, 0, host.name(), at), b, at, true);
        } catch (VhdFormatException e) {
          endProblem = e;
        }
      }
    }
    if (length >= Footer.SIZE) {
      byte[] b = host.readBytes(0, Footer.SIZE);
      if (Footer.hasCookie(b, 0)) {
        try {
          Footer copy = Footer.decode(b, 0, host.name(), 0);
          // A fixed image has no copy at 0: what looks like one is guest data (a VHD stored
          // inside the disk), and trusting it would misread the whole image.
          if (copy.diskType() != DiskType.FIXED) {
            return new LocatedFooter(copy, b, 0, false);
          }
        } catch (VhdFormatException e) {
          if (endProblem == null) {
            endProblem = e;
          }
        }
      }
    }
    if (endProblem != null) {
      throw endProblem;
    }
    throw new VhdFormatException(host.name(), length - Footer.SIZE, "not a VHD image: no "
        + "'conectix' footer in the last 512 bytes, the last 511 bytes or at offset 0");
  }
}
