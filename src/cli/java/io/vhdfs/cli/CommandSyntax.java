package io.vhdfs.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What one command takes, and the parser that binds a command line to it: options ({@code
 * --name VALUE}, {@code --name=VALUE}, or a flag), then parameters by position, each handed to
 * the command's field as it is read. Every command also takes {@code -h}/{@code --help} and
 * {@code -V}/{@code --version}.
 *
 * <p>Why not picocli, which the tool used before: building its model of a dozen commands from
 * their annotations took some 180 ms of every run (171 classes, Java 5 class files that no
 * class-data-sharing archive takes, dynamic proxies for every annotation), three times the JVM's
 * own start, for a tool whose conversions take a fraction of a second. The messages keep
 * picocli's words, which scripts and users may already know.
 */
final class CommandSyntax {
  /** What the help and version options are called on every command. */
  static final Option HELP = new Option(List.of("-h", "--help"), null,
      "Show this help message and exit.", v -> { });
  static final Option VERSION = new Option(List.of("-V", "--version"), null,
      "Print version information and exit.", v -> { });

  /**
   * An option: its names (short first), the label of its value or null for a flag, its help
   * text, and what takes its value (a flag's is null).
   */
  record Option(List<String> names, String label, String description, Consumer<String> binding) {
    boolean takesValue() {
      return label != null;
    }

    /** Its long name, by which messages name it. */
    String name() {
      return names.get(names.size() - 1);
    }

    /** {@code '--to' (TYPE)}, as messages name an option with a value. */
    String named() {
      return "'" + name() + "'" + (takesValue() ? " (" + label + ")" : "");
    }
  }

  /** A parameter by position: its label, whether it may be left out, its help text, its taker. */
  record Parameter(String label, boolean optional, String description,
      Consumer<String> binding) {}

  /** What a command line asks for once parsed. */
  enum Outcome {
    /** Run the command: every argument is bound. */
    RUN,
    /** Print the command's usage; nothing is bound. */
    HELP,
    /** Print the tool's version; nothing is bound. */
    VERSION
  }

  private final String name;
  private final List<String> description;
  private final List<Option> options = new ArrayList<>();
  private final List<Parameter> parameters = new ArrayList<>();

  private CommandSyntax(String name, List<String> description) {
    this.name = name;
    this.description = description;
  }

  /** A command called {@code name}, described by paragraphs of help text. */
  static CommandSyntax of(String name, String... description) {
    return new CommandSyntax(name, List.of(description));
  }

  /**
   * A flag, set when given. {@code names} is one name or a short and a long one as help shows
   * them ({@code "-s, --strict"}).
   */
  CommandSyntax flag(String names, String description, Runnable set) {
    return add(new Option(List.of(names.split(", ")), null, description, v -> set.run()));
  }

  /**
   * An option with a value labelled {@code label} in help. {@code take} gets the value as given
   * and may throw an {@link IllegalArgumentException} saying what is wrong with it.
   */
  CommandSyntax option(String names, String label, String description, Consumer<String> take) {
    return add(new Option(List.of(names.split(", ")), label, description, take));
  }

  /** The next parameter by position, required. */
  CommandSyntax parameter(String label, String description, Consumer<String> take) {
    parameters.add(new Parameter(label, false, description, take));
    return this;
  }

  /** The next parameter by position, which may be left out; none may follow it. */
  CommandSyntax optionalParameter(String label, String description, Consumer<String> take) {
    parameters.add(new Parameter(label, true, description, take));
    return this;
  }

  private CommandSyntax add(Option option) {
    options.add(option);
    return this;
  }

  String name() {
    return name;
  }

  /** {@code vhd NAME}, as messages and help name the command. */
  String qualifiedName() {
    return "vhd " + name;
  }

  List<String> description() {
    return description;
  }

  /** The command's own options, then help and version. */
  List<Option> options() {
    List<Option> all = new ArrayList<>(options);
    all.add(HELP);
    all.add(VERSION);
    return all;
  }

  List<Parameter> parameters() {
    return parameters;
  }

  /** Whether the command has an option of that name. */
  boolean hasOption(String optionName) {
    return find(optionName) != null;
  }

  /**
   * Binds {@code args}, the arguments after the command's name, to the command; {@code first} is
   * the index of {@code args[0]} on the whole command line, for messages. A help or version
   * option anywhere before {@code --} wins over everything else, as it did with picocli.
   *
   * @throws UsageException for an unknown option, a missing or surplus parameter, an option
   *     given twice or without its value, or a value its taker refuses
   */
  Outcome parse(List<String> args, int first) throws UsageException {
    for (String a : args) {
      if (a.equals("--")) {
        break;
      }
      if (HELP.names().contains(a)) {
        return Outcome.HELP;
      }
      if (VERSION.names().contains(a)) {
        return Outcome.VERSION;
      }
    }
    // By identity: a record's own hashCode would be bootstrapped through method handles, some
    // 30 ms of the tool's start.
    Set<Option> given = Collections.newSetFromMap(new IdentityHashMap<>());
    int position = 0;
    boolean optionsEnded = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!optionsEnded && a.equals("--")) {
        optionsEnded = true;
      } else if (!optionsEnded && looksLikeAnOption(a)) {
        i = takeOption(args, i, given);
      } else if (position < parameters.size()) {
        take(parameters.get(position++), a);
      } else {
        throw usage("Unmatched argument at index " + (first + i) + ": '" + a + "'");
      }
    }
    List<String> missing = new ArrayList<>();
    for (Parameter p : parameters.subList(position, parameters.size())) {
      if (!p.optional()) {
        missing.add("'" + p.label() + "'");
      }
    }
    if (!missing.isEmpty()) {
      throw usage("Missing required parameter" + (missing.size() == 1 ? "" : "s") + ": "
          + String.join(", ", missing));
    }
    return Outcome.RUN;
  }

  /** Takes the option at {@code args[i]} and its value; returns the index of its last argument. */
  private int takeOption(List<String> args, int i, Set<Option> given) throws UsageException {
    String a = args.get(i);
    int equals = a.startsWith("--") ? a.indexOf('=') : -1;
    String optionName = equals > 0 ? a.substring(0, equals) : a;
    Option o = find(optionName);
    if (o == null) {
      throw usage("Unknown option: '" + a + "'");
    }
    if (!given.add(o)) {
      throw usage("option " + o.named() + " should be specified only once");
    }
    if (!o.takesValue()) {
      if (equals > 0) {
        throw usage("option '" + o.name() + "' takes no value, not '" + a.substring(equals + 1)
            + "'");
      }
      o.binding().accept(null);
      return i;
    }
    String value;
    int last = i;
    if (equals > 0) {
      value = a.substring(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args.get(++last);
    } else {
      throw usage("Missing required parameter for option " + o.named());
    }
    try {
      o.binding().accept(value);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for option '" + o.name() + "': " + e.getMessage());
    }
    return last;
  }

  private void take(Parameter p, String value) throws UsageException {
    try {
      p.binding().accept(value);
    } catch (IllegalArgumentException e) {
      throw usage("Invalid value for parameter '" + p.label() + "': " + e.getMessage());
    }
  }

  private Option find(String optionName) {
    for (Option o : options) {
      if (o.names().contains(optionName)) {
        return o;
      }
    }
    return null;
  }

  /**
   * An argument that starts with a dash, but not {@code -} (standard input or output, to
   * commands that take it) or a negative number (a size the command will refuse in its own
   * words).
   */
  private static boolean looksLikeAnOption(String a) {
    return a.length() > 1 && a.charAt(0) == '-' && !a.substring(1).matches("[0-9][0-9.]*[A-Za-z]?");
  }

  UsageException usage(String message) {
    return new UsageException(qualifiedName(), message);
  }
}
