package io.vhdfs.partition;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The partitions of an MBR: primaries 1–4, then the logical partitions of each extended
 * partition, numbered from 5 in the order of its EBR chain, as Linux numbers them. The extended
 * partitions themselves are containers and are not listed.
 *
 * <p>An EBR holds its logical partition in slot 0, relative to the EBR's own sector, and the link
 * to the next EBR in slot 1, relative to the start of the extended partition; other slots are
 * ignored, as every partitioner leaves them empty. The walk is bounded: it stops at a loop, at a
 * link outside the extended partition, at a sector without the EBR signature, and after
 * {@value #MAX_EBRS} EBRs in all, saying why.
 */
final class MbrReader {
  /** EBRs read across all extended partitions; Linux lists at most 256 partitions a disk. */
  static final int MAX_EBRS = 256;

  private final Sectors disk;
  private final TableProblems problems;
  private final List<Partition> found = new ArrayList<>();
  private int ebrsRead;
  private int nextLogical = 5;

  private MbrReader(Sectors disk, TableProblems problems) {
    this.disk = disk;
    this.problems = problems;
  }

  /**
   * Whether {@code sector 0} holds an MBR that is not a protective one: the signature, and a
   * boot indicator of 0 or 0x80 in every slot (Linux's test, which tells a boot sector of a file
   * system written on the whole disk from a table).
   */
  static boolean isTable(byte[] sector0) {
    if (!MbrEntry.signed(sector0)) {
      return false;
    }
    for (int slot = 0; slot < 4; slot++) {
      int status = MbrEntry.decode(sector0, slot).status();
      if (status != 0 && status != 0x80) {
        return false;
      }
    }
    return true;
  }

  /** Whether an MBR protects a GPT: one of its slots has type 0xEE (also in a hybrid MBR). */
  static boolean isProtective(byte[] sector0) {
    for (int slot = 0; slot < 4; slot++) {
      MbrEntry e = MbrEntry.decode(sector0, slot);
      if (!e.empty() && e.type() == MbrEntry.PROTECTIVE_GPT) {
        return true;
      }
    }
    return false;
  }

  /** The partitions of the MBR in {@code sector0}, in number order; bad ones left out. */
  static List<Partition> read(Sectors disk, byte[] sector0, TableProblems problems)
      throws IOException {
    MbrReader r = new MbrReader(disk, problems);
    List<MbrEntry> extended = new ArrayList<>();
    for (int slot = 0; slot < 4; slot++) {
      MbrEntry e = MbrEntry.decode(sector0, slot);
      if (e.empty()) {
        continue;
      }
      if (e.extended()) {
        extended.add(e);
      } else {
        r.add(slot + 1, e, e.firstLba(), 0, disk.count(), "the disk");
      }
    }
    for (MbrEntry e : extended) {
      r.walk(e);
    }
    return r.found;
  }

  /**
   * Lists a partition unless it lies outside {@code [low, high)} sectors (the disk, or its
   * extended partition).
   */
  private void add(int number, MbrEntry e, long first, long low, long high, String within) {
    long end = first + e.sectors();
    if (first < low || end > high) {
      problems.add("MBR partition " + number + " (sectors " + first + " to " + (end - 1)
          + ") lies outside " + within + " (sectors " + low + " to " + (high - 1)
          + "); left out");
      return;
    }
    long sectorSize = disk.size();
    found.add(new Partition(number, Partition.Scheme.MBR, first * sectorSize,
        e.sectors() * sectorSize,
        e.typeId(), null, null, e.status() == 0x80, 0));
  }

  /** Follows the EBR chain of one extended partition, listing its logical partitions. */
  private void walk(MbrEntry extended) throws IOException {
    long start = extended.firstLba();
    long end = Math.min(start + extended.sectors(), disk.count());
    if (start >= disk.count()) {
      problems.add("extended partition at sector " + start + " starts past the end of the disk ("
          + disk.count() + " sectors); its logical partitions are left out");
      return;
    }
    Set<Long> seen = new HashSet<>();
    long ebr = start;
    while (true) {
      if (!seen.add(ebr)) {
        problems.add("the EBR chain of the extended partition at sector " + start
            + " loops back to sector " + ebr + "; logical partitions after it are left out");
        return;
      }
      if (++ebrsRead > MAX_EBRS) {
        problems.add("more than " + MAX_EBRS + " EBRs; logical partitions from the one at sector "
            + ebr + " on are left out");
        return;
      }
      byte[] sector = disk.read(ebr);
      if (!MbrEntry.signed(sector)) {
        problems.add("no EBR signature at sector " + ebr + "; logical partitions from there on "
            + "are left out");
        return;
      }
      MbrEntry data = MbrEntry.decode(sector, 0);
      if (!data.empty() && !data.extended()) {
        add(nextLogical++, data, ebr + data.firstLba(), start, end,
            "its extended partition");
      }
      MbrEntry link = MbrEntry.decode(sector, 1);
      if (link.empty() || !link.extended()) {
        return;
      }
      long next = start + link.firstLba();
      if (next >= end) {
        problems.add("the EBR at sector " + ebr + " links to sector " + next + ", outside its "
            + "extended partition (sectors " + start + " to " + (end - 1) + "); logical "
            + "partitions after it are left out");
        return;
      }
      ebr = next;
    }
  }
}
