package java.lang.foreign;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface ValueLayout extends MemoryLayout {
  // Not constant expressions, so javac leaves a getstatic of the JDK's own field.
  OfInt JAVA_INT = null;
  OfLong JAVA_LONG = null;
  AddressLayout ADDRESS = null;

  /** Compile-time declaration of the JDK 22 type of this name. */
  interface OfInt extends ValueLayout {}

  /** Compile-time declaration of the JDK 22 type of this name. */
  interface OfLong extends ValueLayout {}
}
