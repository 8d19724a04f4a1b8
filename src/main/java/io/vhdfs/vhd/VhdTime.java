package io.vhdfs.vhd;

import java.time.Instant;

/** VHD timestamps: unsigned 32-bit seconds since 2000-01-01 00:00:00 UTC. */
final class VhdTime {
  /** Seconds from the Unix epoch to the VHD epoch. */
  static final long EPOCH_OFFSET = 946_684_800L;

  private VhdTime() {}

  /** The stored timestamp of {@code instant}, clamped to what 32 unsigned bits can hold. */
  public static long of(Instant instant) {
    return Math.max(0, Math.min(0xFFFF_FFFFL, instant.getEpochSecond() - EPOCH_OFFSET));
  }

  /** The instant a stored timestamp stands for. */
  public static Instant toInstant(long vhdSeconds) {
    return Instant.ofEpochSecond(EPOCH_OFFSET + vhdSeconds);
  }
}
