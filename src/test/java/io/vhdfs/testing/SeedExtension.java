package io.vhdfs.testing;

import java.util.Random;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Gives a test a {@link SeededRandom} parameter and, when the test fails, reports the seed so the
 * failing run can be replayed with {@code -Dvhdfs.seed=N}.
 *
 * <p>The seed is attached as a suppressed exception rather than by wrapping the failure, so the
 * original exception type (which assertThrows-style callers and reports rely on) is preserved.
 */
public final class SeedExtension implements ParameterResolver, TestExecutionExceptionHandler {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SeedExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    return p.getParameter().getType() == SeededRandom.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    long seed = newSeed();
    c.getStore(NS).put("seed", seed);
    return new SeededRandom(seed);
  }

  @Override
  public void handleTestExecutionException(ExtensionContext c, Throwable t) throws Throwable {
    Long seed = c.getStore(NS).get("seed", Long.class);
    if (seed != null) {
      String note = c.getDisplayName() + " failed with random seed " + seed
          + "; replay with -Dvhdfs.seed=" + seed;
      System.err.println(note);
      t.addSuppressed(new SeedNote(note));
    }
    throw t;
  }

  /**
   * A fresh seed, or the one given with {@code -Dvhdfs.seed=N} to replay a failure. Tests that
   * build seeded fixtures outside a test method (parameter sources) call this directly and put
   * the seed in the display name.
   */
  public static long newSeed() {
    Long fixed = Long.getLong("vhdfs.seed");
    return fixed != null ? fixed : new Random().nextLong();
  }

  /** Carries the seed into the failure report; never thrown on its own. */
  private static final class SeedNote extends Exception {
    SeedNote(String message) {
      super(message, null, false, false);
    }
  }

  /** A {@link Random} that remembers its seed, for messages. */
  public static final class SeededRandom extends Random {
    private final long seed;

    SeededRandom(long seed) {
      super(seed);
      this.seed = seed;
    }

    /** The seed this generator started from. */
    public long seed() {
      return seed;
    }

    @Override
    public String toString() {
      return "seed " + seed;
    }
  }
}
