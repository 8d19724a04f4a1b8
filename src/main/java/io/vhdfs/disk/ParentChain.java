package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
import io.vhdfs.vhd.DynamicHeader;
import io.vhdfs.vhd.Footer;
import io.vhdfs.vhd.VhdLayer;
import io.vhdfs.vhd.VhdTime;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The images above the one being opened (its children, down from the image the user opened), the
 * options the chain opens with, and where parents come from. Opening a differencing image finds
 * its parent ({@link ParentLookup}), refuses loops and chains longer than {@link #MAX_IMAGES}, and
 * gets the parent, itself opened with the rest of the chain, from the {@link ParentSource}, which
 * shares one open parent among all its children.
 */
public final class ParentChain {
  /**
   * The most images a chain may hold, the child opened included. XenServer stops at 30; each
   * image costs an open file and a bitmap cache, and a read recurses once per image.
   */
  public static final int MAX_IMAGES = 32;
  /**
   * The most BAT entries the images of one chain opened together may hold in memory, 64 MiB:
   * each image may hold {@link VhdLayer#MAX_TABLE_ENTRIES}, and a crafted chain of such images
   * must not add up to more memory than the JVM has. Sixteen 2040 GiB levels of 2 MiB blocks fit.
   */
  public static final long MAX_TABLE_ENTRIES = 1L << 24;

  private static final System.Logger LOG = System.getLogger("io.vhdfs");

  /** Opens or shares the parent at a real path, read-only, with its own parents. */
  @FunctionalInterface
  public interface ParentSource {
    /**
     * @param realPath the parent's real path
     * @param chain the chain the parent is opened in: its children, and the options
     */
    Lease acquire(Path realPath, ParentChain chain) throws IOException;
  }

  /** An open parent and how to give it back. */
  public record Lease(VirtualDisk disk, Closeable release) {}

  private final List<Path> images;
  private final ChainOptions options;
  private final ParentSource source;
  /** BAT entries of the images above the one being opened. */
  private final long tableEntries;

  private ParentChain(List<Path> images, ChainOptions options, ParentSource source,
      long tableEntries) {
    this.images = List.copyOf(images);
    this.options = options;
    this.source = source;
    this.tableEntries = tableEntries;
  }

  /** The chain of the image at real path {@code image}, with parents from {@code source}. */
  public static ParentChain of(Path image, ChainOptions options, ParentSource source) {
    return new ParentChain(List.of(image), options, source, 0);
  }

  /**
   * No parents: a differencing image opens on its own, for its metadata and its own sectors; a
   * read of a sector it does not hold is an {@link IOException}.
   */
  public static ParentChain detached() {
    return new ParentChain(List.of(), ChainOptions.DEFAULT, null, 0);
  }

  /**
   * Refuses a block table that would take the chain's tables past {@link #MAX_TABLE_ENTRIES}.
   *
   * @param at where the image's count of table entries is, for messages
   */
  public void checkTable(String image, long at, long entries) throws VhdFormatException {
    if (tableEntries + entries > MAX_TABLE_ENTRIES) {
      throw new VhdFormatException(image, at, "max table entries " + entries + " would give "
          + "the parent chain " + (tableEntries + entries) + " BAT entries in memory, more than "
          + "the " + MAX_TABLE_ENTRIES + " one chain may hold");
    }
  }

  /** The options parents are opened with. */
  public ChainOptions options() {
    return options;
  }

  /**
   * Refuses a parent that would close a loop or make the chain too long: {@code below}, the real
   * paths of the parent and its own parents, joined under this chain's images.
   */
  private void checkJoin(String child, long headerAt, List<Path> below)
      throws VhdFormatException {
    List<Path> all = new ArrayList<>(images);
    long at = headerAt < 0 ? -1 : headerAt + 40;
    for (Path p : below) {
      if (all.contains(p)) {
        all.add(p);
        throw new VhdFormatException(child, at, "parent chain loops: "
            + String.join(" -> ", all.stream().map(Path::toString).toList()));
      }
      all.add(p);
    }
    if (all.size() > MAX_IMAGES) {
      throw new VhdFormatException(child, at, "parent chain too deep: more than "
          + MAX_IMAGES + " images (" + all.get(0) + " -> ... -> " + all.get(all.size() - 1)
          + ")");
    }
  }

  /** The backing of the differencing image in {@code child}: its parent, found and opened. */
  public Backing openParent(HostFile child, Footer footer, DynamicHeader header) throws IOException {
    if (source == null) {
      return Backing.detached(child.name());
    }
    long headerAt = footer.dataOffset();
    Path childReal = images.get(images.size() - 1);
    ParentLookup.Found found = ParentLookup.find(child, childReal, header, headerAt, options);
    Lease lease = acquire(child.name(), headerAt, found.path(), header.maxTableEntries());
    try {
      checkTimestamp(child.name(), header, found);
      return Backing.parent(lease.disk(), found.path(), lease.release());
    } catch (IOException | RuntimeException e) {
      lease.release().close();
      throw e;
    }
  }

  /**
   * Opens (or shares) the parent at real path {@code parent} of a new image this chain names,
   * with the parent's own parents, refusing loops and chains that grow too long.
   *
   * @param child the image as named in messages
   */
  public Lease acquire(String child, Path parent) throws IOException {
    return acquire(child, -1, parent, 0);
  }

  /**
   * @param headerAt where the child's dynamic header is, for messages (-1 for a new image)
   * @param childEntries the child's BAT entries, which count against the chain's budget
   */
  private Lease acquire(String child, long headerAt, Path parent, long childEntries)
      throws IOException {
    checkJoin(child, headerAt, List.of(parent));
    List<Path> longer = new ArrayList<>(images);
    longer.add(parent);
    Lease lease;
    try {
      lease = source.acquire(parent,
          new ParentChain(longer, options, source, tableEntries + childEntries));
    } catch (VhdFormatException e) {
      if (images.size() > 1 || e.file().equals(child)) {
        throw e;
      }
      // Found deep down the chain: say so about the image that was opened, too.
      VhdFormatException top = new VhdFormatException(child, -1, "its parent chain cannot be "
          + "opened: " + e.getMessage());
      top.initCause(e);
      throw top;
    }
    try {
      checkJoin(child, headerAt, withParents(parent, lease.disk()));
    } catch (IOException | RuntimeException e) {
      lease.release().close();
      throw e;
    }
    return lease;
  }

  private static List<Path> withParents(Path parent, VirtualDisk disk) {
    List<Path> all = new ArrayList<>();
    all.add(parent);
    all.addAll(disk.parents());
    return all;
  }

  /**
   * The child records when its parent last changed. Writers disagree on what that is (the file's
   * time, the footer's), and copies, restores and time zone changes move file times, so a
   * mismatch is logged, never fatal: the unique id is what identifies the parent.
   */
  private static void checkTimestamp(String child, DynamicHeader header, ParentLookup.Found found)
      throws IOException {
    long recorded = header.parentTimestamp();
    long fileTime = VhdTime.of(Files.getLastModifiedTime(found.path()).toInstant());
    if (recorded != fileTime && recorded != found.footer().timestamp()) {
      LOG.log(Level.WARNING, () -> child + ": parent " + found.path() + " changed since the "
          + "child was made? The child records parent time " + VhdTime.toInstant(recorded)
          + ", the parent file's time is " + VhdTime.toInstant(fileTime) + " and its footer's "
          + VhdTime.toInstant(found.footer().timestamp()) + "; opened all the same: the unique "
          + "id, not the time, identifies a parent");
    }
  }
}
