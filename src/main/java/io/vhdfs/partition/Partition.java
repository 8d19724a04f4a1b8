package io.vhdfs.partition;

import java.util.Objects;
import java.util.UUID;

/**
 * One partition of a disk, as its table describes it; offsets and sizes in bytes of the disk.
 *
 * @param number the partition's number as Linux gives it: 1–4 for MBR primaries, 5 onwards for
 *     logical partitions in the order of the extended chain, the entry's index + 1 in a GPT
 * @param scheme the table the partition is in
 * @param start the byte offset of its first sector on the disk
 * @param size its length in bytes, more than 0
 * @param type MBR: the type id as two upper-case hex digits ({@code "83"}); GPT: the partition
 *     type GUID in upper case ({@code "0FC63DAF-8483-4772-8E79-3D69D8477DE4"})
 * @param name the GPT partition name; {@code null} for MBR partitions
 * @param uuid the GPT unique partition GUID; {@code null} for MBR partitions
 * @param bootable MBR: the boot indicator (0x80); GPT: attribute bit 2, "legacy BIOS bootable"
 * @param attributes the GPT attribute flags; 0 for MBR partitions
 */
public record Partition(int number, Scheme scheme, long start, long size, String type,
    String name, UUID uuid, boolean bootable, long attributes) {

  /** The partitioning scheme of a table. */
  public enum Scheme {
    /** A master boot record, with logical partitions in an extended partition's EBR chain. */
    MBR("mbr"),
    /** A GUID partition table behind a protective MBR. */
    GPT("gpt");

    private final String label;

    Scheme(String label) {
      this.label = label;
    }

    /** {@code "mbr"} or {@code "gpt"}, as the {@code partition} attribute view names it. */
    public String label() {
      return label;
    }
  }

  public Partition {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(type, "type");
    if (number < 1 || start < 0 || size <= 0 || start + size < 0) {
      throw new IllegalArgumentException("partition " + number + " at " + start + " of " + size
          + " bytes");
    }
  }

  /** The byte offset just past its last sector. */
  public long end() {
    return start + size;
  }

  /** Its file name in the image's file system, {@code "p" + number}. */
  public String fileName() {
    return "p" + number;
  }
}
