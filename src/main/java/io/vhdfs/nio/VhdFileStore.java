package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;

/** The store of an image's file system: its capacity is the virtual size. */
final class VhdFileStore extends FileStore {
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
    return "vhd";
  }

  @Override
  public boolean isReadOnly() {
    return fs.isReadOnly();
  }

  @Override
  public long getTotalSpace() throws IOException {
    return fs.info().size();
  }

  /** Nothing can be added to the file system: the disk's size is fixed. */
  @Override
  public long getUsableSpace() {
    return 0;
  }

  @Override
  public long getUnallocatedSpace() {
    return 0;
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == VhdFileAttributeView.class;
  }

  @Override
  public boolean supportsFileAttributeView(String name) {
    return fs.supportedFileAttributeViews().contains(name);
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  @Override
  public Object getAttribute(String attribute) {
    throw new UnsupportedOperationException("no file store attribute '" + attribute + "'");
  }
}
