package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * A disk image format: how its files are recognised, opened one layer at a time, described,
 * checked and created. The engine ({@link DiskOpener}, {@link ParentChain}, the read path in
 * {@link SparseReader}) is shared; a format supplies only what is its own. The formats there
 * are, in the order files are probed, are listed once, in {@code io.vhdfs.image.Formats}.
 *
 * <p>Implementations are stateless singletons, safe for concurrent use.
 */
public interface ImageFormat {
  /** What a format can do beyond reading, each checked once where it is used. */
  enum Capability {
    /** Write an image's disk (channels, restore, the parent of a commit). */
    WRITE("writing"),
    /** Create new images. */
    CREATE("creating images"),
    /** Repair what a check finds. */
    REPAIR("repairing"),
    /** Commit a differencing image into its parent. */
    COMMIT("committing"),
    /** Change an image's virtual size in place. */
    RESIZE("resizing");

    private final String doing;

    Capability(String doing) {
      this.doing = doing;
    }
  }

  /** The format's name, lower case: {@code vhd}. Also the name of its attribute view. */
  String name();

  /** The name in messages: {@code VHD}. */
  default String label() {
    return name().toUpperCase(Locale.ROOT);
  }

  /** The block size of a new sparse image when none is asked for: 2 MiB, qemu-img's for VHD. */
  default int defaultBlockSize() {
    return 2 << 20;
  }

  /** What the format can do beyond reading. */
  Set<Capability> capabilities();

  /**
   * Refuses what the format cannot do yet, before anything is touched.
   *
   * @param image the image, as named in messages
   * @throws FileSystemException saying that {@code label()} cannot do it yet
   */
  default void require(Capability capability, String image) throws FileSystemException {
    if (!capabilities().contains(capability)) {
      throw new FileSystemException(image, null, label() + " " + capability.doing
          + " is not supported yet");
    }
  }

  /**
   * Whether {@code host} holds an image of this format, by its signature alone: cheap, and never
   * by the file's name. A file it claims may still be refused as malformed.
   */
  boolean probe(HostFile host) throws IOException;

  /**
   * The id children of the image in {@code host} record of it ({@link DiskInfo#linkId}), read as
   * cheaply as the format allows, to tell a parent among the places a child names.
   *
   * @throws io.vhdfs.VhdFormatException if {@code host} holds no sound image of this format
   */
  UUID linkId(HostFile host) throws IOException;

  /**
   * Reads and validates the image in {@code host} on its own: every structure a read relies on is
   * checked before a data byte is read, so a crafted image fails here with a precise message. For
   * a file this format does not {@link #probe claim}, the refusal says what it lacks.
   *
   * @param budget claimed before the block table is read
   */
  DiskLayer openLayer(HostFile host, SizeRule sizeRule, TableBudget budget) throws IOException;

  /**
   * Every field of the open image {@code disk} in the file {@code file}, as an ordered map of
   * plain values (strings, numbers, lists, maps), for people and for JSON.
   */
  Map<String, Object> describe(Path file, VirtualDisk disk);

  /**
   * Checks the structure of {@code image}, and with {@code repair} repairs what is safe to
   * repair ({@link Capability#REPAIR}).
   *
   * @param chain the chain a differencing image's parent is looked for and opened in
   * @return every finding, in the order found; empty for a sound image
   */
  List<Finding> check(Path image, boolean repair, SizeRule sizeRule, ParentChain chain,
      ProgressListener progress) throws IOException;

  /**
   * Why {@code spec} cannot be made in this format, or {@code null} when it can; asked before
   * anything is written.
   */
  NewImage.Refusal refuse(NewImage spec);

  /**
   * Creates {@code image}, which must not exist, as {@code spec} says ({@link Capability#CREATE}).
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   */
  void create(Path image, NewImage spec) throws IOException;

  /**
   * Creates {@code image}, which must not exist, as a differencing child of the image at real
   * path {@code parent}, open as {@code parentDisk}, with blocks of {@code blockSize} bytes.
   *
   * @throws java.nio.file.FileAlreadyExistsException if {@code image} exists
   */
  void createChild(Path image, Path parent, VirtualDisk parentDisk, int blockSize)
      throws IOException;

  /**
   * Changes the virtual size of the image in {@code host}, which the caller has opened for
   * writing under the image's writer locks ({@link Capability#RESIZE}). A smaller size is taken
   * only with {@code shrink}, and only when what is cut off holds no data.
   *
   * @param budget claimed before the block table is read
   * @throws java.nio.file.FileSystemException if the size is smaller and {@code shrink} is not
   *     set, or the range cut off holds data (the message names its first offset)
   * @throws IllegalArgumentException if the size is out of the format's range
   */
  default Resized resize(HostFile host, long size, boolean shrink, TableBudget budget)
      throws IOException {
    throw new FileSystemException(host.name(), null, label() + " images cannot be resized yet");
  }

  /**
   * Points the differencing image in {@code host}, open for writing, at the image at real path
   * {@code parent}, open as {@code parentDisk}, which the caller has checked is one it may link
   * to: its locators name the parent where it now is, found from the child's own path
   * {@code child}; with {@code replaceId} the id it records becomes the parent's
   * {@link DiskInfo#linkId}. Written so that a cut at any host write leaves the child opening with
   * its old link or its new one.
   *
   * @throws FileSystemException if the format cannot do it
   */
  default void setParent(HostFile host, Path child, Path parent, VirtualDisk parentDisk,
      boolean replaceId) throws IOException {
    throw new FileSystemException(host.name(), null, label() + " reparenting is not supported");
  }
}
