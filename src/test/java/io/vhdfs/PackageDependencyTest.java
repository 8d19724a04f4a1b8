package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages depend on each other only as the layer table allows (the README's Layout section
 * and each {@code package-info.java} say why): data flows down, {@code nio} knows no format, the
 * formats know only the neutral engine, and no two packages need each other. Every reference of
 * the library's and the tool's sources to another package of ours counts, imported or spelled
 * out in code; comments and strings do not.
 */
class PackageDependencyTest {
  private static final Path BASEDIR = Path.of(System.getProperty("basedir",
      System.getProperty("user.dir")));
  /** The root package, {@code io.vhdfs}, is named "" here. */
  private static final String ROOT = "";

  /** Each package and the packages of ours it may use; the root may be used by all. */
  private static final Map<String, Set<String>> ALLOWED = Map.of(
      ROOT, Set.of(),
      "nio", Set.of("channel", "image", "partition", "disk"),
      "channel", Set.of("disk"),
      "image", Set.of("disk", "partition", "vhd", "vhdx"),
      "partition", Set.of("disk"),
      "vhd", Set.of("disk"),
      "vhdx", Set.of("disk"),
      "disk", Set.of(),
      "cli", Set.of("nio"));

  /** {@code io.vhdfs.pkg.Name} or {@code io.vhdfs.Name}, imported (statically too) or in code. */
  private static final Pattern REFERENCE =
      Pattern.compile("\\bio\\.vhdfs\\.(?:([a-z][a-z0-9_]*)\\.)?[A-Z]");

  @Test
  void everyPackageUsesOnlyWhatTheLayerTableAllows() throws IOException {
    List<String> violations = new ArrayList<>();
    dependencies().forEach((from, uses) -> {
      Set<String> allowed = ALLOWED.get(from);
      if (allowed == null) {
        violations.add(name(from) + " is not in the layer table: add it, with what it may use");
        return;
      }
      uses.forEach((to, where) -> {
        if (!to.equals(ROOT) && !allowed.contains(to)) {
          violations.add(name(from) + " uses " + name(to) + " in " + where);
        }
      });
    });
    assertEquals(List.of(), violations);
  }

  @Test
  void packagesFormNoCycle() throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    dependencies().forEach((from, uses) -> graph.put(from, new TreeSet<>(uses.keySet())));
    for (String start : graph.keySet()) {
      List<String> cycle = cycleThrough(start, start, graph, new ArrayList<>(), new TreeSet<>());
      assertTrue(cycle == null, () -> "packages use each other: "
          + String.join(" -> ", cycle.stream().map(PackageDependencyTest::name).toList()));
    }
  }

  @Test
  void theLayerTableItselfHasNoCycle() {
    for (String start : ALLOWED.keySet()) {
      List<String> cycle = cycleThrough(start, start, ALLOWED, new ArrayList<>(), new TreeSet<>());
      assertTrue(cycle == null, () -> "the table lets packages use each other: " + cycle);
    }
  }

  @Test
  void theScanSeesReferencesInCodeButNotInCommentsOrStrings() {
    String source = """
        package io.vhdfs.nio;

        import io.vhdfs.disk.VirtualDisk;
        import static io.vhdfs.image.Formats.probe;

        /** Not {@link io.vhdfs.vhd.Footer}. */
        final class Example {
          // io.vhdfs.vhdx.Gone
          String s = "io.vhdfs.vhd.Footer";
          Object o = io.vhdfs.partition.Partition.class;
          Object r = io.vhdfs.VhdEnv.SIZE;
        }
        """;
    assertEquals(Set.of("disk", "image", "partition", ROOT), referencedPackages(source));
  }

  /**
   * For each package of the library's and the tool's sources, the packages of ours it uses and
   * the first file that does.
   */
  private static Map<String, Map<String, String>> dependencies() throws IOException {
    Map<String, Map<String, String>> all = new TreeMap<>();
    for (Path base : List.of(BASEDIR.resolve("src/main/java/io/vhdfs"),
        BASEDIR.resolve("src/cli/java/io/vhdfs"))) {
      assertTrue(Files.isDirectory(base), () -> base + " not found");
      try (Stream<Path> files = Files.walk(base)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
          Path dir = base.relativize(file.getParent());
          String from = dir.toString().replace(file.getFileSystem().getSeparator(), ".");
          Map<String, String> uses = all.computeIfAbsent(from, k -> new TreeMap<>());
          for (String to : referencedPackages(Files.readString(file))) {
            if (!to.equals(from)) {
              uses.putIfAbsent(to, BASEDIR.relativize(file).toString());
            }
          }
        }
      }
    }
    return all;
  }

  /** The packages of ours {@code source} refers to, outside comments and string literals. */
  static Set<String> referencedPackages(String source) {
    Set<String> packages = new TreeSet<>();
    String code = withoutCommentsAndStrings(source).replaceFirst("\\bpackage\\s+[\\w.]+;", "");
    Matcher m = REFERENCE.matcher(code);
    while (m.find()) {
      packages.add(m.group(1) == null ? ROOT : m.group(1));
    }
    return packages;
  }

  /** {@code source} with comments, string and text block literals and char literals blanked. */
  private static String withoutCommentsAndStrings(String source) {
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    int n = source.length();
    while (i < n) {
      if (source.startsWith("/*", i)) {
        int end = source.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else if (source.startsWith("//", i)) {
        int end = source.indexOf('\n', i);
        i = end < 0 ? n : end;
      } else if (source.startsWith("\"\"\"", i)) {
        int end = source.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
        char quote = source.charAt(i);
        int j = i + 1;
        while (j < n && source.charAt(j) != quote) {
          j += source.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(quote).append(quote);
      } else {
        out.append(source.charAt(i++));
      }
    }
    return out.toString();
  }

  /** A path from {@code at} back to {@code start} along {@code graph}, or null if there is none. */
  private static List<String> cycleThrough(String start, String at,
      Map<String, Set<String>> graph, List<String> path, Set<String> seen) {
    path.add(at);
    for (String next : graph.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        List<String> cycle = new ArrayList<>(path);
        cycle.add(start);
        return cycle;
      }
      if (seen.add(next)) {
        List<String> found = cycleThrough(start, next, graph, path, seen);
        if (found != null) {
          return found;
        }
      }
    }
    path.remove(path.size() - 1);
    return null;
  }

  private static String name(String pkg) {
    return pkg.equals(ROOT) ? "io.vhdfs" : "io.vhdfs." + pkg;
  }
}
