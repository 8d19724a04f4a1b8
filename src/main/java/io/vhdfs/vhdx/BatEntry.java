package io.vhdfs.vhdx;

/**
 * One 64-bit BAT entry: the state in bits 0-2, reserved bits 3-19, and the file offset in MiB in
 * bits 20-63.
 *
 * <p>The record holds the raw value, so nothing a file stores is lost; {@link BatReader} hands out
 * only entries it has checked.
 *
 * @param raw the entry as stored
 */
record BatEntry(long raw) {
  /** The entry of a block or bitmap that is not in the file. */
  public static final BatEntry NOT_PRESENT = new BatEntry(0);
  /** Sector bitmap entry state: a bitmap block is allocated at the entry's offset. */
  public static final int SB_BLOCK_PRESENT = 6;

  private static final long OFFSET_MASK = ~0xFFFFFL;
  private static final long RESERVED_MASK = 0xFFFF8L;

  /** An entry in state {@code state} at {@code fileOffset}, which must be a whole MiB. */
  public static BatEntry of(int state, long fileOffset) {
    if ((state & ~7) != 0 || (fileOffset & ~OFFSET_MASK) != 0 || fileOffset < 0) {
      throw new IllegalArgumentException("state 0-7 and a whole-MiB offset required");
    }
    return new BatEntry(fileOffset | state);
  }

  /** The state code, bits 0-2. */
  public int stateCode() {
    return (int) (raw & 7);
  }

  /** Reserved bits 3-19, which must be zero. */
  public long reservedBits() {
    return raw & RESERVED_MASK;
  }

  /** The file offset in bytes (FileOffsetMB times 1 MiB). */
  public long fileOffset() {
    return raw & OFFSET_MASK;
  }

  /**
   * The state of a payload entry; {@link BatReader} never hands out a payload entry without one.
   *
   * @throws IllegalStateException for the reserved code 4
   */
  public PayloadState payloadState() {
    return PayloadState.of(stateCode()).orElseThrow(() ->
        new IllegalStateException("reserved payload state " + stateCode()));
  }

  /** Whether a sector bitmap entry has its bitmap block allocated. */
  public boolean bitmapPresent() {
    return stateCode() == SB_BLOCK_PRESENT;
  }
}
