package io.vhdfs.vhdx;

import java.util.List;

/**
 * The log entries a replay applies, oldest first: from the entry the head's Tail points at to the
 * head, all valid, with consecutive sequence numbers and the header's LogGuid.
 *
 * @param entries tail entry first, head last; empty for a clean log
 * @param rejected why some positions that started with {@code loge} held no valid entry (at most
 *     {@link LogReplay#MAX_REPORTED_REJECTIONS}), for diagnostics
 */
record ActiveSequence(List<LoggedEntry> entries, List<String> rejected) {
  /** The sequence of a clean log. */
  public static final ActiveSequence EMPTY = new ActiveSequence(List.of(), List.of());

  /** Copies the lists. */
  public ActiveSequence {
    entries = List.copyOf(entries);
    rejected = List.copyOf(rejected);
  }

  /** The newest entry, whose FlushedFileOffset and LastFileOffset rule the replay. */
  public LoggedEntry head() {
    return entries.get(entries.size() - 1);
  }

  /** Whether there is nothing to replay. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }
}
