package io.vhdfs.vhdx;

/** Where the bytes of a payload block come from, by its {@link PayloadState}. */
enum BlockContent {
  /** Zeros, whatever the file holds. */
  ZEROS,
  /** The parent's bytes at the same virtual offset (zeros past the parent's end). */
  PARENT,
  /** The file, at the entry's offset. */
  FILE,
  /** Per logical sector: the file where the sector bitmap bit is 1, else the parent. */
  BY_SECTOR
}
