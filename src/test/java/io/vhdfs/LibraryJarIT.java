package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The library jar {@code mvn package} builds holds the library alone: not the {@code vhd} tool,
 * not progressbar, and the POM it carries (the one {@code mvn install} publishes)
 * gives users no runtime dependency. The tool lives in target/vhd.jar.
 */
final class LibraryJarIT {
  private static final Path TARGET = Path.of(System.getProperty("basedir",
      System.getProperty("user.dir")), "target");
  private static final Pattern DEPENDENCY = Pattern.compile("(?s)<dependency>(.*?)</dependency>");

  @Test
  void libraryJarHoldsNeitherTheToolNorItsLibraries() throws IOException {
    try (JarFile jar = new JarFile(libraryJar().toFile())) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();
      assertTrue(names.contains("io/vhdfs/nio/VhdImages.class"), names::toString);
      assertTrue(names.contains("module-info.class"), names::toString);
      List<String> foreign = names.stream().filter(n -> n.startsWith("io/vhdfs/cli/")
          || n.startsWith("me/tongfei/") || n.startsWith("org/jline/"))
          .toList();
      assertEquals(List.of(), foreign, "the library jar holds the tool's classes");
    }
  }

  @Test
  void bothJarsAreMultiReleaseWithTheForeignCallsUnderVersions22Only() throws IOException {
    for (Path path : List.of(libraryJar(), TARGET.resolve("vhd.jar"))) {
      try (JarFile jar = new JarFile(path.toFile())) {
        assertEquals("true", jar.getManifest().getMainAttributes().getValue("Multi-Release"),
            path + " is read as a multi-release jar");
        List<String> names = jar.stream().map(JarEntry::getName).toList();
        assertTrue(names.contains("META-INF/versions/22/io/vhdfs/disk/ForeignFileCalls.class"),
            () -> path + ": " + names);
        assertEquals(List.of(), names.stream().filter(n -> n.contains("ForeignFileCalls")
            && !n.startsWith("META-INF/versions/22/")).toList(),
            path + ": Java 17 to 21 must never see the class that calls the Java 22 API");
        assertEquals(List.of(), names.stream().filter(n -> n.startsWith("java/")
            || n.contains("/java/lang/foreign/")).toList(),
            path + ": the build's declaration of that API is not packaged");
      }
    }
  }

  @Test
  void toolJarHoldsTheToolTheLibraryAndProgressbarAndRunsVhdCli() throws IOException {
    try (JarFile jar = new JarFile(TARGET.resolve("vhd.jar").toFile())) {
      assertEquals("io.vhdfs.cli.VhdCli",
          jar.getManifest().getMainAttributes().getValue("Main-Class"));
      for (String name : List.of("io/vhdfs/cli/VhdCli.class", "io/vhdfs/nio/VhdImages.class",
          "me/tongfei/progressbar/ProgressBar.class",
          "META-INF/services/java.nio.file.spi.FileSystemProvider")) {
        assertTrue(jar.getEntry(name) != null, "vhd.jar holds " + name);
      }
      // On the class path a stray module descriptor would only mislead.
      assertEquals(null, jar.getEntry("module-info.class"));
    }
  }

  @Test
  void publishedPomHasNoRuntimeDependencyThatIsNotOptional() throws IOException {
    String pom;
    try (JarFile jar = new JarFile(libraryJar().toFile());
        InputStream in = jar.getInputStream(
            jar.getEntry("META-INF/maven/io.vhdfs/vhdfs/pom.xml"))) {
      pom = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    // The project's own <dependencies>: without comments, the imported BOM and the plugins'.
    // (Read as text: the tests are compiled into module io.vhdfs, which does not read java.xml.)
    String own = pom.replaceAll("(?s)<!--.*?-->", "")
        .replaceAll("(?s)<dependencyManagement>.*?</dependencyManagement>", "")
        .replaceAll("(?s)<build>.*</build>", "")
        .replaceAll("(?s)<profiles>.*</profiles>", "");
    Map<String, String> dependencies = new TreeMap<>();
    Matcher dep = DEPENDENCY.matcher(own);
    while (dep.find()) {
      String scope = element(dep.group(1), "scope", "compile");
      boolean optional = element(dep.group(1), "optional", "false").equals("true");
      dependencies.put(element(dep.group(1), "artifactId", "?"),
          scope + (optional ? " optional" : ""));
    }
    assertEquals("compile optional", dependencies.get("progressbar"), dependencies::toString);
    dependencies.forEach((artifact, how) -> assertTrue(how.equals("test")
        || how.endsWith(" optional"), artifact + " is a " + how + " dependency of the library"));
  }

  @Test
  void sourcesAndJavadocJarsHoldTheLibraryAlone() throws IOException {
    try (JarFile sources = new JarFile(libraryJar("-sources").toFile());
        JarFile javadoc = new JarFile(libraryJar("-javadoc").toFile())) {
      assertTrue(sources.getEntry("io/vhdfs/nio/VhdFileSystemProvider.java") != null);
      assertTrue(sources.getEntry("module-info.java") != null);
      assertEquals(List.of(), sources.stream().map(JarEntry::getName)
          .filter(n -> n.startsWith("io/vhdfs/cli/")).toList(), "the tool's sources");
      assertTrue(javadoc.getEntry("io.vhdfs/io/vhdfs/nio/VhdFileSystemProvider.html") != null,
          "the provider's javadoc");
    }
  }

  /** target/vhdfs-VERSION.jar, the library (not its sources, javadoc or tests). */
  private static Path libraryJar() throws IOException {
    return libraryJar("");
  }

  /** target/vhdfs-VERSION{@code classifier}.jar. */
  private static Path libraryJar(String classifier) throws IOException {
    try (Stream<Path> files = Files.list(TARGET)) {
      List<Path> jars = files.filter(f -> f.getFileName().toString()
          .matches("vhdfs-[0-9][^-]*(-SNAPSHOT)?" + classifier + "\\.jar")).toList();
      assertEquals(1, jars.size(), "one library jar" + classifier + " in target: " + jars);
      return jars.get(0);
    }
  }

  private static String element(String xml, String name, String otherwise) {
    Matcher m = Pattern.compile("<" + name + ">\\s*([^<]*?)\\s*</" + name + ">").matcher(xml);
    return m.find() ? m.group(1) : otherwise;
  }
}
