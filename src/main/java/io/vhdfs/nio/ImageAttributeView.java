package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;

/** The {@code basic} and {@code vhd} views of one entry; reading opens nothing until asked. */
final class ImageAttributeView implements VhdFileAttributeView {
  private final VhdFileSystemProvider provider;
  private final VhdPath path;
  private final String name;

  ImageAttributeView(VhdFileSystemProvider provider, VhdPath path, String name) {
    this.provider = provider;
    this.path = path;
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public VhdFileAttributes readAttributes() throws IOException {
    return provider.attributesOf(path);
  }

  /** The entries' times are the image file's, so they are set there. */
  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    VhdFileSystem fs = path.getFileSystem();
    fs.ensureOpen();
    if (fs.isReadOnly()) {
      throw new ReadOnlyFileSystemException();
    }
    Files.getFileAttributeView(fs.image(), BasicFileAttributeView.class)
        .setTimes(lastModifiedTime, lastAccessTime, createTime);
  }
}
