package io.vhdfs.nio;

import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;

/**
 * What the partition table says of a partition entry ({@code /p1}, {@code /p2}, ...), with the
 * basic attributes of the entry. Read it with
 * {@code Files.readAttributes(partition, PartitionAttributes.class)}, or by name with
 * {@code Files.readAttributes(partition, "partition:*")}; the names are the method names below.
 * Only partition entries have it: on {@code /disk} and {@code /} the view is absent.
 *
 * <p>{@link #size()} is the partition's size, the times are the image file's.
 */
public interface PartitionAttributes extends BasicFileAttributes {
  /**
   * The partition's number, as in its file name and as Linux numbers it: 1–4 for MBR primaries,
   * 5 onwards for logical partitions, the entry's index + 1 in a GPT.
   */
  int number();

  /** {@code "mbr"} or {@code "gpt"}. */
  String scheme();

  /** The byte offset of the partition on the disk. */
  long start();

  /**
   * MBR: the type id as two upper-case hex digits, e.g. {@code "83"}; GPT: the partition type
   * GUID in upper case, e.g. {@code "0FC63DAF-8483-4772-8E79-3D69D8477DE4"}.
   */
  String type();

  /** The GPT partition name; {@code null} for MBR partitions. */
  String name();

  /** The GPT unique partition GUID; {@code null} for MBR partitions. */
  UUID uuid();

  /**
   * MBR: whether the boot indicator is set (0x80); GPT: attribute bit 2, "legacy BIOS
   * bootable".
   */
  boolean bootable();

  /** The GPT attribute flags (bit 0 required, bit 2 legacy BIOS bootable, ...); 0 for MBR. */
  long attributes();
}
