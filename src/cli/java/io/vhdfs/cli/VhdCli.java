package io.vhdfs.cli;

import io.vhdfs.VhdFormatException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code vhd}: the command-line tool over {@link io.vhdfs.nio.VhdImages} and the {@code vhd:}
 * provider. Exit codes: 0 success, 1 findings (differences, defects), 2 errors. Errors are one
 * line on standard error; {@code --debug} adds the stack trace.
 */
@Command(name = "vhd", mixinStandardHelpOptions = true,
    versionProvider = VhdCli.Version.class,
    description = "Inspect, create, convert, check, compare, merge and restore Microsoft VHD disk "
        + "images.",
    subcommands = {InfoCommand.class, CreateCommand.class, MapCommand.class,
        CompareCommand.class, CommitCommand.class, CompactCommand.class, ConvertCommand.class,
        CheckCommand.class, RestoreCommand.class, SetParentCommand.class, MergeCommand.class,
        ResizeCommand.class, DemoCommand.class})
public final class VhdCli {
  /** Success. */
  public static final int OK = 0;
  /** The command ran and found something: images differ, an image has defects. */
  public static final int FINDINGS = 1;
  /** The command could not do its work. */
  public static final int ERROR = 2;

  /** Runs the tool with the process's streams and exits with its code. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, out, err));
  }

  /** Runs the tool in this process, writing to {@code out} and {@code err}; returns the code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    boolean debug = Arrays.asList(args).contains("--debug");
    CommandLine cl = new CommandLine(new VhdCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      err.println("vhd " + cmd.getCommandName() + ": " + inToolTerms(describe(e), e, cmd));
      if (debug) {
        e.printStackTrace(err);
      }
      err.flush();
      return ERROR;
    });
    cl.setParameterExceptionHandler((e, args1) -> {
      // One line, like every other error; the usage is a --help away.
      err.println("vhd: " + e.getMessage() + " (see '"
          + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
      if (debug) {
        e.printStackTrace(err);
      }
      err.flush();
      return ERROR;
    });
    int code = cl.execute(args);
    out.flush();
    return code;
  }

  /** The library's env keys as the options and parameters that set them. */
  private static final Map<String, String> OPTION_OF_KEY = Map.of("size", "SIZE",
      "blockSize", "--block-size", "type", "--type", "parent", "--parent",
      "parentRoot", "--parent-root", "format", "--format",
      "logicalSectorSize", "--logical-sector-size",
      "physicalSectorSize", "--physical-sector-size");

  /**
   * {@code message} as a user of the tool reads it: env keys named as the tool's options, and a
   * destination that exists with the option that would replace it.
   */
  static String inToolTerms(String message, Throwable e, CommandLine cmd) {
    String m = message;
    for (Map.Entry<String, String> k : OPTION_OF_KEY.entrySet()) {
      m = m.replace("env key '" + k.getKey() + "'", k.getValue());
    }
    if (e instanceof FileAlreadyExistsException
        && cmd.getCommandSpec().findOption("--force") != null) {
      m += " (add --force to replace it)";
    }
    return m;
  }

  /** One line that says what went wrong, without the exception's class where it says nothing. */
  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      return n.getReason() == null ? "no such file: " + n.getFile() : n.getMessage();
    }
    if (e instanceof FileAlreadyExistsException f) {
      return "already exists: " + f.getFile();
    }
    if (e instanceof AccessDeniedException a) {
      return a.getReason() == null ? "access denied: " + a.getFile() : a.getMessage();
    }
    if (e instanceof VhdFormatException || e instanceof FileSystemException
        || e instanceof IllegalArgumentException) {
      return e.getMessage();
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + m;
  }

  /** The version from the jar's manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = VhdCli.class.getPackage().getImplementationVersion();
      return new String[] {"vhd " + (v == null ? "(development build)" : v)};
    }
  }
}
