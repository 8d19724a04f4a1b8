package io.vhdfs.testing;

import java.util.Locale;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test does when a peer tool it checks against (qemu-img, qemu-io, libvhdi's python, stat)
 * is missing: on a developer's machine it is skipped with a message saying what to install; where
 * peers are required it fails with the same message, so CI cannot go green by skipping the
 * interoperability checks it exists to run.
 *
 * <p>Peers are required when the system property {@value #PROPERTY} or, if that is not set, the
 * environment variable {@value #VARIABLE} is {@code true} ({@code .ci/run} exports the variable,
 * because it runs the README's {@code mvn -B verify} unchanged). Any value but {@code true} or
 * {@code false} is an error rather than a quiet {@code false}, so a typo cannot turn the rule off.
 */
public final class PeerRequirement {
  /** The system property that requires peers, e.g. {@code -Dvhdfs.requirePeers=true}. */
  public static final String PROPERTY = "vhdfs.requirePeers";
  /** The environment variable that requires peers where the command line cannot change. */
  public static final String VARIABLE = "VHDFS_REQUIRE_PEERS";

  private PeerRequirement() {}

  /** Whether a missing peer fails the test here, from the property or else the variable. */
  public static boolean peersRequired() {
    return peersRequired(System.getProperty(PROPERTY), System.getenv(VARIABLE));
  }

  /**
   * Returns normally when {@code present}; otherwise skips the calling test with
   * {@code whatIsMissing}, or fails it with that message when peers are required.
   */
  public static void assumePresent(boolean present, String whatIsMissing) {
    assumePresent(present, whatIsMissing, peersRequired());
  }

  /** The rule with the requirement given, so it can be tested without touching the JVM's state. */
  static boolean peersRequired(String property, String variable) {
    if (property != null) {
      return parse(PROPERTY, property);
    }
    return variable != null && parse(VARIABLE, variable);
  }

  static void assumePresent(boolean present, String whatIsMissing, boolean required) {
    if (present) {
      return;
    }
    if (required) {
      Assertions.fail(whatIsMissing + " (a required peer: " + PROPERTY + " / " + VARIABLE
          + " is true)");
    }
    Assumptions.abort(whatIsMissing);
  }

  private static boolean parse(String name, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false", "" -> false;
      default -> throw new IllegalArgumentException(name + " must be true or false, not '"
          + value + "'");
    };
  }
}
