package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The images above the one being opened (its children, down from the image the user opened), the
 * options the chain opens with, the formats its images may be in, and where parents come from.
 * Opening a differencing image of any format finds its parent from the {@link ParentLink} its
 * format decoded ({@link ParentLookup}), refuses loops and chains longer than
 * {@link #MAX_IMAGES}, and gets the parent, itself opened with the rest of the chain, from the
 * {@link ParentSource}, which shares one open parent among all its children. So chains work the
 * same in every format, and mixed ones too, and the limits hold once for all.
 */
public final class ParentChain {
  /**
   * The most images a chain may hold, the child opened included. XenServer stops at 30; each
   * image costs an open file and a bitmap cache, and a read recurses once per image.
   */
  public static final int MAX_IMAGES = 32;
  /**
   * The most BAT entries the images of one chain opened together may hold in memory, 64 MiB:
   * each image may hold a table of millions of entries, and a crafted chain of such images
   * must not add up to more memory than the JVM has. Sixteen 2040 GiB levels of 2 MiB blocks fit.
   */
  public static final long MAX_TABLE_ENTRIES = 1L << 24;

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
  private final List<ImageFormat> formats;
  private final ParentSource source;
  /** BAT entries of the images above the one being opened. */
  private final long tableEntries;

  private ParentChain(List<Path> images, ChainOptions options, List<ImageFormat> formats,
      ParentSource source, long tableEntries) {
    this.images = List.copyOf(images);
    this.options = options;
    this.formats = List.copyOf(formats);
    this.source = source;
    this.tableEntries = tableEntries;
  }

  /**
   * The chain of the image at real path {@code image}, whose images may be in {@code formats}
   * (probed in that order), with parents from {@code source}.
   */
  public static ParentChain of(Path image, ChainOptions options, List<ImageFormat> formats,
      ParentSource source) {
    return new ParentChain(List.of(image), options, formats, source, 0);
  }

  /**
   * No parents: an image in one of {@code formats} opens on its own, a differencing one for its
   * metadata and its own sectors; a read of a sector it does not hold is an {@link IOException}.
   */
  public static ParentChain detached(List<ImageFormat> formats) {
    return new ParentChain(List.of(), ChainOptions.DEFAULT, formats, null, 0);
  }

  /** The formats the chain's images may be in, in the order they are probed. */
  public List<ImageFormat> formats() {
    return formats;
  }

  /**
   * Refuses a block table that would take the chain's tables past {@link #MAX_TABLE_ENTRIES}: the
   * {@link TableBudget} of an image opened in this chain.
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
  private void checkJoin(String child, long at, List<Path> below)
      throws VhdFormatException {
    List<Path> all = new ArrayList<>(images);
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

  /**
   * The backing of the differencing image {@code layer}, named {@code child} in messages: its
   * parent, found from the layer's {@link ParentLink} and opened.
   */
  Backing openParent(String child, DiskLayer layer) throws IOException {
    if (source == null) {
      return Backing.detached(child);
    }
    // The parent a user names stands in for those the image opened records, not its parents'.
    ParentLink link = images.size() == 1 && options.parent() != null
        ? layer.parentLink().namedBy(options.parent()) : layer.parentLink();
    Path childReal = images.get(images.size() - 1);
    ParentLookup.Found found = ParentLookup.find(child, childReal, link, options);
    Lease lease = acquire(child, link.idOffset(), found.path(), layer.tableEntries());
    try {
      if (link.opened() != null) {
        link.opened().check(child, found.path(), lease.disk());
      }
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
   * @param idAt where the child records its parent's id, for messages (-1 for a new image)
   * @param childEntries the child's BAT entries, which count against the chain's budget
   */
  private Lease acquire(String child, long idAt, Path parent, long childEntries)
      throws IOException {
    checkJoin(child, idAt, List.of(parent));
    List<Path> longer = new ArrayList<>(images);
    longer.add(parent);
    Lease lease;
    try {
      lease = source.acquire(parent,
          new ParentChain(longer, options, formats, source, tableEntries + childEntries));
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
      checkJoin(child, idAt, withParents(parent, lease.disk()));
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
}
