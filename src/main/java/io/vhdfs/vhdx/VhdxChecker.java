package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.ParentLookup;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a VHDX's structure: what the reader passes over when it opens the file (a bad header or
 * region table copy, a log still to be replayed) and what it checks only as blocks are read
 * (every BAT entry), then a differencing image's parent. A file the reader refuses is one
 * finding, where the reader stopped.
 *
 * <p>A repair fixes what the reader already works around, so that it reads the same bytes
 * afterwards and peers that do not work around it (QEMU reads region table copy 1 only, libvhdi
 * fails on either bad copy and never replays a log) read them too: it replays a dirty log onto
 * the file, rewrites a bad region table copy from the good one and a bad header copy from the
 * current one ({@link VhdxRepair}). A file the reader refuses is not touched, nor is a log whose
 * LogGuid has no entries behind it, since what the lost entries held is unknown.
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

  /**
   * Every finding, in file order of the structures; empty for a sound image. With {@code repair},
   * the repairable ones are repaired and marked so.
   *
   * @throws FileSystemException if a repair is asked for while the image is open in this JVM
   * @throws java.nio.file.AccessDeniedException if a repair is needed but the file is read-only
   */
  static List<Finding> check(Path image, boolean repair, ParentChain chain) throws IOException {
    Path real = image.toRealPath();
    if (repair && OpenDisks.isOpen(real)) {
      // Its open disk holds the headers and BAT in memory and would write over ours.
      throw new FileSystemException(image.toString(), null, "open in this JVM: close every "
          + "file system and channel on it before repairing it");
    }
    List<Finding> findings = new ArrayList<>();
    // A reader's locks while checking, as qemu-img check takes them; a writer's for a repair.
    try (ImageLock.Hold hold = ImageLock.hold(real, chain.options().locking());
        HostFile host = HostFile.openForReading(image)) {
      String name = host.name();
      ByteSource raw = new HostSource(host);
      // What opening does first, by hand, so that what is wrong here is reported even where
      // a later structure (the BAT) refuses the open.
      HeaderChoice headers;
      ReplayedLog log;
      RegionTableChoice regions;
      try {
        headers = HeaderChoice.read(raw);
        log = LogReplay.replay(raw, headers.current());
        ByteSource source = log.overlay().over(raw);
        regions = RegionTableChoice.read(source);
      } catch (VhdFormatException e) {
        findings.add(finding(UNREADABLE, e.offset(), e.problem()));
        return findings;
      }
      headers.otherProblem().ifPresent(p -> findings.add(finding(HEADER,
          headers.slot() == 1 ? VhdxHeader.HEADER2_OFFSET : VhdxHeader.HEADER1_OFFSET,
          "header " + (3 - headers.slot()) + " is not valid (" + p + "); header "
              + headers.slot() + " is used", true)));
      long badRegionCopy = regions.copy() == 1 ? RegionTable.COPY2_OFFSET
          : RegionTable.COPY1_OFFSET;
      regions.otherProblem().ifPresent(p -> findings.add(finding(REGION_TABLE, badRegionCopy,
          p + "; region table copy " + regions.copy() + " is used", true)));
      VhdxHeader h = headers.current();
      ActiveSequence sequence = log.sequence();
      if (h.hasLog()) {
        findings.add(finding(LOG_DIRTY, h.logOffset(), sequence.isEmpty()
            ? "the header's LogGuid " + h.logGuid() + " is set but the log holds no valid "
                + "entry of it: nothing to replay"
            : "the log holds " + sequence.entries().size() + " entries not yet applied "
                + "(sequence " + Long.toUnsignedString(sequence.entries().get(0).sequenceNumber())
                + "-" + Long.toUnsignedString(sequence.head().sequenceNumber())
                + "); reads replay them in memory, a repair writes them to the file",
            !sequence.isEmpty()));
      }
      if (repair) {
        // Repaired before the BAT is looked at: what is wrong there is independent of these
        // copies, and the reader gets past them either way.
        repair(host, hold, headers, log, regions, badRegionCopy, findings);
      }
      RegionEntry bat = regions.table().bat();
      VhdxLayer layer;
      try {
        layer = VhdxLayer.open(host, chain::checkTable);
        layer.checkTable();
      } catch (VhdFormatException e) {
        boolean inBat = e.offset() >= bat.fileOffset() && e.offset() < bat.end();
        findings.add(finding(inBat ? BAT_ENTRY : UNREADABLE, e.offset(), e.problem()));
        return findings;
      }
      ParentLink link = layer.parentLink();
      if (link != null) {
        checkParent(host.name(), real, link, chain, findings);
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
      findings.add(finding(Finding.PARENT_MISSING, notFound.offset(), notFound.problem()));
      return;
    }
    ParentChain.Lease lease;
    try {
      lease = chain.acquire(name, found.path());
    } catch (VhdFormatException e) {
      findings.add(finding(Finding.PARENT_CHAIN, e.offset(), "the parent " + found.path()
          + " (" + found.place() + ") cannot be opened: " + e.problem()));
      return;
    }
    lease.release().close();
  }

  private static Finding finding(String code, long offset, String meaning) {
    return finding(code, offset, meaning, false);
  }

  private static Finding finding(String code, long offset, String meaning, boolean repairable) {
    return new Finding(code, offset, meaning, repairable, false);
  }

  /**
   * Repairs the repairable findings so far, under the image's writer locks: the header pair with
   * this session's FileWriteGuid first, then the log's replay, then the region table copy, then
   * (for a replayed log) the header pair that clears the LogGuid. Nothing is written when nothing
   * is repairable.
   */
  private static void repair(HostFile host, ImageLock.Hold hold, HeaderChoice headers,
      ReplayedLog log, RegionTableChoice regions, long badRegionCopy, List<Finding> findings)
      throws IOException {
    if (findings.stream().noneMatch(Finding::repairable)) {
      return;
    }
    hold.writing(() -> {
      host.enableWrites();
      byte[] current = host.readBytes(headers.currentOffset(), VhdxHeader.SIZE);
      VhdxRepair writer = new VhdxRepair(host, current, headers.slot());
      VhdxHeader h = headers.current();
      boolean replay = h.hasLog() && !log.sequence().isEmpty();
      // A LogGuid with nothing behind it stays: the pairs keep the header's own.
      writer.writeHeaderPair(h.logGuid());
      if (replay) {
        writer.replay(log.overlay());
      }
      if (regions.otherProblem().isPresent()) {
        long good = regions.copy() == 1 ? RegionTable.COPY1_OFFSET : RegionTable.COPY2_OFFSET;
        // After the replay, the file holds what the overlay read the good copy as.
        writer.writeRegionTable(host.readBytes(good, RegionTable.SIZE), badRegionCopy);
      }
      if (replay) {
        writer.writeHeaderPair(MsGuid.ZERO);
      }
      return null;
    });
    findings.replaceAll(f -> f.repairable()
        ? new Finding(f.code(), f.offset(), f.meaning(), true, true)
        : f);
  }
}
