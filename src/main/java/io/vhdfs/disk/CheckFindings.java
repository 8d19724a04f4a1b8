package io.vhdfs.disk;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The findings of one check, in the order found, for a checker of any format. Each is tagged with
 * what a repair would rewrite to fix it (a {@link Fix} of the format's own), so the repair can
 * mark exactly those. A crafted block table can hold millions of bad entries: past
 * {@link #LISTED_PER_CODE} of one kind, the rest are only counted, and summed up in one finding
 * at the end, so a check's memory does not grow with the damage.
 */
public final class CheckFindings {
  /**
   * What a repair rewrites to fix a finding: the format's own constants (VHD: the end footer, the
   * footer copy, BAT entries); {@code null} where no repair fixes it.
   */
  public interface Fix {}

  public static final int LISTED_PER_CODE = 100;

  private record Tagged(Finding finding, Fix fix) {}

  private final List<Tagged> listed = new ArrayList<>();
  private final Map<String, Integer> counts = new HashMap<>();
  /** Per code past the limit: how many were left out, and the fix they share. */
  private final Map<String, Tagged> overflow = new LinkedHashMap<>();

  /** Records a defect that no repair fixes. */
  public void add(String code, long offset, String meaning) {
    add(code, offset, meaning, null);
  }

  /** Records a defect that a repair fixes by rewriting {@code fix} ({@code null}: it cannot). */
  public void add(String code, long offset, String meaning, Fix fix) {
    int n = counts.merge(code, 1, Integer::sum);
    if (n <= LISTED_PER_CODE) {
      listed.add(new Tagged(new Finding(code, offset, meaning, fix != null, false), fix));
    } else {
      overflow.put(code, new Tagged(new Finding(Finding.MORE, -1, (n - LISTED_PER_CODE)
          + " more findings of kind " + code + " not listed", fix != null, false), fix));
    }
  }

  /** Whether anything a repair of {@code fix} would fix was found. */
  public boolean wants(Fix fix) {
    return listed.stream().anyMatch(t -> t.fix == fix);
  }

  /** Marks the findings a repair of {@code fix} would fix as not repairable after all. */
  public void unfixable(Fix fix) {
    listed.replaceAll(t -> t.fix == fix ? new Tagged(t.finding.asUnrepairable(), null) : t);
    overflow.replaceAll((code, t) -> t.fix == fix
        ? new Tagged(t.finding.asUnrepairable(), null) : t);
  }

  /** Marks every finding that rewriting {@code fix} fixed. */
  public void repaired(Fix fix) {
    listed.replaceAll(t -> t.fix == fix ? new Tagged(t.finding.asRepaired(), fix) : t);
    overflow.replaceAll((code, t) -> t.fix == fix ? new Tagged(t.finding.asRepaired(), fix) : t);
  }

  /** How many findings are listed so far. */
  public int count() {
    return listed.size();
  }

  /** Every finding, the summaries of unlisted ones last. */
  public List<Finding> all() {
    List<Finding> all = new ArrayList<>();
    listed.forEach(t -> all.add(t.finding));
    overflow.values().forEach(t -> all.add(t.finding));
    return List.copyOf(all);
  }
}
