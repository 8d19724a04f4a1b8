package io.vhdfs.testing;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a java.util.logging logger publishes while this is open, as the XML of
 * {@code XMLFormatter} (whose level names are not localised). Reached through reflection: the
 * tests are compiled into module io.vhdfs, which does not read java.logging, while at run time
 * they sit on the class path, where every module is readable.
 */
public final class LogCapture implements AutoCloseable {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Class<?> loggerClass;
  private final Class<?> handlerClass;
  private final Object logger;
  private final Object handler;

  /** Starts capturing what the logger {@code name} publishes. */
  public LogCapture(String name) throws ReflectiveOperationException {
    loggerClass = Class.forName("java.util.logging.Logger");
    handlerClass = Class.forName("java.util.logging.Handler");
    Class<?> formatterClass = Class.forName("java.util.logging.Formatter");
    logger = loggerClass.getMethod("getLogger", String.class).invoke(null, name);
    Object formatter = Class.forName("java.util.logging.XMLFormatter").getConstructor()
        .newInstance();
    handler = Class.forName("java.util.logging.StreamHandler")
        .getConstructor(OutputStream.class, formatterClass).newInstance(out, formatter);
    loggerClass.getMethod("addHandler", handlerClass).invoke(logger, handler);
  }

  /** The messages of the WARNING records published so far. */
  public List<String> warnings() throws ReflectiveOperationException {
    handlerClass.getMethod("flush").invoke(handler);
    List<String> messages = new ArrayList<>();
    for (String record : out.toString(StandardCharsets.UTF_8).split("<record>")) {
      int from = record.indexOf("<message>");
      int to = record.indexOf("</message>");
      if (record.contains("<level>WARNING</level>") && from >= 0 && to > from) {
        messages.add(record.substring(from + "<message>".length(), to));
      }
    }
    return messages;
  }

  @Override
  public void close() throws ReflectiveOperationException {
    loggerClass.getMethod("removeHandler", handlerClass).invoke(logger, handler);
    handlerClass.getMethod("close").invoke(handler);
  }
}
