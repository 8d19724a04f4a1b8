package io.vhdfs.cli;

import io.vhdfs.nio.VhdImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long command on standard error, with rate and time left, when standard error is a
 * terminal; nothing when output is piped or with {@code --quiet}.
 */
final class ProgressReporter implements VhdImages.Progress, AutoCloseable {
  private final String task;
  private final boolean shown;
  private ProgressBar bar;

  private ProgressReporter(String task, boolean shown) {
    this.task = task;
    this.shown = shown;
  }

  static ProgressReporter start(String task, CommonOptions options) {
    return new ProgressReporter(task, !options.quiet && standardErrorIsATerminal());
  }

  /**
   * Where Linux says what file descriptor 2 is, a terminal device; elsewhere the JDK's answer,
   * which looks at standard input and output instead.
   */
  private static boolean standardErrorIsATerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  @Override
  public void advanced(long done, long total) {
    if (!shown) {
      return;
    }
    if (bar == null) {
      bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
          .setStyle(ProgressBarStyle.ASCII).setUnit(" MiB", 1 << 20).showSpeed()
          .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }
    bar.maxHint(total);
    bar.stepTo(done);
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
