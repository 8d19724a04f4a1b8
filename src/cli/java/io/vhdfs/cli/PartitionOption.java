package io.vhdfs.cli;

/**
 * {@code --partition N}: work on one partition of a VHD's disk instead of all of it, numbered as
 * the image's file system names its entries ({@code /pN}) and as Linux numbers them.
 */
final class PartitionOption {
  Integer partition;

  /** Declares the option on {@code syntax}, bound to this instance. */
  CommandSyntax addTo(CommandSyntax syntax) {
    return syntax.option("--partition", "N", "Partition N of the VHD's disk instead of the "
        + "whole disk: 1-4 the MBR's primary partitions, 5 on its logical ones, or GPT entry N.",
        v -> partition = Arguments.integer(v));
  }

  /** The number asked for, or 0 for the whole disk. */
  int number() {
    if (partition != null && partition < 1) {
      throw new IllegalArgumentException("--partition: " + partition + " is not a partition "
          + "number (1 or more)");
    }
    return partition == null ? 0 : partition;
  }

  /** The words naming what was worked on: "" for the whole disk, else " partition N". */
  String suffix() {
    return partition == null ? "" : " partition " + partition;
  }
}
