package io.vhdfs.disk;

/**
 * Whether an image takes part in QEMU's image locking ({@link ImageLock}): env key
 * {@code locking}.
 */
public enum Locking {
  /** Lock where the host supports locks other processes see; go without elsewhere. */
  AUTO,
  /** Lock, and refuse to open an image whose host cannot be locked. */
  ON,
  /**
   * Take no part: nothing is locked and nothing is checked, so this process may read while
   * another writes (what {@code qemu-img -U} does) or, if it writes, lose writes to the other.
   */
  OFF
}
