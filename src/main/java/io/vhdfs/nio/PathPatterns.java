package io.vhdfs.nio;

import java.nio.file.PathMatcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@code glob:} and {@code regex:} path matchers over the string form of vhd paths. */
final class PathPatterns {
  private PathPatterns() {}

  static PathMatcher matcher(String syntaxAndPattern) {
    int colon = syntaxAndPattern.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("expected syntax:pattern, got '" + syntaxAndPattern + "'");
    }
    String syntax = syntaxAndPattern.substring(0, colon);
    String pattern = syntaxAndPattern.substring(colon + 1);
    Pattern regex;
    if (syntax.equalsIgnoreCase("regex")) {
      regex = Pattern.compile(pattern);
    } else if (syntax.equalsIgnoreCase("glob")) {
      regex = Pattern.compile(globToRegex(pattern));
    } else {
      throw new UnsupportedOperationException("syntax '" + syntax + "' is not supported");
    }
    return path -> regex.matcher(path.toString()).matches();
  }

  /** Glob as in {@link java.nio.file.FileSystem#getPathMatcher}: * ? ** [..] {a,b} and \ escapes. */
  static String globToRegex(String glob) {
    StringBuilder re = new StringBuilder();
    boolean inGroup = false;
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      switch (c) {
        case '\\' -> {
          if (++i >= glob.length()) {
            throw new PatternSyntaxException("no character to escape", glob, i - 1);
          }
          re.append(Pattern.quote(String.valueOf(glob.charAt(i))));
        }
        case '*' -> {
          if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
            re.append(".*");
            i++;
          } else {
            re.append("[^/]*");
          }
        }
        case '?' -> re.append("[^/]");
        case '[' -> {
          int end = glob.indexOf(']', i + 1);
          if (end < 0) {
            throw new PatternSyntaxException("missing ']'", glob, i);
          }
          String set = glob.substring(i + 1, end);
          if (set.startsWith("!")) {
            set = "^" + set.substring(1);
          }
          re.append('[').append(set.replace("\\", "\\\\").replace("[", "\\[")).append(']');
          i = end;
        }
        case '{' -> {
          if (inGroup) {
            throw new PatternSyntaxException("nested groups are not supported", glob, i);
          }
          inGroup = true;
          re.append("(?:");
        }
        case '}' -> {
          if (inGroup) {
            inGroup = false;
            re.append(')');
          } else {
            re.append("\\}");
          }
        }
        case ',' -> re.append(inGroup ? "|" : ",");
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    if (inGroup) {
      throw new PatternSyntaxException("missing '}'", glob, glob.length() - 1);
    }
    return re.toString();
  }
}
