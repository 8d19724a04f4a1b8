package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ActiveSequenceSearchTest {
  private static final int K4 = 4096;
  private static final UUID LOG = UUID.randomUUID();

  /** A fake ring: valid entries by position, counting how often each position is read. */
  private static final class Ring {
    final long length;
    final Map<Long, LoggedEntry> entries = new HashMap<>();
    final Map<Long, Integer> reads = new HashMap<>();

    Ring(long length) {
      this.length = length;
    }

    Ring entry(long position, long seq, long sectors, long tail) {
      entries.put(position, new LoggedEntry(position, new LogEntryHeader(0, sectors * K4, tail,
          seq, 0, LOG, 0, 0), 0, 0));
      return this;
    }

    LoggedEntry at(long position) {
      reads.merge(position, 1, Integer::sum);
      return entries.get(position);
    }

    List<Long> search() throws IOException {
      return seqs(new ActiveSequenceSearch(this::at, length).run());
    }
  }

  private static List<Long> seqs(List<LoggedEntry> entries) {
    return entries.stream().map(LoggedEntry::sequenceNumber).toList();
  }

  @Test
  void anEmptyRingHasNoActiveSequence() throws Exception {
    assertEquals(List.of(), new Ring(1 << 20).search());
  }

  @Test
  void aSingleEntryWhoseTailIsItselfIsActive() throws Exception {
    assertEquals(List.of(1L), new Ring(1 << 20).entry(0, 1, 2, 0).search());
    assertEquals(List.of(9L), new Ring(1 << 20).entry(40 * K4, 9, 2, 40 * K4).search());
  }

  @Test
  void consecutiveEntriesFormOneSequenceUpToTheHead() throws Exception {
    Ring r = new Ring(1 << 20).entry(0, 5, 2, 0).entry(2 * K4, 6, 1, 0).entry(3 * K4, 7, 3, 0);
    assertEquals(List.of(5L, 6L, 7L), r.search());
  }

  @Test
  void entriesBeforeTheHeadsTailAreFoundButNotPartOfTheReplay() throws Exception {
    Ring r = new Ring(1 << 20).entry(0, 5, 2, 0).entry(2 * K4, 6, 1, 2 * K4);
    List<LoggedEntry> found = new ActiveSequenceSearch(r::at, r.length).run();
    assertEquals(List.of(5L, 6L), seqs(found));
    assertEquals(1, ActiveSequenceSearch.tailIndex(found));
  }

  @Test
  void aSequenceWhoseHeadsTailLiesOutsideItIsIncomplete() throws Exception {
    Ring r = new Ring(1 << 20).entry(10 * K4, 5, 2, 0);
    assertEquals(List.of(), r.search());
    // The complete older one wins over the newer incomplete one.
    r.entry(0, 3, 1, 0);
    assertEquals(List.of(3L), r.search());
  }

  @Test
  void theValidSequenceWithTheHighestHeadWinsWhereverItLies() throws Exception {
    Ring r = new Ring(1 << 20).entry(0, 20, 1, 0).entry(K4, 21, 1, 0)
        .entry(100 * K4, 30, 1, 100 * K4).entry(50 * K4, 25, 2, 50 * K4);
    assertEquals(List.of(30L), r.search());
  }

  @Test
  void aGapInSequenceNumbersEndsASequence() throws Exception {
    Ring r = new Ring(1 << 20).entry(0, 5, 1, 0).entry(K4, 7, 1, 0);
    assertEquals(List.of(5L), r.search()); // 7's tail (0) is not in its own sequence
    Ring s = new Ring(1 << 20).entry(0, 5, 1, 0).entry(K4, 7, 1, K4);
    assertEquals(List.of(7L), s.search());
  }

  @Test
  void anEntryWrappingTheRingEndIsFound() throws Exception {
    Ring r = new Ring(16 * K4).entry(15 * K4, 4, 3, 15 * K4); // sectors 15, 0, 1
    assertEquals(List.of(4L), r.search());
  }

  @Test
  void aSequenceWrappingTheRingEndIsRankedByItsHeadNotCut() throws Exception {
    // QEMU 7.2 ranks by the first entry and replays only what follows the wrap; the spec does not.
    Ring r = new Ring(16 * K4).entry(12 * K4, 10, 2, 12 * K4).entry(14 * K4, 11, 2, 12 * K4)
        .entry(0, 12, 2, 12 * K4);
    assertEquals(List.of(10L, 11L, 12L), r.search());
  }

  @Test
  void aSequenceFillingTheWholeRingEndsTheScan() throws Exception {
    assertEquals(List.of(1L), new Ring(4 * K4).entry(0, 1, 4, 0).search());
    assertEquals(List.of(1L, 2L), new Ring(4 * K4).entry(0, 1, 2, 0).entry(2 * K4, 2, 2, 0)
        .search());
  }

  @Test
  void everyPositionIsReadAtMostOnce() throws Exception {
    Ring r = new Ring(256 * K4);
    // A long chain whose head's tail is outside: every suffix is tried, none re-read.
    for (int i = 0; i < 200; i++) {
      r.entry(i * K4, 100 + i, 1, 255 * K4);
    }
    assertEquals(List.of(), r.search());
    assertTrue(r.reads.values().stream().allMatch(n -> n == 1), r.reads.toString());
  }

  @Test
  void agreesWithALiteralReadingOfTheSpecOnRandomRings() throws Exception {
    Random random = new Random(12);
    for (int round = 0; round < 3000; round++) {
      int sectors = 4 + random.nextInt(40);
      Ring r = randomRing(random, sectors);
      assertEquals(literal(r), r.search(), "round " + round + ": " + r.entries.values());
    }
  }

  /** Non-overlapping entries and junk; sequence numbers and tails partly consistent. */
  private static Ring randomRing(Random random, int sectors) {
    Ring r = new Ring((long) sectors * K4);
    int start = random.nextInt(sectors);
    int used = 0;
    long seq = 1 + random.nextInt(5);
    List<Long> positions = new ArrayList<>();
    while (used < sectors) {
      int len = 1 + random.nextInt(3);
      if (used + len > sectors) {
        break;
      }
      long pos = (long) ((start + used) % sectors) * K4;
      if (random.nextInt(5) > 0) {
        positions.add(pos);
        long tail = random.nextInt(3) == 0
            ? (long) random.nextInt(sectors) * K4
            : positions.get(Math.max(0, positions.size() - 1 - random.nextInt(3)));
        r.entry(pos, seq, len, tail);
        seq += random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
      } else {
        positions.clear();
      }
      used += len;
    }
    return r;
  }

  /** The spec's steps as written, without any shortcut. */
  private static List<Long> literal(Ring r) {
    List<LoggedEntry> candidate = List.of();
    long tail = 0;
    long oldTail = 0;
    while (true) {
      List<LoggedEntry> current = new ArrayList<>();
      long at = tail;
      while (true) {
        LoggedEntry e = r.entries.get(at);
        if (e == null || (!current.isEmpty()
            && e.sequenceNumber() != current.get(current.size() - 1).sequenceNumber() + 1)) {
          break;
        }
        current.add(e);
        at = (at + e.header().entryLength()) % r.length;
      }
      boolean valid = false;
      if (!current.isEmpty()) {
        long t = current.get(current.size() - 1).header().tail();
        valid = current.stream().anyMatch(e -> e.position() == t);
      }
      if (valid && (candidate.isEmpty() || current.get(current.size() - 1).sequenceNumber()
          > candidate.get(candidate.size() - 1).sequenceNumber())) {
        candidate = current;
      }
      tail = !valid ? (tail + K4) % r.length : at % r.length;
      if (tail <= oldTail) {
        return seqs(candidate);
      }
      oldTail = tail;
    }
  }
}
