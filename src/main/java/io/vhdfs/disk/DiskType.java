package io.vhdfs.disk;

/**
 * What kind of disk an image is, in every format: whether its disk lies in place or in blocks, and
 * where the sectors it does not hold come from. A format keeps its own codes for them.
 */
public enum DiskType {
  /** The whole disk in place (VHD: raw data followed by the footer). */
  FIXED("fixed"),
  /** Blocks allocated on demand; sectors the image does not hold read as zeros. */
  DYNAMIC("dynamic"),
  /** A dynamic image whose sectors it does not hold come from a parent image. */
  DIFFERENCING("differencing");

  private final String label;

  DiskType(String label) {
    this.label = label;
  }

  /** The lower-case name used in env maps, attributes and messages. */
  public String label() {
    return label;
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
