package java.lang.foreign;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface MemorySegment {
  int get(ValueLayout.OfInt layout, long offset);

  long get(ValueLayout.OfLong layout, long offset);
}
