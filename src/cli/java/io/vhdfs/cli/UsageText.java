package io.vhdfs.cli;

import java.util.List;

/**
 * {@code --help}: a command's usage line, its description, and its parameters and options with
 * their help text, wrapped to 80 columns; and the tool's, which lists the commands.
 */
final class UsageText {
  private static final int WIDTH = 80;
  /** Where help text starts after an option's names, unless the names are longer. */
  private static final int TEXT_COLUMN = 26;
  /** Where a command's first sentence starts in the tool's help. */
  private static final int COMMAND_TEXT_COLUMN = 14;

  private UsageText() {}

  /** The help of one command. */
  static String of(CommandSyntax syntax) {
    StringBuilder usage = new StringBuilder("Usage: " + syntax.qualifiedName() + " [OPTIONS]");
    for (CommandSyntax.Parameter p : syntax.parameters()) {
      usage.append(' ').append(p.optional() ? "[" + p.label() + "]" : p.label());
    }
    StringBuilder s = new StringBuilder();
    s.append(usage).append('\n');
    for (String paragraph : syntax.description()) {
      wrap(s, paragraph, 0);
    }
    if (!syntax.parameters().isEmpty()) {
      s.append("Parameters:\n");
      for (CommandSyntax.Parameter p : syntax.parameters()) {
        entry(s, "  " + p.label(), p.description(), TEXT_COLUMN);
      }
    }
    s.append("Options:\n");
    for (CommandSyntax.Option o : syntax.options()) {
      // Long names line up whether or not there is a short one, as picocli lays them out.
      String names = o.names().size() == 1 ? "      " + o.name()
          : "  " + String.join(", ", o.names());
      entry(s, o.takesValue() ? names + "=" + o.label() : names, o.description(),
          TEXT_COLUMN);
    }
    return s.toString();
  }

  /** The tool's help: what it is, its own options, and each command with its first sentence. */
  static String ofTool(String description, List<CommandSyntax> commands) {
    StringBuilder s = new StringBuilder("Usage: vhd [-hV] COMMAND [ARGS]\n");
    wrap(s, description, 0);
    s.append("Options:\n");
    for (CommandSyntax.Option o : List.of(CommandSyntax.HELP, CommandSyntax.VERSION)) {
      entry(s, "  " + String.join(", ", o.names()), o.description(), TEXT_COLUMN);
    }
    s.append("Commands:\n");
    for (CommandSyntax c : commands) {
      entry(s, "  " + c.name(), firstSentence(c.description().get(0)), COMMAND_TEXT_COLUMN);
    }
    s.append("Run 'vhd COMMAND --help' for a command's options.\n");
    return s.toString();
  }

  /** {@code names}, then {@code text} from {@code column} (on the next line if they reach it). */
  private static void entry(StringBuilder s, String names, String text, int column) {
    s.append(names);
    if (names.length() + 2 > column) {
      s.append('\n').append(" ".repeat(column));
    } else {
      s.append(" ".repeat(column - names.length()));
    }
    wrap(s, text, column);
  }

  /**
   * Appends {@code text} wrapped at word boundaries, its first line from column {@code indent}
   * (the line so far already that long), the others after {@code indent} spaces.
   */
  private static void wrap(StringBuilder s, String text, int indent) {
    int column = indent;
    boolean lineStarted = false;
    for (String word : text.split(" +")) {
      if (lineStarted && column + 1 + word.length() > WIDTH) {
        s.append('\n').append(" ".repeat(indent));
        column = indent;
        lineStarted = false;
      }
      if (lineStarted) {
        s.append(' ');
        column++;
      }
      s.append(word);
      column += word.length();
      lineStarted = true;
    }
    s.append('\n');
  }

  /** Up to the first full stop followed by a space, the whole text if none. */
  static String firstSentence(String text) {
    int end = text.indexOf(". ");
    return end < 0 ? text : text.substring(0, end + 1);
  }
}
