package io.vhdfs.vhd;

import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.CheckFindings;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.Finding;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageLock;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.ParentChain;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.ParentLookup;
import io.vhdfs.disk.ProgressListener;
import io.vhdfs.disk.SizeRule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Checks an image's structure and, if asked, repairs what is safe to repair. Unlike
 * {@link VhdLayer}, which refuses an image at its first defect, the checker reads every
 * structure leniently and reports all it finds, each with its byte offset and meaning
 * ({@link Finding}): the footers at the end and at offset 0, the dynamic header, the BAT's place
 * and size, parent locators, every BAT entry (outside the file, cut short, over the footer, on
 * metadata, overlapping another), orphan space, and for a differencing image whether its parent
 * can be found, has the unique id it records, and opens.
 *
 * <p>A repair fixes only what needs no guess and touches no data: it writes a lost, damaged or
 * 511-byte end footer from the sound copy at offset 0 (or the footer it has), marks BAT entries
 * that point outside the file unallocated, and rewrites a missing, damaged or differing copy at
 * offset 0 from the sound end footer. It writes in that order, forcing each step to the disk
 * before the next, so a crash part-way leaves an image at least as sound as before (each step
 * alone is a repair), and a second repair finishes the job. Everything else is reported and left
 * as it is: the checker cannot tell which of two overlapping blocks holds the right data, and a
 * block cut short by the end of the file has lost bytes no repair brings back.
 */
final class VhdChecker {
  private static final int SECTOR = 512;
  private static final byte[] HEADER_COOKIE = "cxsparse".getBytes(StandardCharsets.US_ASCII);

  private final HostFile host;
  private final String name;
  private final Path real;
  private final long length;
  private final SizeRule sizeRule;
  private final ParentChain chain;
  private final ChainOptions options;
  private final CheckFindings findings = new CheckFindings();

  /** The footer the structure is read with, whether it is sound, and where it is. */
  private FooterProbe trusted;
  private boolean trustedAtEnd;
  private FooterProbe copy;
  private long dataLimit;
  private DynamicHeader header;
  private boolean headerSound;
  private boolean tableSound;
  private boolean locatorsSound = true;
  private final List<BatScan.Range> metadata = new ArrayList<>();
  private final List<BatScan.Range> reserved = new ArrayList<>();
  private BatScan scan;

  private VhdChecker(HostFile host, Path real, SizeRule sizeRule, ParentChain chain)
      throws IOException {
    this.host = host;
    this.name = host.name();
    this.real = real;
    this.length = host.size();
    this.sizeRule = sizeRule;
    this.chain = chain;
    this.options = chain.options();
  }

  /**
   * Checks {@code image} and, with {@code repair}, repairs what is safe to repair.
   *
   * @param chain the chain of the image, whose options say how a differencing image's parent is
   *     found and checked, and in which its parent is opened
   * @param progress told how much of the BAT has been checked
   * @return every finding, in the order found; empty for a sound image
   * @throws VhdFormatException if the file is no VHD at all (no footer cookie anywhere)
   * @throws FileSystemException if a repair is asked for while the image is open in this JVM
   * @throws java.nio.file.AccessDeniedException if a repair is needed but the file is read-only
   */
  static List<Finding> check(Path image, boolean repair, SizeRule sizeRule, ParentChain chain,
      ProgressListener progress) throws IOException {
    Path real = image.toRealPath();
    if (repair && OpenDisks.isOpen(real)) {
      // Its open disk holds the footer and BAT in memory and would write them back over ours.
      throw new FileSystemException(image.toString(), null, "open in this JVM: close every "
          + "file system and channel on it before repairing it");
    }
    // A reader's locks while checking, as qemu-img check takes them; a writer's for a repair.
    try (ImageLock.Hold hold = ImageLock.hold(real, chain.options().locking());
        HostFile host = HostFile.openForReading(image)) {
      VhdChecker c = new VhdChecker(host, real, sizeRule, chain);
      c.checkAll(progress);
      Plan plan = c.plan();
      if (repair) {
        c.repair(plan, hold);
      }
      return c.findings.all();
    }
  }

  private void checkAll(ProgressListener progress) throws IOException {
    if (!checkFooters()) {
      return;
    }
    Footer footer = trusted.footer();
    if (footer.diskType() == DiskType.FIXED) {
      checkFixedSize(footer);
      return;
    }
    dataLimit = trustedAtEnd ? trusted.offset() : length;
    if (!checkHeader(footer)) {
      return;
    }
    checkTable(footer);
    if (footer.diskType() == DiskType.DIFFERENCING) {
      checkLocators(footer.dataOffset());
    }
    if (tableSound) {
      scan = new BatScan(host, header.tableOffset(), header.maxTableEntries(),
          header.bitmapSize() + (long) header.blockSize(), dataLimit, length, metadata, reserved,
          findings, VhdRepair.BAT_ENTRY);
      scan.scan(progress);
    }
    if (footer.diskType() == DiskType.DIFFERENCING) {
      checkParent(footer.dataOffset());
    }
  }

  // ---- footers -----------------------------------------------------------------------------

  /** Reports the footers; returns whether one can be read on with. */
  private boolean checkFooters() throws IOException {
    if (length < Footer.SHORT_SIZE) {
      throw new VhdFormatException(name, -1,
          "not a VHD image: the file has " + length + " bytes, fewer than a footer");
    }
    FooterProbe full = length >= Footer.SIZE
        ? FooterProbe.read(host, length - Footer.SIZE, Footer.SIZE) : null;
    FooterProbe shortOne = length % SECTOR == Footer.SHORT_SIZE
        ? FooterProbe.read(host, length - Footer.SHORT_SIZE, Footer.SHORT_SIZE) : null;
    FooterProbe end = full != null && full.hasCookie() ? full
        : shortOne != null && shortOne.hasCookie() ? shortOne
        : full != null ? full : shortOne;
    copy = length >= Footer.SIZE && end.offset() != 0 ? FooterProbe.read(host, 0, Footer.SIZE)
        : null;
    // A fixed image has no copy at 0: a sound footer there that says fixed is guest data.
    boolean copyUsable = copy != null && copy.hasCookie()
        && (copy.footer() == null || copy.footer().diskType() != DiskType.FIXED);
    if (!end.hasCookie() && !copyUsable) {
      throw new VhdFormatException(name, Math.max(0, length - Footer.SIZE), "not a VHD image: "
          + "no 'conectix' footer in the last 512 bytes, the last 511 bytes or at offset 0");
    }
    if (end.isSound()) {
      trusted = end;
      trustedAtEnd = true;
    } else if (copyUsable && copy.isSound()) {
      trusted = copy;
    } else if (end.footer() != null) {
      trusted = end;
      trustedAtEnd = true;
    } else if (copyUsable && copy.footer() != null) {
      trusted = copy;
    }
    boolean fixed = trusted != null && trusted.footer().diskType() == DiskType.FIXED;
    reportEndFooter(end, fixed);
    if (!fixed) {
      reportFooterCopy();
    }
    return trusted != null;
  }

  private void reportEndFooter(FooterProbe end, boolean fixed) {
    // The end footer is rewritten from the copy at 0 when that is what the image is read with.
    VhdRepair fix = trusted != null && !trustedAtEnd && trusted.isSound()
        ? VhdRepair.END_FOOTER : null;
    if (!end.hasCookie()) {
      findings.add(VhdFindings.FOOTER_LOST, end.offset(), "no footer at the end of the file: the "
          + "last 512 bytes hold no 'conectix' cookie, so the end footer is lost (readers that "
          + "look only there, such as libvhdi, cannot open the image)"
          + (fix != null ? "; the copy at offset 0 survives" : ""), fix);
      return;
    }
    String which = end.length() == Footer.SHORT_SIZE ? "511-byte end footer" : "end footer";
    if (end.checksumProblem() != null) {
      findings.add(VhdFindings.FOOTER_CHECKSUM, end.offset(), which + " " + end.checksumProblem(),
          fix);
    }
    if (end.fieldProblem() != null) {
      findings.add(VhdFindings.FOOTER_INVALID, end.offset(), which + ": " + end.fieldProblem(),
          fix);
    }
    if (end.isSound() && end.length() == Footer.SHORT_SIZE) {
      findings.add(VhdFindings.SHORT_FOOTER, end.offset(), "the end footer is 511 bytes long, as "
          + "Virtual PC wrote it before 2004; QEMU and libvhdi look for 512 bytes at the end",
          VhdRepair.END_FOOTER);
    }
  }

  private void reportFooterCopy() {
    // The copy is rewritten from the end footer when that is sound and read with.
    VhdRepair fix = trustedAtEnd && trusted.isSound()
        ? VhdRepair.FOOTER_COPY : null;
    if ((copy == null || !copy.hasCookie()) && trusted == null) {
      return; // no telling whether the image is fixed, and so whether a copy belongs there
    }
    if (copy == null || !copy.hasCookie()) {
      findings.add(VhdFindings.FOOTER_COPY_MISSING, 0, "no footer copy at offset 0, where the "
          + "format keeps one for recovery and QEMU reads the footer", fix);
      return;
    }
    if (copy.checksumProblem() != null) {
      findings.add(VhdFindings.FOOTER_CHECKSUM, 0, "footer copy at offset 0: "
          + copy.checksumProblem(), fix);
    }
    if (copy.fieldProblem() != null) {
      findings.add(VhdFindings.FOOTER_INVALID, 0, "footer copy at offset 0: " + copy.fieldProblem(),
          fix);
    }
    if (copy.isSound() && trustedAtEnd && trusted.isSound() && !copy.sameBytes(trusted)) {
      findings.add(VhdFindings.FOOTER_COPIES_DIFFER, 0, "the footer copy at offset 0 differs from "
          + "the end footer at " + trusted.offset() + " in its " + copy.differingFields(trusted)
          + " (QEMU reads the copy, libvhdi and this library the end footer)", fix);
    }
  }

  private void checkFixedSize(Footer footer) {
    long dataBytes = trusted.offset();
    long size = VisibleSize.of(sizeRule, footer, dataBytes);
    if (size > VhdLayer.MAX_SIZE) {
      findings.add(Finding.SIZE, trusted.offset() + 48, "virtual size " + size + " bytes "
          + "exceeds the format's maximum of 2040 GiB (" + VhdLayer.MAX_SIZE + " bytes)");
    } else if (size > dataBytes) {
      findings.add(Finding.SIZE, trusted.offset() + 48, "virtual size " + size + " bytes does "
          + "not fit the " + dataBytes + " bytes of data in front of the footer: the fixed "
          + "image is truncated");
    }
  }

  // ---- dynamic header and BAT --------------------------------------------------------------

  /** Reports the dynamic header; returns whether it can be read on with. */
  private boolean checkHeader(Footer footer) throws IOException {
    long at = footer.dataOffset();
    if (at < Footer.SIZE || at > dataLimit - DynamicHeader.SIZE) {
      findings.add(VhdFindings.HEADER_LOCATION, trusted.offset() + 16, "data offset " + at
          + " places the dynamic header " + (at >= 0 && at < Footer.SIZE
              ? "on the footer copy at offset 0" : "outside the file's " + dataLimit
                  + " bytes of metadata and data") + "; the BAT cannot be found");
      return false;
    }
    byte[] raw = host.readBytes(at, DynamicHeader.SIZE);
    ByteBuffer b = ByteBuffer.wrap(raw);
    int before = findings.count();
    if (!Arrays.equals(raw, 0, 8, HEADER_COOKIE, 0, 8)) {
      findings.add(VhdFindings.HEADER_COOKIE, at, "the dynamic header at " + at + " lacks its "
          + "'cxsparse' cookie");
    }
    int stored = b.getInt(36);
    int computed = Checksum.compute(raw, 0, DynamicHeader.SIZE, 36);
    if (stored != computed) {
      findings.add(VhdFindings.HEADER_CHECKSUM, at, String.format("dynamic header checksum "
          + "mismatch: stored 0x%08X, computed 0x%08X", stored, computed));
    }
    int version = b.getInt(24);
    if ((version >>> 16) != 1) {
      findings.add(VhdFindings.HEADER_INVALID, at + 24, String.format("unsupported dynamic header "
          + "version 0x%08X", version));
    }
    long blockSize = b.getInt(32) & 0xFFFF_FFFFL;
    boolean usable = true;
    if (blockSize < DynamicHeader.MIN_BLOCK_SIZE || blockSize > DynamicHeader.MAX_BLOCK_SIZE
        || Long.bitCount(blockSize) != 1) {
      findings.add(VhdFindings.HEADER_INVALID, at + 32, "invalid block size " + blockSize + ": "
          + "must be a power of two from 512 bytes to 256 MiB; the blocks cannot be found");
      usable = false;
    }
    if (b.getLong(16) < 0) {
      findings.add(VhdFindings.HEADER_INVALID, at + 16, "negative table offset " + b.getLong(16)
          + "; the BAT cannot be found");
      usable = false;
    }
    if (!usable) {
      return false;
    }
    headerSound = findings.count() == before;
    // Read on past a bad cookie, version or checksum: the rest may still say where things are.
    byte[] mended = raw.clone();
    System.arraycopy(HEADER_COOKIE, 0, mended, 0, 8);
    ByteBuffer.wrap(mended).putInt(24, 0x0001_0000);
    ByteBuffer.wrap(mended).putInt(36, Checksum.compute(mended, 0,
        DynamicHeader.SIZE, 36));
    header = DynamicHeader.decode(mended, 0, name, at);
    metadata.add(new BatScan.Range("footer copy", 0, Footer.SIZE));
    metadata.add(new BatScan.Range("dynamic header", at, at + DynamicHeader.SIZE));
    return true;
  }

  private void checkTable(Footer footer) {
    long headerAt = footer.dataOffset();
    long entries = header.maxTableEntries();
    long blockSize = header.blockSize();
    long size = VisibleSize.of(sizeRule, footer, entries * blockSize);
    if (size > VhdLayer.MAX_SIZE) {
      findings.add(Finding.SIZE, trusted.offset() + 48, "virtual size " + size + " bytes "
          + "exceeds the format's maximum of 2040 GiB (" + VhdLayer.MAX_SIZE + " bytes)");
    }
    long needed = (size + blockSize - 1) / blockSize;
    long largest = Math.max(size, Math.min(footer.currentSize(), VhdLayer.MAX_SIZE));
    long allowed = ((largest + blockSize - 1) / blockSize + 1 + 127) / 128 * 128;
    if (entries < needed) {
      findings.add(Finding.TABLE_ENTRIES, headerAt + 28, "max table entries " + entries
          + " too few: a virtual size of " + size + " bytes needs " + needed + " blocks of "
          + blockSize + " bytes");
    } else if (entries > allowed) {
      findings.add(Finding.TABLE_ENTRIES, headerAt + 28, "max table entries " + entries
          + " far exceed the " + needed + " blocks a virtual size of " + size + " bytes needs");
    } else if (entries > VhdLayer.MAX_TABLE_ENTRIES) {
      findings.add(Finding.TABLE_ENTRIES, headerAt + 28, "max table entries " + entries
          + " exceed the " + VhdLayer.MAX_TABLE_ENTRIES + " this library holds in memory, "
          + "so it does not open the image (blocks of " + blockSize + " bytes are too small "
          + "for " + size + " bytes)");
    }
    long tableAt = header.tableOffset();
    String problem = null;
    if (tableAt < Footer.SIZE) {
      problem = "places the BAT on the footer copy at offset 0";
    } else if (tableAt > dataLimit || entries * 4 > dataLimit - tableAt) {
      problem = "places the " + entries + "-entry BAT past the end of the file's " + dataLimit
          + " bytes of metadata and data";
    } else if (tableAt < headerAt + DynamicHeader.SIZE
        && headerAt < tableAt + header.tableBytes()) {
      problem = "makes the BAT overlap the dynamic header at " + headerAt;
    }
    if (problem != null) {
      findings.add(Finding.TABLE_LOCATION, headerAt + 16, "table offset " + tableAt + " "
          + problem + "; its entries were not checked");
      return;
    }
    tableSound = true;
    metadata.add(new BatScan.Range("BAT", tableAt,
        Math.min(tableAt + header.tableBytes(), dataLimit)));
  }

  private void checkLocators(long headerAt) {
    List<BatScan.Range> fixedMetadata = List.copyOf(metadata);
    List<ParentLocator> locators = header.locators();
    for (int i = 0; i < locators.size(); i++) {
      ParentLocator l = locators.get(i);
      if (!l.isPresent()) {
        continue;
      }
      long entryAt = headerAt + 576 + (long) i * ParentLocator.SIZE;
      long start = l.dataOffset();
      if (l.dataLength() > VhdLayer.MAX_LOCATOR_BYTES) {
        locatorsSound = false;
        findings.add(VhdFindings.LOCATOR, entryAt + 8, "parent locator " + i + " claims "
            + l.dataLength() + " bytes of path; at most " + VhdLayer.MAX_LOCATOR_BYTES
            + " make sense");
        continue;
      }
      if (start < 0 || start > dataLimit - l.dataLength()) { // no overflow for a huge start
        locatorsSound = false;
        findings.add(VhdFindings.LOCATOR, entryAt + 16, "parent locator " + i + " data at offset "
            + start + " (" + l.dataLength() + " bytes) lies outside the file's " + dataLimit
            + " bytes of metadata and data");
        continue;
      }
      long end = start + l.dataLength();
      List<String> hit = new ArrayList<>();
      for (BatScan.Range m : fixedMetadata) {
        if (start < m.end() && m.start() < end) {
          hit.add("the " + m.what() + " at " + m.start());
        }
      }
      if (!hit.isEmpty()) {
        findings.add(VhdFindings.LOCATOR, entryAt + 16, "parent locator " + i + " data at offset "
            + start + " (" + l.dataLength() + " bytes) overlaps " + String.join(", ", hit));
        continue;
      }
      metadata.add(new BatScan.Range("parent locator " + i + " data", start, end));
      long room = Math.min(Math.max(l.reservedBytes(), l.dataLength()), dataLimit - start);
      reserved.add(new BatScan.Range("parent locator " + i + " space", start, start + room));
    }
  }

  // ---- parent ------------------------------------------------------------------------------

  private void checkParent(long headerAt) throws IOException {
    // Locator data outside the file cannot be read; look in the places that can be.
    List<ParentLocator> usable = new ArrayList<>();
    for (ParentLocator l : header.locators()) {
      boolean readable = l.dataLength() <= VhdLayer.MAX_LOCATOR_BYTES && l.dataOffset() >= 0
          && l.dataOffset() <= length - l.dataLength();
      usable.add(readable ? l : ParentLocator.EMPTY);
    }
    DynamicHeader h = new DynamicHeader(header.dataOffset(), header.tableOffset(),
        header.headerVersion(), header.maxTableEntries(), header.blockSize(),
        header.parentUniqueId(), header.parentTimestamp(), header.parentName(), usable);
    ParentLink link = VhdParentLinks.of(host, h, headerAt);
    ParentLookup.Found found;
    try {
      found = ParentLookup.find(name, real, link, options);
    } catch (VhdFormatException notFound) {
      reportParentNotFound(link, headerAt, notFound);
      return;
    }
    // Opened as the child's parent, so a loop back to the child and a chain too deep with the
    // child on top are refused as opening the child would refuse them.
    ParentChain.Lease lease;
    try {
      lease = chain.acquire(name, found.path());
    } catch (VhdFormatException e) {
      findings.add(Finding.PARENT_CHAIN, headerAt + 40, "the parent " + found.path() + " ("
          + found.place() + ") cannot be opened: " + e.problem());
      return;
    }
    lease.release().close();
  }

  private void reportParentNotFound(ParentLink link, long headerAt, VhdFormatException e)
      throws IOException {
    if (!options.ignoreParentId()) {
      try {
        ParentLookup.Found other = ParentLookup.find(name, real, link,
            new ChainOptions(options.parentRoot(), true));
        findings.add(Finding.PARENT_ID_MISMATCH, headerAt + 40, "parent unique id mismatch: "
            + "the image expects a parent with unique id " + link.expectedId() + ", but "
            + other.path() + " (" + other.place() + ") has unique id " + other.linkId());
        return;
      } catch (VhdFormatException stillNotFound) {
        // No image at all where the header points: the parent is missing.
      }
    }
    findings.add(Finding.PARENT_MISSING, e.offset(), e.problem());
  }

  // ---- repair ------------------------------------------------------------------------------

  /**
   * What a repair would write.
   *
   * @param endFooterAt where to write the end footer, or -1 for nowhere
   * @param batEntries whether to mark entries outside the file unallocated
   * @param footerCopy whether to rewrite the copy at offset 0
   */
  private record Plan(long endFooterAt, boolean batEntries, boolean footerCopy) {}

  /**
   * Decides what a repair can write without guessing or touching data, and marks the findings it
   * cannot fix as not repairable.
   */
  private Plan plan() {
    if (trusted == null || !trusted.isSound()) {
      // Nothing sound to write from, and no telling where things are: repair nothing.
      findings.unfixable(VhdRepair.END_FOOTER);
      findings.unfixable(VhdRepair.BAT_ENTRY);
      findings.unfixable(VhdRepair.FOOTER_COPY);
      return new Plan(-1, false, false);
    }
    boolean sparse = trusted.footer().diskType() != DiskType.FIXED;
    // Where every structure in use ends is known only when all of them could be read.
    boolean layoutKnown = !sparse || (headerSound && tableSound && locatorsSound
        && scan != null && scan.complete());
    long endFooterAt = -1;
    if (findings.wants(VhdRepair.END_FOOTER) && layoutKnown
        && (scan == null || !scan.runsPastEnd())) {
      if (trustedAtEnd) {
        endFooterAt = trusted.offset(); // a 511-byte footer becomes a whole one in place
      } else {
        long used = Math.max(scan.usedEnd(), metadataEnd());
        long lastSector = (length + SECTOR - 1) / SECTOR * SECTOR - SECTOR;
        endFooterAt = Math.max((used + SECTOR - 1) / SECTOR * SECTOR, lastSector);
      }
    }
    boolean batEntries = findings.wants(VhdRepair.BAT_ENTRY) && headerSound
        && tableSound;
    // The copy goes where nothing else may be: not while a structure lies on its place.
    boolean footerCopy = findings.wants(VhdRepair.FOOTER_COPY) && sparse && layoutKnown
        && !scan.touchesFooterCopy() && firstMetadataAt() >= Footer.SIZE;
    if (endFooterAt < 0) {
      findings.unfixable(VhdRepair.END_FOOTER);
    }
    if (!batEntries) {
      findings.unfixable(VhdRepair.BAT_ENTRY);
    }
    if (!footerCopy) {
      findings.unfixable(VhdRepair.FOOTER_COPY);
    }
    return new Plan(endFooterAt, batEntries, footerCopy);
  }

  private long metadataEnd() {
    long end = 0;
    for (BatScan.Range r : metadata) {
      end = Math.max(end, r.end());
    }
    for (BatScan.Range r : reserved) {
      end = Math.max(end, r.end());
    }
    return end;
  }

  /** The lowest offset of any metadata but the footer copy itself. */
  private long firstMetadataAt() {
    long first = Long.MAX_VALUE;
    for (BatScan.Range r : metadata) {
      if (!r.what().equals("footer copy")) {
        first = Math.min(first, r.start());
      }
    }
    return first;
  }

  /**
   * Writes the plan: the end footer first, so the file ends in a sound footer as early as
   * possible; then the BAT; the copy at offset 0 last, so it stays the fallback until the end
   * footer is sound. Each step is forced to the disk before the next.
   */
  private void repair(Plan plan, ImageLock.Hold hold) throws IOException {
    if (plan.endFooterAt() < 0 && !plan.batEntries() && !plan.footerCopy()) {
      return;
    }
    hold.writing(() -> {
      write(plan);
      return null;
    });
  }

  private void write(Plan plan) throws IOException {
    host.enableWrites();
    byte[] footer = trusted.raw();
    if (plan.endFooterAt() >= 0) {
      host.write(footer, plan.endFooterAt());
      host.force(true);
      findings.repaired(VhdRepair.END_FOOTER);
    }
    if (plan.batEntries()) {
      scan.markOutsideUnallocated();
      host.force(false);
      findings.repaired(VhdRepair.BAT_ENTRY);
    }
    if (plan.footerCopy()) {
      host.write(footer, 0);
      host.force(false);
      findings.repaired(VhdRepair.FOOTER_COPY);
    }
  }
}
