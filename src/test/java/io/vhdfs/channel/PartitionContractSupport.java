package io.vhdfs.channel;

import io.vhdfs.testing.PartitionTableBuilder;
import io.vhdfs.testing.PartitionTableBuilder.Slot;
import java.util.Arrays;

/**
 * Disks for the channel contract on partitions: the content is a partition at an offset that
 * is no multiple of a block, between bytes of a pattern that no test writes, so a window that
 * reads or writes a byte off shows.
 */
final class PartitionContractSupport {
  /** Where the partition starts: 1 MiB and 7 sectors, inside a block of any size. */
  static final int START = (1 << 20) + 7 * 512;
  /** The bytes after the partition. */
  static final int AFTER = 1 << 20;
  /** The sector the extended partition, and its EBR, start at. */
  private static final int EXTENDED = 63;

  private PartitionContractSupport() {}

  /**
   * A disk whose MBR puts {@code content} in logical partition 5 (behind an extended partition
   * from sector 63), or, with {@code primary}, in primary partition 2 (p1 a small one before it).
   */
  static byte[] disk(byte[] content, boolean primary) {
    byte[] disk = new byte[START + content.length + AFTER];
    for (int i = 0; i < disk.length; i++) {
      disk[i] = (byte) (0xA5 ^ i / 512);
    }
    Arrays.fill(disk, 0, 512, (byte) 0);
    int sectors = content.length / 512;
    if (primary) {
      PartitionTableBuilder.writeBootRecord(disk, 512, 0, Slot.of(0, 0x83, 8, 56),
          Slot.of(1, 0x83, START / 512, sectors));
    } else {
      PartitionTableBuilder.writeBootRecord(disk, 512, 0,
          Slot.of(0, 0x05, EXTENDED, disk.length / 512 - EXTENDED));
      Arrays.fill(disk, EXTENDED * 512, EXTENDED * 512 + 512, (byte) 0);
      PartitionTableBuilder.writeBootRecord(disk, 512, EXTENDED,
          Slot.of(0, 0x83, START / 512 - EXTENDED, sectors));
    }
    System.arraycopy(content, 0, disk, START, content.length);
    return disk;
  }

  /** {@code disk} with the partition's bytes replaced by {@code content}. */
  static byte[] withContent(byte[] disk, byte[] content) {
    byte[] out = disk.clone();
    System.arraycopy(content, 0, out, START, content.length);
    return out;
  }
}
