package io.vhdfs.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path release = home.resolve("release");
        Path java = home.resolve("bin/java");
        if (Files.isRegularFile(release) && Files.isExecutable(java)
            && featureOf(Files.readAllLines(release)) >= feature) {
          return Optional.of(java);
        }
      }
    }
    return Optional.empty();
  }

  /** The directory or jar a class was loaded from, for a class path. */
  public static String codeSource(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int featureOf(List<String> release) {
    for (String line : release) {
      if (line.startsWith("JAVA_VERSION=")) {
        String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
        try {
          return Runtime.Version.parse(v).feature();
        } catch (IllegalArgumentException e) {
          return 0;
        }
      }
    }
    return 0;
  }
}
