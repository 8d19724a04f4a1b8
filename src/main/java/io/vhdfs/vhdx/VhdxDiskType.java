package io.vhdfs.vhdx;

/**
 * The three kinds of VHDX file, told apart only by the File Parameters flags. They share one BAT
 * layout; they differ in what a NOT_PRESENT block reads as and whether sector bitmaps exist.
 */
enum VhdxDiskType {
  /** LeaveBlockAllocated: every block allocated at creation and never moved. */
  FIXED,
  /** Blocks allocated as they are written. */
  DYNAMIC,
  /** HasParent: absent blocks and sectors read from the parent. */
  DIFFERENCING
}
