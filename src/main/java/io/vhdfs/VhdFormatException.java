package io.vhdfs;

import java.io.IOException;

/**
 * A VHD image is malformed: a structure is missing, fails its checksum, or points outside the
 * file. The message says what is wrong, at which byte offset of the image, and in which file.
 *
 * <p>Every defect a crafted or damaged image can carry surfaces as this exception (an
 * {@link IOException}), never as a runtime exception or an error.
 */
public final class VhdFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final long offset;
  private final String problem;

  /**
   * @param file the image the defect was found in, as the user named it
   * @param offset the byte offset of the defect in that file, or {@code -1} where none applies
   * @param problem what is wrong, phrased for a person
   */
  public VhdFormatException(String file, long offset, String problem) {
    super(file + ": " + problem + (offset >= 0 ? " (at byte offset " + offset + ")" : ""));
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }

  /** What is wrong, without the file and the offset. */
  public String problem() {
    return problem;
  }

  /** The image the defect was found in. */
  public String file() {
    return file;
  }

  /** The byte offset of the defect in the image, or {@code -1} where none applies. */
  public long offset() {
    return offset;
  }
}
