package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.attribute.FileTime;

/** The {@code partition} view of one partition entry; reading opens nothing until asked. */
final class PartitionFileAttributeView implements PartitionAttributeView {
  static final String NAME = "partition";

  private final VhdFileSystemProvider provider;
  private final VhdPath path;

  PartitionFileAttributeView(VhdFileSystemProvider provider, VhdPath path) {
    this.provider = provider;
    this.path = path;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PartitionAttributes readAttributes() throws IOException {
    return provider.partitionAttributesOf(path);
  }

  /** The entries' times are the image file's, so they are set there, as for the disk. */
  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    new ImageAttributeView(provider, path, NAME).setTimes(lastModifiedTime, lastAccessTime,
        createTime);
  }
}
