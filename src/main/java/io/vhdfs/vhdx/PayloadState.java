package io.vhdfs.vhdx;

import java.util.Optional;

/**
 * The state of a payload block's BAT entry, and what a read of the block returns (spec 2.5.1.1,
 * as {@code docs/vhdx-format.md} section 3.3 settles its choices).
 */
enum PayloadState {
  /** 0: not in this file: zeros in fixed and dynamic files, the parent's data in a child. */
  NOT_PRESENT(0),
  /** 1: contents undefined; read as zeros, also in a child (not from the parent). */
  UNDEFINED(1),
  /** 2: defined to be zeros. */
  ZERO(2),
  /** 3: unmapped (trimmed); read as zeros. Also the reading of state 5, the 0.95 draft's code. */
  UNMAPPED(3),
  /** 6: all of the block is in the file at the entry's offset; no bitmap is consulted. */
  FULLY_PRESENT(6),
  /** 7: differencing only; each sector from this file or the parent as its bitmap bit says. */
  PARTIALLY_PRESENT(7);

  /** The state's code in the entry's low three bits. */
  public final int code;

  PayloadState(int code) {
    this.code = code;
  }

  /**
   * The state of code {@code code}; empty for 4, which is reserved. Code 5, the 0.95 draft's
   * UNMAPPED, reads as {@link #UNMAPPED} like QEMU does, for files of that era.
   */
  public static Optional<PayloadState> of(int code) {
    return switch (code) {
      case 0 -> Optional.of(NOT_PRESENT);
      case 1 -> Optional.of(UNDEFINED);
      case 2 -> Optional.of(ZERO);
      case 3, 5 -> Optional.of(UNMAPPED);
      case 6 -> Optional.of(FULLY_PRESENT);
      case 7 -> Optional.of(PARTIALLY_PRESENT);
      default -> Optional.empty();
    };
  }

  /** What a read of a block in this state returns. */
  public BlockContent content(boolean differencing) {
    return switch (this) {
      case NOT_PRESENT -> differencing ? BlockContent.PARENT : BlockContent.ZEROS;
      case UNDEFINED, ZERO, UNMAPPED -> BlockContent.ZEROS;
      case FULLY_PRESENT -> BlockContent.FILE;
      case PARTIALLY_PRESENT -> BlockContent.BY_SECTOR;
    };
  }

  /** Whether an entry in this state points at a block in the file that reads use. */
  public boolean hasData() {
    return this == FULLY_PRESENT || this == PARTIALLY_PRESENT;
  }
}
