package io.vhdfs.cli;

/**
 * A command line the tool cannot take: an unknown option, a missing parameter, a value that is
 * not what the option wants. Reported as one line that points at the command's {@code --help}.
 */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The command whose help explains the usage: {@code vhd} or {@code vhd NAME}. */
  private final String command;

  UsageException(String command, String message) {
    super(message);
    this.command = command;
  }

  /** The one line the tool prints: the message and where to read the usage. */
  String line() {
    return "vhd: " + getMessage() + " (see '" + command + " --help')";
  }
}
