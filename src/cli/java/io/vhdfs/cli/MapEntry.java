package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One stretch of {@code vhd map}'s output: the fields of {@code qemu-img map --output=json}, plus
 * the file that {@code offset} is in, which only the table shows (as in qemu-img).
 *
 * <p>{@code present} is true for every stretch a VHD chain describes. qemu-img's {@code vpc}
 * driver, which has no backing files, answers its unallocated blocks as zeros it supplies itself
 * ({@code "present": true, "zero": true}); a VHD chain ends in such an image, so the sectors no
 * image of the chain holds are that image's zeros, at its depth. qemu's {@code "present": false}
 * belongs to formats whose lowest image defers past the end of the chain (qcow2), which VHD has
 * not.
 *
 * @param start virtual offset
 * @param length bytes
 * @param depth 0 for the image itself, 1 for its parent, and so on; for zeros, the image that
 *     answers them
 * @param present whether an image of the chain answers for these bytes
 * @param zero whether the bytes read as zeros
 * @param data whether the bytes are stored in an image file
 * @param offset where in {@code file} the bytes start, or -1 where they are not stored
 * @param file the image file holding the bytes, or null where they are not stored
 */
record MapEntry(long start, long length, int depth, boolean present, boolean zero, boolean data,
    long offset, Path file) {
  /** The entry of an extent of the library's map. */
  static MapEntry of(VhdImages.Extent e) {
    return e.data()
        ? new MapEntry(e.offset(), e.length(), e.depth(), true, false, true, e.hostOffset(),
            e.file())
        : new MapEntry(e.offset(), e.length(), e.depth(), true, true, false, -1, null);
  }

  /** Whether the entry says where its bytes are ({@code "offset"} in qemu-img's JSON). */
  boolean hasOffset() {
    return offset >= 0;
  }

  /**
   * {@code next} joined to this entry where qemu-img map would join them: {@code next} starts
   * where this one ends, both agree on every flag, the depth and the file, and where they have an
   * offset, {@code next}'s continues this one's. Otherwise null.
   */
  MapEntry joinedWith(MapEntry next) {
    boolean joins = next.start == start + length
        && next.depth == depth && next.present == present && next.zero == zero
        && next.data == data && next.hasOffset() == hasOffset()
        && Objects.equals(next.file, file)
        && (!hasOffset() || next.offset == offset + length);
    return joins
        ? new MapEntry(start, length + next.length, depth, present, zero, data, offset, file)
        : null;
  }
}
