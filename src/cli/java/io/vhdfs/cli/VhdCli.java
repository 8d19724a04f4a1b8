package io.vhdfs.cli;

import io.vhdfs.VhdFormatException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code vhd}: the command-line tool over {@link io.vhdfs.nio.VhdImages} and the {@code vhd:}
 * provider. Exit codes: 0 success, 1 findings (differences, defects), 2 errors. Errors are one
 * line on standard error; {@code --debug} adds the stack trace.
 */
public final class VhdCli {
  /** Success. */
  public static final int OK = 0;
  /** The command ran and found something: images differ, an image has defects. */
  public static final int FINDINGS = 1;
  /** The command could not do its work. */
  public static final int ERROR = 2;

  private static final String DESCRIPTION = "Inspect, create, convert, check, compare, resize, "
      + "compact, merge and restore Microsoft VHD and VHDX disk images.";

  /** The commands, in the order the tool's help lists them; each run makes its own instance. */
  private static final Map<String, Supplier<Subcommand>> COMMANDS = commands();

  private VhdCli() {}

  private static Map<String, Supplier<Subcommand>> commands() {
    Map<String, Supplier<Subcommand>> m = new LinkedHashMap<>();
    m.put("info", InfoCommand::new);
    m.put("create", CreateCommand::new);
    m.put("map", MapCommand::new);
    m.put("compare", CompareCommand::new);
    m.put("commit", CommitCommand::new);
    m.put("compact", CompactCommand::new);
    m.put("convert", ConvertCommand::new);
    m.put("check", CheckCommand::new);
    m.put("restore", RestoreCommand::new);
    m.put("set-parent", SetParentCommand::new);
    m.put("merge", MergeCommand::new);
    m.put("resize", ResizeCommand::new);
    m.put("demo", DemoCommand::new);
    return m;
  }

  /** Runs the tool with the process's streams and exits with its code. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, out, err));
  }

  /** Runs the tool in this process, writing to {@code out} and {@code err}; returns the code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    boolean debug = Arrays.asList(args).contains("--debug");
    Streams io = new Streams(out, err);
    try {
      return dispatch(args, io, debug);
    } catch (UsageException e) {
      // One line, like every other error; the usage is a --help away.
      err.println(e.line());
      if (debug) {
        e.printStackTrace(err);
      }
      return ERROR;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private static int dispatch(String[] args, Streams io, boolean debug) throws UsageException {
    if (args.length == 0) {
      throw new UsageException("vhd", "Missing required subcommand");
    }
    String first = args[0];
    if (CommandSyntax.HELP.names().contains(first)) {
      io.out().print(UsageText.ofTool(DESCRIPTION,
          COMMANDS.values().stream().map(c -> c.get().syntax()).toList()));
      return OK;
    }
    if (CommandSyntax.VERSION.names().contains(first)) {
      io.out().println(version());
      return OK;
    }
    Supplier<Subcommand> named = COMMANDS.get(first);
    if (named == null) {
      throw new UsageException("vhd", first.startsWith("-") && first.length() > 1
          ? "Unknown option: '" + first + "'"
          : "Unmatched argument at index 0: '" + first + "'");
    }
    Subcommand command = named.get();
    CommandSyntax syntax = command.syntax();
    CommandSyntax.Outcome outcome = syntax.parse(Arrays.asList(args).subList(1, args.length), 1);
    if (outcome == CommandSyntax.Outcome.HELP) {
      io.out().print(UsageText.of(syntax));
      return OK;
    }
    if (outcome == CommandSyntax.Outcome.VERSION) {
      io.out().println(version());
      return OK;
    }
    try {
      return command.call(io);
    } catch (UsageException e) {
      throw e;
    } catch (Exception e) {
      io.err().println("vhd " + syntax.name() + ": " + inToolTerms(describe(e), e, syntax));
      if (debug) {
        e.printStackTrace(io.err());
      }
      return ERROR;
    }
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
  static String inToolTerms(String message, Throwable e, CommandSyntax cmd) {
    String m = message;
    for (Map.Entry<String, String> k : OPTION_OF_KEY.entrySet()) {
      m = m.replace("env key '" + k.getKey() + "'", k.getValue());
    }
    if (e instanceof FileAlreadyExistsException
        && cmd.hasOption("--force")) {
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
  static String version() {
    String v = VhdCli.class.getPackage().getImplementationVersion();
    return "vhd " + (v == null ? "(development build)" : v);
  }
}
