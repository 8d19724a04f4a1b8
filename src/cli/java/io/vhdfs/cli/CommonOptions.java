package io.vhdfs.cli;

import java.util.HashMap;
import java.util.Map;

/** Options every command takes. */
final class CommonOptions {
  boolean json;
  boolean quiet;
  String parentRoot;
  boolean ignoreParentId;

  /** Declares the options on {@code syntax}, bound to this instance. */
  CommandSyntax addTo(CommandSyntax syntax) {
    return syntax.flag("--json", "Print data as JSON.", () -> json = true)
        .flag("--quiet", "No progress on standard error.", () -> quiet = true)
        // Looked for by VhdCli before parsing, so a usage error gets its stack trace too.
        .flag("--debug", "Stack traces with errors.", () -> { })
        .option("--parent-root", "DIR",
            "Open no parent image outside DIR (for images from untrusted sources).",
            v -> parentRoot = v)
        .flag("--ignore-parent-id",
            "Accept a parent whose unique id differs from the one the child records.",
            () -> ignoreParentId = true);
  }

  /** The env map of the library's operations. */
  Map<String, Object> env() {
    Map<String, Object> env = new HashMap<>();
    if (parentRoot != null) {
      env.put("parentRoot", parentRoot);
    }
    if (ignoreParentId) {
      env.put("ignoreParentId", "true");
    }
    return env;
  }
}
