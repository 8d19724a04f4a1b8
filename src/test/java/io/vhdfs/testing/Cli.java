package io.vhdfs.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Runs the {@code vhd} tool in this JVM and captures what it prints. The tool is compiled apart
 * from the library (target/cli-classes, on the tests' class path through surefire), so the tests,
 * compiled into the library's module, reach it by name.
 */
public final class Cli {
  /** What one run printed and returned. */
  public record Result(int exitCode, String out, String err) {}

  private Cli() {}

  /** Runs {@code vhd args...}. */
  public static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try {
      Method run = Class.forName("io.vhdfs.cli.VhdCli")
          .getMethod("run", String[].class, PrintWriter.class, PrintWriter.class);
      code = (Integer) run.invoke(null, args, new PrintWriter(out, true),
          new PrintWriter(err, true));
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the vhd tool is not on the class path: build with mvn, "
          + "which compiles it into target/cli-classes", e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("vhd threw instead of returning an exit code",
          e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    return new Result(code, out.toString(), err.toString());
  }
}
