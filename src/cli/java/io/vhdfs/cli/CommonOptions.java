package io.vhdfs.cli;

import picocli.CommandLine.Option;

/** Options every command takes. */
final class CommonOptions {
  @Option(names = "--json", description = "Print data as JSON.")
  boolean json;

  @Option(names = "--quiet", description = "No progress on standard error.")
  boolean quiet;

  @Option(names = "--debug", description = "Stack traces with errors.")
  boolean debug;

  @Option(names = "--parent-root", paramLabel = "DIR",
      description = "Open no parent image outside DIR (for images from untrusted sources).")
  String parentRoot;

  @Option(names = "--ignore-parent-id",
      description = "Accept a parent whose unique id differs from the one the child records.")
  boolean ignoreParentId;

  /** The env map of the library's operations. */
  java.util.Map<String, Object> env() {
    java.util.Map<String, Object> env = new java.util.HashMap<>();
    if (parentRoot != null) {
      env.put("parentRoot", parentRoot);
    }
    if (ignoreParentId) {
      env.put("ignoreParentId", "true");
    }
    return env;
  }
}
