package io.vhdfs.cli;

import java.util.Map;

/**
 * {@code -U}/{@code --force-share} of the commands that only read, as qemu-img has it: read an
 * image another process (a VM, qemu-nbd, a vhdfs writer) has open for writing, without taking
 * part in QEMU's image locks. What is read may be in the middle of a change.
 */
final class ForceShare {
  boolean forceShare;

  /** Declares the option on {@code syntax}, bound to this instance. */
  CommandSyntax addTo(CommandSyntax syntax) {
    return syntax.flag("-U, --force-share", "Read even while another process writes the image "
        + "(QEMU's -U): take and check no image locks. The data may be in the middle of a "
        + "change.", () -> forceShare = true);
  }

  /** {@code env} with locking off where asked. */
  Map<String, Object> applyTo(Map<String, Object> env) {
    if (forceShare) {
      env.put("locking", "off");
      env.put("accessMode", "readOnly");
    }
    return env;
  }
}
