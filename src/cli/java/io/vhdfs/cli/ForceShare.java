package io.vhdfs.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code -U}/{@code --force-share} of the commands that only read, as qemu-img has it: read an
 * image another process (a VM, qemu-nbd, a vhdfs writer) has open for writing, without taking
 * part in QEMU's image locks. What is read may be in the middle of a change.
 */
final class ForceShare {
  @Option(names = {"-U", "--force-share"},
      description = "Read even while another process writes the image (QEMU's -U): take and "
          + "check no image locks. The data may be in the middle of a change.")
  boolean forceShare;

  /** {@code env} with locking off where asked. */
  Map<String, Object> applyTo(Map<String, Object> env) {
    if (forceShare) {
      env.put("locking", "off");
      env.put("accessMode", "readOnly");
    }
    return env;
  }
}
