package java.lang.foreign;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface FunctionDescriptor {
  static FunctionDescriptor of(MemoryLayout result, MemoryLayout... arguments) {
    throw new UnsupportedOperationException();
  }
}
