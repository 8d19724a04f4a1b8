package io.vhdfs.vhd;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * One of the eight 24-byte parent locator entries of a dynamic header: where a differencing image
 * stored a path to its parent, and in which form.
 */
public record ParentLocator(int platformCode, long dataSpace, long dataLength, long dataOffset) {
  /** Size of one entry. */
  public static final int SIZE = 24;
  /** Unused entry. */
  public static final int NONE = 0;
  /** Windows path relative to the child, UTF-16LE ({@code W2ru}). */
  public static final int W2RU = 0x57327275;
  /** Windows absolute path, UTF-16LE ({@code W2ku}). */
  public static final int W2KU = 0x57326B75;
  /** Mac OS X file URL, UTF-8 ({@code MacX}). */
  public static final int MACX = 0x4D616358;

  /** An unused entry. */
  public static final ParentLocator EMPTY = new ParentLocator(NONE, 0, 0, 0);

  static ParentLocator decode(byte[] b, int off) {
    return new ParentLocator(
        Bytes.int32(b, off), Bytes.uint32(b, off + 4), Bytes.uint32(b, off + 8),
        Bytes.int64(b, off + 16));
  }

  void encodeInto(byte[] b, int off) {
    Bytes.putInt32(b, off, platformCode);
    Bytes.putInt32(b, off + 4, (int) dataSpace);
    Bytes.putInt32(b, off + 8, (int) dataLength);
    Bytes.putInt64(b, off + 16, dataOffset);
  }

  /** The platform code as its four letters ({@code W2ru}), or in hex when they are not letters. */
  public String platformName() {
    return Bytes.fourCc(platformCode);
  }

  /**
   * The text of this locator's data: UTF-16 little-endian for the Windows kinds (unlike the
   * big-endian parent name field), UTF-8 for {@code MacX}; trailing NULs dropped, since some
   * writers count the terminator in the data length.
   */
  public String text(byte[] data) {
    Charset cs = platformCode == MACX ? StandardCharsets.UTF_8 : StandardCharsets.UTF_16LE;
    String s = new String(data, cs);
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '\0') {
      end--;
    }
    return s.substring(0, end);
  }

  /** The data of a Windows locator ({@code W2ru}, {@code W2ku}) holding {@code path}. */
  public static byte[] windowsPathData(String path) {
    return path.getBytes(StandardCharsets.UTF_16LE);
  }

  /** The data of a {@code MacX} locator naming the absolute path {@code path}: a file URL. */
  public static byte[] fileUrlData(String path) {
    try {
      return new URI("file", null, path, null).toASCIIString().getBytes(StandardCharsets.UTF_8);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not an absolute path: " + path, e);
    }
  }

  /** Whether the entry is in use. */
  public boolean isPresent() {
    return platformCode != NONE;
  }

  /**
   * The bytes reserved for the locator data. The specification counts sectors, but Microsoft's
   * tools and blktap store bytes; like blktap, a value below one sector is read as sectors.
   */
  public long reservedBytes() {
    return dataSpace < 512 ? dataSpace * 512 : dataSpace;
  }
}
