package io.vhdfs.vhd;

/** The disk types a VHD footer can name; the spec reserves every other code. */
public enum DiskType {
  /** Raw data followed by the footer. */
  FIXED(2, "fixed"),
  /** Blocks allocated on demand through a BAT. */
  DYNAMIC(3, "dynamic"),
  /** A dynamic image whose clear sectors come from a parent image. */
  DIFFERENCING(4, "differencing");

  private final int code;
  private final String label;

  DiskType(int code, String label) {
    this.code = code;
    this.label = label;
  }

  /** The code stored at footer offset 60. */
  public int code() {
    return code;
  }

  /** The lower-case name used in env maps, attributes and messages. */
  public String label() {
    return label;
  }

  /** The type with this footer code, or {@code null} for a code the spec does not define. */
  public static DiskType fromCode(int code) {
    for (DiskType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }

  /** The type with this env-map name, or {@code null}. */
  public static DiskType fromLabel(String label) {
    for (DiskType t : values()) {
      if (t.label.equalsIgnoreCase(label)) {
        return t;
      }
    }
    return null;
  }
}
