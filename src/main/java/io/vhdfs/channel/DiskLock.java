package io.vhdfs.channel;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileLock;

/** A lock on a byte range of a virtual disk, registered in the image's {@link DiskLocks}. */
final class DiskLock extends FileLock {
  private final DiskLocks locks;
  private volatile boolean valid = true;

  DiskLock(DiskChannel channel, DiskLocks locks, long position, long size, boolean shared) {
    super(channel, position, size, shared);
    this.locks = locks;
  }

  @Override
  public boolean isValid() {
    return valid && acquiredBy().isOpen();
  }

  /** Drops the lock without the open-channel check, for the channel's own close. */
  void invalidate() {
    valid = false;
    locks.remove(this);
  }

  @Override
  public void release() throws IOException {
    if (!acquiredBy().isOpen()) {
      throw new ClosedChannelException();
    }
    invalidate();
  }
}
