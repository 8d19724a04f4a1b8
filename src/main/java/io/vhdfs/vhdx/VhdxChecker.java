package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.ParentLookup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Checks a VHDX's structure without changing it: what the reader passes over when it opens the
 * file (a bad header or region table copy, a log still to be replayed) and what it checks only
 * as blocks are read (every BAT entry), then a differencing image's parent. A file the reader
 * refuses is one finding, where the reader stopped. Repairs wait for the format's writer.
 */
final class VhdxChecker {
  /** A header copy is not valid (signature or CRC-32C): the file relies on the other. */
  static final String HEADER = "header";
  /** A region table copy is not valid or differs from the one used. */
  static final String REGION_TABLE = "region-table";
  /** The log holds entries not yet applied to the file; reads replay them in memory. */
  static final String LOG_DIRTY = "log-dirty";
  /** A BAT entry breaks the format's rules. */
  static final String BAT_ENTRY = "bat-entry";
  /** The file cannot be read as a VHDX at all. */
  static final String UNREADABLE = "unreadable";

  private VhdxChecker() {}

  /** Every finding, in file order of the structures; empty for a sound image. */
  static List<Finding> check(Path image, ParentChain chain) throws IOException {
    Path real = image.toRealPath();
    List<Finding> findings = new ArrayList<>();
    // A reader's locks while checking, as qemu-img check takes them.
    ImageLock lock = ImageLock.acquire(real, chain.options().locking());
    try (HostFile host = HostFile.openForReading(image)) {
      String name = host.name();
      ByteSource raw = new HostSource(host);
      // What opening does first, by hand, so that what is wrong here is reported even where
      // a later structure (the BAT) refuses the open.
      HeaderChoice headers;
      ReplayedLog log;
      RegionTableChoice regions;
      try {
        headers = HeaderChoice.choose(
            raw.readStructure(VhdxHeader.HEADER1_OFFSET, VhdxHeader.SIZE, "header 1"),
            raw.readStructure(VhdxHeader.HEADER2_OFFSET, VhdxHeader.SIZE, "header 2"), name);
        log = LogReplay.replay(raw, headers.current());
        ByteSource source = log.overlay().over(raw);
        regions = RegionTableChoice.choose(
            source.readStructure(RegionTable.COPY1_OFFSET, RegionTable.SIZE, "region table 1"),
            source.readStructure(RegionTable.COPY2_OFFSET, RegionTable.SIZE, "region table 2"),
            name);
      } catch (VhdFormatException e) {
        findings.add(finding(UNREADABLE, e.offset(), problemOf(e)));
        return findings;
      }
      headers.otherProblem().ifPresent(p -> findings.add(finding(HEADER,
          headers.slot() == 1 ? VhdxHeader.HEADER2_OFFSET : VhdxHeader.HEADER1_OFFSET,
          "header " + (3 - headers.slot()) + " is not valid (" + p + "); header "
              + headers.slot() + " is used")));
      regions.otherProblem().ifPresent(p -> findings.add(finding(REGION_TABLE,
          regions.copy() == 1 ? RegionTable.COPY2_OFFSET : RegionTable.COPY1_OFFSET,
          p + "; region table copy " + regions.copy() + " is used")));
      VhdxHeader h = headers.current();
      ActiveSequence sequence = log.sequence();
      if (!h.logGuid().equals(new UUID(0, 0))) {
        findings.add(finding(LOG_DIRTY, h.logOffset(), sequence.isEmpty()
            ? "the header's LogGuid " + h.logGuid() + " is set but the log holds no valid "
                + "entry of it: nothing to replay"
            : "the log holds " + sequence.entries().size() + " entries not yet applied "
                + "(sequence " + Long.toUnsignedString(sequence.entries().get(0).sequenceNumber())
                + "-" + Long.toUnsignedString(sequence.head().sequenceNumber())
                + "); reads replay them in memory, writing them back waits for VHDX writing"));
      }
      RegionEntry bat = regions.table().bat();
      VhdxLayer layer;
      try {
        layer = VhdxLayer.open(host, chain::checkTable);
        layer.checkTable();
      } catch (VhdFormatException e) {
        boolean inBat = e.offset() >= bat.fileOffset() && e.offset() < bat.end();
        findings.add(finding(inBat ? BAT_ENTRY : UNREADABLE, e.offset(), problemOf(e)));
        return findings;
      }
      ParentLink link = layer.parentLink();
      if (link != null) {
        checkParent(host.name(), real, link, chain, findings);
      }
    } finally {
      if (lock != null) {
        lock.release();
      }
    }
    return findings;
  }

  private static void checkParent(String name, Path real, ParentLink link, ParentChain chain,
      List<Finding> findings) throws IOException {
    ChainOptions options = chain.options();
    ParentLookup.Found found;
    try {
      found = ParentLookup.find(name, real, link, options);
    } catch (VhdFormatException notFound) {
      if (!options.ignoreParentId()) {
        try {
          ParentLookup.Found other = ParentLookup.find(name, real, link,
              new ChainOptions(options.parentRoot(), true));
          findings.add(finding(Finding.PARENT_ID_MISMATCH, notFound.offset(), "the image "
              + "expects a parent with DataWriteGuid " + link.expectedId() + ", but "
              + other.path() + " (" + other.place() + ") has " + other.linkId()));
          return;
        } catch (VhdFormatException stillNotFound) {
          // Nothing where the locator points: the parent is missing.
        }
      }
      findings.add(finding(Finding.PARENT_MISSING, notFound.offset(), problemOf(notFound)));
      return;
    }
    ParentChain.Lease lease;
    try {
      lease = chain.acquire(name, found.path());
    } catch (VhdFormatException e) {
      findings.add(finding(Finding.PARENT_CHAIN, e.offset(), "the parent " + found.path()
          + " (" + found.place() + ") cannot be opened: " + problemOf(e)));
      return;
    }
    lease.release().close();
  }

  private static Finding finding(String code, long offset, String meaning) {
    return new Finding(code, offset, meaning, false, false);
  }

  /** The message of {@code e} without the file name and offset it starts and ends with. */
  private static String problemOf(VhdFormatException e) {
    String m = e.getMessage();
    String prefix = e.file() + ": ";
    String suffix = " (at byte offset " + e.offset() + ")";
    if (m.startsWith(prefix)) {
      m = m.substring(prefix.length());
    }
    return m.endsWith(suffix) ? m.substring(0, m.length() - suffix.length()) : m;
  }
}
