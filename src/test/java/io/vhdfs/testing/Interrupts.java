package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Interrupting another thread without letting a deadlocked library hang the test run. */
public final class Interrupts {
  private Interrupts() {}

  /**
   * Daemon worker threads. Pools of tests that use channels are shut down with {@code shutdown()},
   * never {@code shutdownNow()}: interrupting a worker that hangs in a deadlocked channel would run
   * that channel's close in the test thread and hang it too; daemon workers let the JVM exit.
   */
  public static final java.util.concurrent.ThreadFactory DAEMON_THREADS = r -> {
    Thread t = new Thread(r, "test-worker");
    t.setDaemon(true);
    return t;
  };

  /**
   * Interrupts {@code target} from a helper daemon thread and fails if {@code Thread.interrupt()}
   * does not return within {@code millis}. Interrupting a thread blocked in an interruptible
   * channel runs that channel's close in the interrupting thread, while the JDK holds the target
   * thread's blocker lock; a close that waits for a lock the target holds is then a deadlock that
   * no JUnit timeout can break (the waiting thread is the test thread). This turns it into a
   * failure that shows both stacks.
   */
  public static void interruptWithin(Thread target, long millis) throws InterruptedException {
    Thread interrupter = new Thread(target::interrupt, "interrupter-of-" + target.getName());
    interrupter.setDaemon(true);
    interrupter.start();
    interrupter.join(millis);
    if (interrupter.isAlive()) {
      StringBuilder stacks = new StringBuilder();
      for (Thread t : new Thread[] {interrupter, target}) {
        stacks.append("\n\"").append(t.getName()).append("\" ").append(t.getState());
        for (StackTraceElement e : t.getStackTrace()) {
          stacks.append("\n    at ").append(e);
        }
      }
      fail("Thread.interrupt() of \"" + target.getName() + "\" did not return within " + millis
          + " ms: the channel close it runs is deadlocked with the interrupted thread" + stacks);
    }
  }
}
