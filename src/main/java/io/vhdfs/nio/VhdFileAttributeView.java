package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;

/** The {@code vhd} attribute view: {@link VhdFileAttributes} of the image holding a path. */
public interface VhdFileAttributeView extends BasicFileAttributeView {
  /** Returns {@code "vhd"}. */
  @Override
  String name();

  @Override
  VhdFileAttributes readAttributes() throws IOException;
}
