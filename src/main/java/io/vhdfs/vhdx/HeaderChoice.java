package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.util.Optional;

/**
 * Which of the two headers is current, and what became of the other.
 *
 * <p>A header is valid when its signature and CRC-32C are right. The current one is the only valid
 * one, or the valid one with the strictly greater (unsigned) sequence number. Two valid headers
 * with the same number are accepted when their fields are identical (Disk2vhd writes such pairs)
 * and header 1 is taken; with different fields the file is refused, as QEMU does, because neither
 * can be trusted over the other. The fields of the current header are then checked
 * ({@link VhdxHeader#checkUsable}); a bad current header is refused, not passed over, because the
 * other one is older by definition.
 *
 * @param current the header to use
 * @param slot 1 or 2
 * @param other the other header when it is valid
 * @param otherProblem why the other header is not valid, when it is not
 */
record HeaderChoice(
    VhdxHeader current, int slot, Optional<VhdxHeader> other, Optional<String> otherProblem) {

  /**
   * Chooses between the 4 KiB at {@link VhdxHeader#HEADER1_OFFSET} and at
   * {@link VhdxHeader#HEADER2_OFFSET}.
   *
   * @param file the image, for messages
   */
  public static HeaderChoice choose(byte[] header1, byte[] header2, String file)
      throws VhdFormatException {
    String problem1 = VhdxHeader.problem(header1, 0);
    String problem2 = VhdxHeader.problem(header2, 0);
    HeaderChoice choice;
    if (problem1 != null && problem2 != null) {
      throw new VhdFormatException(file, VhdxHeader.HEADER1_OFFSET, "no valid VHDX header: "
          + "header 1: " + problem1 + "; header 2: " + problem2);
    } else if (problem2 != null) {
      choice = new HeaderChoice(decode(header1, 1, file), 1, Optional.empty(),
          Optional.of(problem2));
    } else if (problem1 != null) {
      choice = new HeaderChoice(decode(header2, 2, file), 2, Optional.empty(),
          Optional.of(problem1));
    } else {
      VhdxHeader h1 = decode(header1, 1, file);
      VhdxHeader h2 = decode(header2, 2, file);
      int order = Long.compareUnsigned(h1.sequenceNumber(), h2.sequenceNumber());
      if (order == 0 && !h1.equals(h2)) {
        throw new VhdFormatException(file, VhdxHeader.HEADER2_OFFSET, "headers 1 and 2 have "
            + "the same sequence number " + Long.toUnsignedString(h1.sequenceNumber())
            + " but different fields, so neither is current");
      }
      choice = order >= 0
          ? new HeaderChoice(h1, 1, Optional.of(h2), Optional.empty())
          : new HeaderChoice(h2, 2, Optional.of(h1), Optional.empty());
    }
    choice.current.checkUsable(file, choice.currentOffset());
    return choice;
  }

  /** Chooses between the two headers as {@code source} holds them now. */
  public static HeaderChoice read(ByteSource source) throws java.io.IOException {
    return choose(
        source.readStructure(VhdxHeader.HEADER1_OFFSET, VhdxHeader.SIZE, "header 1"),
        source.readStructure(VhdxHeader.HEADER2_OFFSET, VhdxHeader.SIZE, "header 2"),
        source.name());
  }

  /** The file offset of the current header. */
  public long currentOffset() {
    return offsetOf(slot);
  }

  private static long offsetOf(int slot) {
    return slot == 1 ? VhdxHeader.HEADER1_OFFSET : VhdxHeader.HEADER2_OFFSET;
  }

  private static VhdxHeader decode(byte[] b, int slot, String file) throws VhdFormatException {
    return VhdxHeader.decode(b, 0, file, offsetOf(slot));
  }
}
