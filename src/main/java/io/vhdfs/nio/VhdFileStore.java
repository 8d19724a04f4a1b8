package io.vhdfs.nio;

import io.vhdfs.disk.DiskInfo;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;

/**
 * The store of an image's file system: its capacity is the virtual size, its free space what can
 * still be written into the disk, its block the sector.
 */
final class VhdFileStore extends FileStore {
  private static final int SECTOR = 512;
  private final VhdFileSystem fs;

  VhdFileStore(VhdFileSystem fs) {
    this.fs = fs;
  }

  @Override
  public String name() {
    return String.valueOf(fs.image().getFileName());
  }

  @Override
  public String type() {
    try {
      return fs.info().format().name();
    } catch (IOException e) {
      return "vhd"; // the scheme's name, where the image cannot be read now
    }
  }

  @Override
  public boolean isReadOnly() {
    return fs.isReadOnly();
  }

  @Override
  public long getTotalSpace() throws IOException {
    return fs.info().size();
  }

  /**
   * What can still be written without the image growing past its host's room: nothing on a
   * read-only image; the whole disk of a fixed image, whose every byte is already in the file;
   * for a sparse image the part of the disk in blocks not yet allocated, capped at the usable
   * space of the host's own store. Copy tools check this before they write.
   */
  @Override
  public long getUsableSpace() throws IOException {
    return writable(hostStore().getUsableSpace());
  }

  /** As {@link #getUsableSpace}, capped at the host store's unallocated space. */
  @Override
  public long getUnallocatedSpace() throws IOException {
    return writable(hostStore().getUnallocatedSpace());
  }

  /** The disk's sector: VHD addresses 512-byte sectors only. */
  @Override
  public long getBlockSize() {
    return SECTOR;
  }

  private FileStore hostStore() throws IOException {
    return Files.getFileStore(fs.image());
  }

  private long writable(long hostRoom) throws IOException {
    if (fs.isReadOnly()) {
      return 0;
    }
    DiskInfo info = fs.info();
    if (info.blockSize() == 0) {
      return info.size();
    }
    long unallocated = info.size() - Math.max(0, info.allocatedBlocks()) * info.blockSize();
    return Math.max(0, Math.min(hostRoom, unallocated));
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == VhdFileAttributeView.class
        || type == PartitionAttributeView.class;
  }

  @Override
  public boolean supportsFileAttributeView(String name) {
    return fs.supportedFileAttributeViews().contains(name);
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  /** {@code totalSpace}, {@code usableSpace}, {@code unallocatedSpace} and {@code blockSize}. */
  @Override
  public Object getAttribute(String attribute) throws IOException {
    return switch (attribute) {
      case "totalSpace" -> getTotalSpace();
      case "usableSpace" -> getUsableSpace();
      case "unallocatedSpace" -> getUnallocatedSpace();
      case "blockSize" -> getBlockSize();
      default -> throw new UnsupportedOperationException(
          "no file store attribute '" + attribute + "'");
    };
  }

  /** The image it holds, as its file system names it. */
  @Override
  public String toString() {
    return fs + " (" + type() + ")";
  }
}
