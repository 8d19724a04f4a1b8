package io.vhdfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.io.Writer;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code MapPrinter} and {@code MapEntry} on entries made up here: which neighbours join (the
 * rules of qemu-img map), the text of both formats, and output that streams rather than piles
 * up. The tool is compiled apart from the tests (see testing/Cli), so they are reached by name.
 */
final class MapPrinterTest {
  private static final Path IMAGE = Path.of("/images/a.vhd");
  private static final Path PARENT = Path.of("/images/base.vhd");

  @Test
  void dataWhoseHostBytesContinueJoins() {
    assertEquals(json("{ \"start\": 0, \"length\": 3072, \"depth\": 0, \"present\": true, "
            + "\"zero\": false, \"data\": true, \"offset\": 4096}"),
        print("JSON", data(0, 1024, 0, 4096, IMAGE), data(1024, 2048, 0, 5120, IMAGE)));
  }

  @Test
  void dataWhoseHostBytesDoNotContinueStaysApart() {
    assertEquals(json("{ \"start\": 0, \"length\": 1024, \"depth\": 0, \"present\": true, "
            + "\"zero\": false, \"data\": true, \"offset\": 4096}",
        "{ \"start\": 1024, \"length\": 512, \"depth\": 0, \"present\": true, "
            + "\"zero\": false, \"data\": true, \"offset\": 9000}"),
        print("JSON", data(0, 1024, 0, 4096, IMAGE), data(1024, 512, 0, 9000, IMAGE)));
  }

  @Test
  void dataAtAnotherDepthOrInAnotherFileStaysApartEvenWhereOffsetsContinue() {
    String depths = print("JSON", data(0, 512, 0, 4096, IMAGE), data(512, 512, 1, 4608, IMAGE));
    String files = print("JSON", data(0, 512, 1, 4096, IMAGE), data(512, 512, 1, 4608, PARENT));

    assertEquals(2, depths.lines().count(), depths);
    assertEquals(2, files.lines().count(), files);
  }

  @Test
  void zerosJoinWithoutOffsetsButNotAcrossDepthsOrWithData() {
    assertEquals(json("{ \"start\": 0, \"length\": 1536, \"depth\": 1, \"present\": true, "
            + "\"zero\": true, \"data\": false}",
        "{ \"start\": 1536, \"length\": 512, \"depth\": 2, \"present\": true, "
            + "\"zero\": true, \"data\": false}",
        "{ \"start\": 2048, \"length\": 512, \"depth\": 2, \"present\": true, "
            + "\"zero\": false, \"data\": true, \"offset\": 2048}"),
        print("JSON", zeros(0, 512, 1), zeros(512, 1024, 1), zeros(1536, 512, 2),
            data(2048, 512, 2, 2048, PARENT)));
  }

  @Test
  void entriesThatDoNotFollowEachOtherStayApartAndEmptyOnesAreDropped() {
    String text = print("JSON", zeros(0, 512, 0), zeros(512, 0, 0), zeros(4096, 512, 0));

    assertEquals(json("{ \"start\": 0, \"length\": 512, \"depth\": 0, \"present\": true, "
            + "\"zero\": true, \"data\": false}",
        "{ \"start\": 4096, \"length\": 512, \"depth\": 0, \"present\": true, "
            + "\"zero\": true, \"data\": false}"), text);
  }

  @Test
  void jsonOfNoEntriesIsAnEmptyArray() {
    assertEquals("[]\n", print("JSON"));
  }

  @Test
  void tableHasAHeaderAndARowPerJoinedEntry() {
    String text = print("HUMAN", data(0, 512, 0, 0xa00, IMAGE), data(512, 512, 0, 0xe00, IMAGE),
        data(1024, 1024, 1, 0x600, PARENT), zeros(2048, 1 << 20, 1));

    String nl = System.lineSeparator();
    assertEquals("Offset             Length             Kind    Mapped to          File" + nl
        + "0x0000000000000000 0x0000000000000200 data    0x0000000000000a00 /images/a.vhd" + nl
        + "0x0000000000000200 0x0000000000000200 data    0x0000000000000e00 /images/a.vhd" + nl
        + "0x0000000000000400 0x0000000000000400 parent  0x0000000000000600 /images/base.vhd"
        + nl
        + "0x0000000000000800 0x0000000000100000 zero    -                  " + nl, text);
  }

  @Test
  void outputReachesTheWriterWhileEntriesStillComeIn() throws Exception {
    CountingWriter sink = new CountingWriter();
    Object printer = printer("JSON", sink);
    int entries = 100_000;
    long hostAt = 1 << 20;
    for (int i = 0; i < entries; i++) {
      // Alternating depths, so no two neighbours join.
      add(printer, data(i * 512L, 512, i % 2, hostAt + i * 512L, i % 2 == 0 ? IMAGE : PARENT));
    }
    long beforeFinish = sink.chars;

    invoke(printer, "finish");

    assertTrue(beforeFinish > sink.chars - (1 << 17),
        "all but the last buffer's worth written before finish: " + beforeFinish + " of "
            + sink.chars);
    assertTrue(sink.writes < sink.chars / 4096,
        "written in large pieces, not a line at a time: " + sink.writes + " writes of "
            + sink.chars + " chars");
  }

  // ------------------------------------------------------------------ the tool's classes by name

  private static String json(String... lines) {
    return "[" + String.join(",\n", lines) + "]\n";
  }

  private static Object data(long start, long length, int depth, long offset, Path file) {
    return entry(start, length, depth, false, true, offset, file);
  }

  private static Object zeros(long start, long length, int depth) {
    return entry(start, length, depth, true, false, -1, null);
  }

  private static Object entry(long start, long length, int depth, boolean zero, boolean data,
      long offset, Path file) {
    try {
      Constructor<?> c = Class.forName("io.vhdfs.cli.MapEntry").getDeclaredConstructor(
          long.class, long.class, int.class, boolean.class, boolean.class, boolean.class,
          long.class, Path.class);
      c.setAccessible(true);
      return c.newInstance(start, length, depth, true, zero, data, offset, file);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private static String print(String format, Object... entries) {
    StringWriter out = new StringWriter();
    try {
      Object printer = printer(format, out);
      for (Object e : entries) {
        add(printer, e);
      }
      invoke(printer, "finish");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out.toString();
  }

  private static Object printer(String format, Writer out) throws Exception {
    Class<?> printerClass = Class.forName("io.vhdfs.cli.MapPrinter");
    @SuppressWarnings({"unchecked", "rawtypes"})
    Object f = Enum.valueOf((Class<? extends Enum>) Class.forName(
        "io.vhdfs.cli.MapPrinter$Format"), format);
    Constructor<?> c = printerClass.getDeclaredConstructor(f.getClass(), Writer.class);
    c.setAccessible(true);
    return c.newInstance(f, out);
  }

  private static void add(Object printer, Object entry) throws Exception {
    Method add = printer.getClass().getDeclaredMethod("add", entry.getClass());
    add.setAccessible(true);
    call(add, printer, entry);
  }

  private static void invoke(Object printer, String name) throws Exception {
    Method m = printer.getClass().getDeclaredMethod(name);
    m.setAccessible(true);
    call(m, printer);
  }

  private static void call(Method m, Object target, Object... args) throws Exception {
    try {
      m.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception x) {
        throw x;
      }
      throw new AssertionError(e.getCause());
    }
  }

  /** Counts what reaches it, and in how many calls. */
  private static final class CountingWriter extends Writer {
    long chars;
    long writes;

    @Override
    public void write(char[] buf, int off, int len) {
      chars += len;
      writes++;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
