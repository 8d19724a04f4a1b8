package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.HostFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What one place of an image holds where a footer belongs, read leniently: unlike
 * {@link Footer#decode}, which stops at the first defect, it notes every defect and still decodes
 * the fields when they make sense, so a checker can both report a damaged footer and, lacking a
 * better one, carry on with it.
 */
final class FooterProbe {
  private static final int CHECKSUM_AT = 64;
  /** Footer fields by offset, for naming where two footers differ. */
  private static final int[] FIELD_AT = {0, 8, 12, 16, 24, 28, 32, 36, 40, 48, 56, 60, 64, 68, 84,
      85, 512};
  private static final String[] FIELD_NAME = {"cookie", "features", "format version",
      "data offset", "time stamp", "creator application", "creator version", "creator host OS",
      "original size", "current size", "geometry", "disk type", "checksum", "unique id",
      "saved state", "reserved bytes"};

  private final long offset;
  private final int length;
  private final byte[] raw;
  private final boolean cookie;
  private final String checksumProblem;
  private final String fieldProblem;
  private final Footer footer;

  private FooterProbe(long offset, int length, byte[] raw, boolean cookie,
      String checksumProblem, String fieldProblem, Footer footer) {
    this.offset = offset;
    this.length = length;
    this.raw = raw;
    this.cookie = cookie;
    this.checksumProblem = checksumProblem;
    this.fieldProblem = fieldProblem;
    this.footer = footer;
  }

  /**
   * Reads the {@code length} bytes (512, or 511 for the footer of pre-2004 Virtual PC) at
   * {@code offset}.
   */
  static FooterProbe read(HostFile host, long offset, int length) throws IOException {
    byte[] raw = new byte[Footer.SIZE];
    System.arraycopy(host.readBytes(offset, length), 0, raw, 0, length);
    if (!Footer.hasCookie(raw, 0)) {
      return new FooterProbe(offset, length, raw, false, null, null, null);
    }
    ByteBuffer b = ByteBuffer.wrap(raw);
    int stored = b.getInt(CHECKSUM_AT);
    int computed = Checksum.compute(raw, 0, Footer.SIZE, CHECKSUM_AT);
    String checksumProblem = stored == computed ? null : String.format(
        "checksum mismatch: stored 0x%08X, computed 0x%08X", stored, computed);
    List<String> fields = new ArrayList<>();
    int version = b.getInt(12);
    if ((version >>> 16) != 1) {
      fields.add(String.format("unsupported format version 0x%08X", version));
    }
    int typeCode = b.getInt(60);
    DiskType type = Footer.diskTypeOf(typeCode);
    if (type == null) {
      fields.add("unknown disk type " + typeCode
          + " (expected 2 fixed, 3 dynamic or 4 differencing)");
    }
    if (b.getLong(48) < 0) {
      fields.add("negative current size " + b.getLong(48));
    }
    long dataOffset = b.getLong(16);
    if (type == DiskType.FIXED && dataOffset != Footer.NO_DATA_OFFSET) {
      // libvhdi refuses it; a type 2 footer with a data offset is likely a mislabelled image.
      fields.add("a fixed image's data offset must be 0xFFFFFFFFFFFFFFFF, not " + dataOffset);
    }
    Footer footer = null;
    if (type != null && (version >>> 16) == 1 && b.getLong(48) >= 0) {
      byte[] mended = raw.clone();
      ByteBuffer.wrap(mended).putInt(CHECKSUM_AT, computed);
      try {
        footer = Footer.decode(mended, 0, host.name(), offset);
      } catch (VhdFormatException e) {
        fields.add(e.getMessage());
      }
    }
    return new FooterProbe(offset, length, raw, true, checksumProblem,
        fields.isEmpty() ? null : String.join("; ", fields), footer);
  }

  /** Where the bytes were read. */
  long offset() {
    return offset;
  }

  /** 512, or 511 for a short footer. */
  int length() {
    return length;
  }

  /** The 512 bytes as stored (a short footer with a zero byte appended). */
  byte[] raw() {
    return raw.clone();
  }

  /** Whether the bytes start with the {@code conectix} cookie. */
  boolean hasCookie() {
    return cookie;
  }

  /** Whether this is a footer every reader accepts: cookie, checksum, fields. */
  boolean isSound() {
    return cookie && checksumProblem == null && fieldProblem == null;
  }

  /** The decoded fields, ignoring the checksum; null if they make no sense. */
  Footer footer() {
    return footer;
  }

  /** Why the checksum fails, or null. */
  String checksumProblem() {
    return checksumProblem;
  }

  /** Which fields no reader accepts, or null. */
  String fieldProblem() {
    return fieldProblem;
  }

  /** Whether it holds the same 512 bytes as {@code other}. */
  boolean sameBytes(FooterProbe other) {
    return Arrays.equals(raw, other.raw);
  }

  /** The fields in which this footer's bytes differ from {@code other}'s, checksum aside. */
  String differingFields(FooterProbe other) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < FIELD_NAME.length; i++) {
      if (FIELD_AT[i] != CHECKSUM_AT && !Arrays.equals(raw, FIELD_AT[i],
          FIELD_AT[i + 1], other.raw, FIELD_AT[i], FIELD_AT[i + 1])) {
        names.add(FIELD_NAME[i]);
      }
    }
    return names.isEmpty() ? "checksum" : String.join(", ", names);
  }
}
