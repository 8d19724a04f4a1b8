package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.nio.charset.StandardCharsets;

/**
 * The file type identifier in the first 64 KiB: the {@code vhdxfile} signature by which a VHDX is
 * recognised, and the creator, a UTF-16 string for diagnostics only (QEMU writes
 * {@code QEMU v7.2.22}, Hyper-V its Windows version).
 *
 * @param creator the creator string up to its first NUL, or empty
 */
record FileIdentifier(String creator) {
  /** Bytes the structure occupies, reserved space included. */
  public static final int SIZE = 64 * 1024;
  /** Bytes of the creator field: 256 UTF-16 code units. */
  public static final int CREATOR_BYTES = 512;
  /** Bytes {@link #decode} needs: signature and creator. */
  public static final int DECODED_BYTES = 8 + CREATOR_BYTES;

  static final byte[] SIGNATURE = "vhdxfile".getBytes(StandardCharsets.US_ASCII);

  /** Checks the creator fits its field. */
  public FileIdentifier {
    if (creator.getBytes(StandardCharsets.UTF_16LE).length > CREATOR_BYTES) {
      throw new IllegalArgumentException("a creator holds at most 256 UTF-16 code units");
    }
  }

  /** Whether {@code first}, the file's first bytes (8 or more), starts with the signature. */
  public static boolean matches(byte[] first) {
    return LittleEndian.matches(first, 0, SIGNATURE);
  }

  /**
   * Decodes the identifier from the file's first {@link #DECODED_BYTES} (or more) bytes.
   *
   * @param file the image, for messages
   */
  public static FileIdentifier decode(byte[] b, String file) throws VhdFormatException {
    if (b.length < DECODED_BYTES || !matches(b)) {
      throw new VhdFormatException(file, 0, "not a VHDX image: no 'vhdxfile' signature");
    }
    int len = 0;
    while (len < CREATOR_BYTES && (b[8 + len] != 0 || b[8 + len + 1] != 0)) {
      len += 2;
    }
    // Diagnostic text only: malformed UTF-16 becomes replacement characters rather than an error.
    return new FileIdentifier(new String(b, 8, len, StandardCharsets.UTF_16LE));
  }

  /** The 64 KiB of the structure, reserved bytes zero. */
  public byte[] encode() {
    byte[] b = new byte[SIZE];
    System.arraycopy(SIGNATURE, 0, b, 0, SIGNATURE.length);
    byte[] text = creator.getBytes(StandardCharsets.UTF_16LE);
    System.arraycopy(text, 0, b, 8, text.length);
    return b;
  }
}
