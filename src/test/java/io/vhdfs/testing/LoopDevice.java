package io.vhdfs.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A block device over a file, made with {@code losetup} (Linux, as root) and detached on close.
 * Tests skip, saying why, where {@code losetup} is missing or cannot attach one.
 */
public final class LoopDevice implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private final Path device;

  private LoopDevice(Path device) {
    this.device = device;
  }

  /** Attaches {@code backing}, a file whose length is the device's size, to a free loop device. */
  public static LoopDevice attach(Path backing) {
    PeerRequirement.assumePresent(QemuTools.onPath("losetup").isPresent(),
        "no losetup to make a block device");
    QemuTools.Exit exit = QemuTools.runForExit(TIMEOUT,
        List.of("losetup", "--find", "--show", backing.toString()));
    Assumptions.assumeTrue(exit.code() == 0, "losetup could not attach a loop device (root "
        + "and /dev/loop* are needed): " + exit.stderr().strip());
    return new LoopDevice(Path.of(exit.stdout().strip()));
  }

  /** The device, {@code /dev/loopN}. */
  public Path path() {
    return device;
  }

  /** Detaches the device; its writes are then in the backing file. */
  @Override
  public void close() {
    QemuTools.run(TIMEOUT, List.of("losetup", "--detach", device.toString()));
  }
}
