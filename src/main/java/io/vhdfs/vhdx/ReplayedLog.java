package io.vhdfs.vhdx;

/**
 * The outcome of replaying a log in memory: which entries were applied and what they change.
 *
 * @param sequence the entries applied, oldest first (empty for a clean log)
 * @param overlay what the file reads as afterwards, relative to its bytes on the host
 */
record ReplayedLog(ActiveSequence sequence, LogOverlay overlay) {
  /** The result for a clean log: nothing applied, nothing changed. */
  public static final ReplayedLog CLEAN = new ReplayedLog(ActiveSequence.EMPTY, LogOverlay.NONE);
}
