package io.vhdfs.cli;

/**
 * One of the tool's commands. {@link #syntax} declares its options and parameters, bound to the
 * command's fields; the tool parses the arguments into them and then {@linkplain #call calls} it.
 * An instance serves one run.
 */
interface Subcommand {
  /** The command's name, description, options and parameters, bound to this instance. */
  CommandSyntax syntax();

  /**
   * Runs the command with the parsed arguments.
   *
   * @return the exit code: {@link VhdCli#OK}, {@link VhdCli#FINDINGS} or {@link VhdCli#ERROR}
   * @throws UsageException for a combination of arguments the command cannot take
   * @throws Exception for whatever stopped the work, printed as one line
   */
  int call(Streams io) throws Exception;
}
