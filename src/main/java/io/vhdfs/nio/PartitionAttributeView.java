package io.vhdfs.nio;

import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;

/**
 * The {@code partition} attribute view: {@link PartitionAttributes} of a partition entry.
 * {@code Files.getFileAttributeView} returns {@code null} for entries that are not partitions.
 */
public interface PartitionAttributeView extends BasicFileAttributeView {
  /** Returns {@code "partition"}. */
  @Override
  String name();

  @Override
  PartitionAttributes readAttributes() throws IOException;
}
