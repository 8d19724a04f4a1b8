package io.vhdfs.channel;

import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Running channel calls in other threads for the contract tests, read and write side alike. */
final class ThreadCalls {
  private ThreadCalls() {}

  /** What a call in a fresh thread did. */
  static final class ThreadOutcome {
    Object returned;
    Throwable thrown;
    boolean interruptedAfterwards;
  }

  static <T> T getOrRethrow(Future<T> future) throws Exception {
    try {
      return future.get(100, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw (Exception) cause;
    }
  }

  static void assertInstanceOf(Class<?> expected, Throwable actual) {
    if (!expected.isInstance(actual)) {
      throw new AssertionError("expected " + expected.getName() + " but got " + actual, actual);
    }
  }

  static void assertThrewInThread(Class<?> expected, ThreadOutcome outcome) {
    if (outcome.thrown == null) {
      throw new AssertionError("expected " + expected.getName() + " but the call returned "
          + outcome.returned);
    }
    assertInstanceOf(expected, outcome.thrown);
  }

  /**
   * Each worker that looped on a channel until another thread closed it must have ended with
   * {@link AsynchronousCloseException} or {@link ClosedChannelException}, as the JDK's do.
   */
  static void assertEndedByClose(List<Future<Throwable>> endings, String who, Object context)
      throws Exception {
    for (Future<Throwable> ending : endings) {
      Throwable t = ending.get(10, TimeUnit.SECONDS);
      if (t.getClass() != AsynchronousCloseException.class
          && t.getClass() != ClosedChannelException.class) {
        throw new AssertionError("a " + who + " ended with " + t + " instead of "
            + "AsynchronousCloseException or ClosedChannelException, " + context, t);
      }
    }
  }

  /** Runs a task in a fresh thread so interrupt status never leaks into the JUnit thread. */
  static ThreadOutcome inFreshThread(Callable<?> task) throws InterruptedException {
    ThreadOutcome outcome = new ThreadOutcome();
    Thread thread = new Thread(() -> {
      try {
        outcome.returned = task.call();
      } catch (Throwable t) {
        outcome.thrown = t;
      }
      outcome.interruptedAfterwards = Thread.currentThread().isInterrupted();
    }, "contract-worker");
    thread.start();
    thread.join(20_000);
    if (thread.isAlive()) {
      throw new AssertionError("worker thread did not finish");
    }
    return outcome;
  }
}
