package io.vhdfs.testing;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@code java} launcher of a newer JDK than the build's, for checks that need one. */
public final class NewerJdk {
  private NewerJdk() {}

  /** This JVM's java if its feature release is at least {@code feature}, else one under /usr/lib/jvm. */
  public static Optional<Path> java(int feature) throws IOException {
    if (Runtime.version().feature() >= feature) {
      return Optional.of(Path.of(System.getProperty("java.home"), "bin", "java"));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> homes = Files.newDirectoryStream(jvms)) {
      for (Path home : homes) {
        Path java = home.resolve("bin/java");
        if (Files.isExecutable(java) && feature(java) >= feature) {
          return Optional.of(java);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * A class path of the directories or jars {@code classes} were loaded from, for a JVM of
   * feature release {@code feature}: a directory's {@code META-INF/versions/N} (N up to
   * {@code feature}, newest first) goes before it, as a multi-release jar is read on that
   * release, since the JVM reads a directory as it lies.
   */
  public static String classPath(int feature, Class<?>... classes) {
    List<String> entries = new ArrayList<>();
    for (Class<?> c : classes) {
      Path source = Path.of(codeSource(c));
      if (Files.isDirectory(source)) {
        for (int n = feature; n >= 9; n--) {
          Path versioned = source.resolve("META-INF/versions/" + n);
          if (Files.isDirectory(versioned) && !entries.contains(versioned.toString())) {
            entries.add(versioned.toString());
          }
        }
      }
      if (!entries.contains(source.toString())) {
        entries.add(source.toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The directory or jar a class was loaded from, for a class path. */
  public static String codeSource(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The feature release of the JDK of launcher {@code java}, from its release file. */
  public static int feature(Path java) throws IOException {
    return featureOf(version(java));
  }

  /**
   * The version of the JDK of launcher {@code java} as its release file gives it
   * ({@code JAVA_VERSION}, e.g. {@code 25.0.3}), or empty where it has none.
   */
  public static String version(Path java) throws IOException {
    Path release = java.toAbsolutePath().getParent().getParent().resolve("release");
    return Files.isRegularFile(release) ? versionOf(Files.readAllLines(release)) : "";
  }

  private static String versionOf(List<String> release) {
    for (String line : release) {
      if (line.startsWith("JAVA_VERSION=")) {
        return line.substring("JAVA_VERSION=".length()).replace("\"", "");
      }
    }
    return "";
  }

  private static int featureOf(String version) {
    try {
      return Runtime.Version.parse(version).feature();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }
}
