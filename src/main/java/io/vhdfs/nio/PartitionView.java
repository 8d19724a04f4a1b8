package io.vhdfs.nio;

import io.vhdfs.disk.DiskView;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.partition.Partition;
import io.vhdfs.partition.PartitionDisk;
import io.vhdfs.partition.PartitionTable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Partition {@code number} of an image's disk, as {@code /pN} in its file system shows it. */
final class PartitionView implements DiskView {
  private final int number;

  private PartitionView(int number) {
    this.number = number;
  }

  /**
   * The whole disk for 0, else partition {@code number}.
   *
   * @throws IllegalArgumentException for a negative number
   */
  static DiskView of(int number) {
    if (number < 0) {
      throw new IllegalArgumentException("partition " + number + " is not a partition number "
          + "(1 or more; 0 for the whole disk)");
    }
    return number == 0 ? DiskView.WHOLE : new PartitionView(number);
  }

  @Override
  public VirtualDisk select(VirtualDisk disk, Path image) throws IOException {
    PartitionTable table = PartitionTable.read(disk, disk.info().sectorSize(), image.toString());
    table.logProblems();
    Partition p = table.partition(number).orElse(null);
    if (p == null) {
      String listed = table.scheme()
          .map(scheme -> "its " + scheme.label() + " partition table lists "
              + (table.partitions().isEmpty() ? "none" : table.partitions().stream()
                  .map(q -> Integer.toString(q.number())).collect(Collectors.joining(", "))))
          .orElse("its disk has no partition table");
      throw new NoSuchFileException(image.toString(), null,
          "no partition " + number + ": " + listed);
    }
    return PartitionDisk.of(disk, p, image.toString());
  }
}
