package io.vhdfs.vhd;

/**
 * The block allocation table: for each block of the virtual disk, the sector of the file where the
 * block's bitmap starts, or {@link #UNALLOCATED}. Entries are unsigned 32-bit sector numbers.
 */
final class Bat {
  /** Entry value of a block that has no storage in this file. */
  public static final int UNALLOCATED = 0xFFFF_FFFF;

  private final int[] entries;

  private Bat(int[] entries) {
    this.entries = entries;
  }

  /** Decodes {@code count} big-endian entries from {@code raw}. */
  public static Bat decode(byte[] raw, int count) {
    if (raw.length < (long) count * 4) {
      throw new IllegalArgumentException("BAT bytes shorter than " + count + " entries");
    }
    int[] e = new int[count];
    for (int i = 0; i < count; i++) {
      e[i] = Bytes.int32(raw, i * 4);
    }
    return new Bat(e);
  }

  /** A table of {@code count} unallocated entries. */
  public static Bat empty(int count) {
    int[] e = new int[count];
    java.util.Arrays.fill(e, UNALLOCATED);
    return new Bat(e);
  }

  /** Number of entries. */
  public int size() {
    return entries.length;
  }

  /** The raw entry of block {@code block}: a sector number, or {@link #UNALLOCATED}. */
  public int entry(int block) {
    return entries[block];
  }

  /** Whether block {@code block} has storage in this file. */
  public boolean isAllocated(int block) {
    return entries[block] != UNALLOCATED;
  }

  /** The byte offset of block {@code block}'s bitmap, or -1 when the block is unallocated. */
  public long bitmapOffset(int block) {
    int e = entries[block];
    return e == UNALLOCATED ? -1 : (e & 0xFFFF_FFFFL) * 512;
  }

  /** Number of allocated entries. */
  public int allocatedCount() {
    int n = 0;
    for (int e : entries) {
      if (e != UNALLOCATED) {
        n++;
      }
    }
    return n;
  }

  /** The table as stored: big-endian entries, padded with 0xFF to a whole sector. */
  public byte[] encode() {
    byte[] b = new byte[(entries.length * 4 + 511) & ~511];
    java.util.Arrays.fill(b, (byte) 0xFF);
    for (int i = 0; i < entries.length; i++) {
      Bytes.putInt32(b, i * 4, entries[i]);
    }
    return b;
  }
}
