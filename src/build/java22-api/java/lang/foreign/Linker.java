package java.lang.foreign;

import java.lang.invoke.MethodHandle;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface Linker {
  static Linker nativeLinker() {
    throw new UnsupportedOperationException();
  }

  SymbolLookup defaultLookup();

  MethodHandle downcallHandle(MemorySegment address, FunctionDescriptor function,
      Option... options);

  /** Compile-time declaration of the JDK 22 type of this name. */
  interface Option {
    static Option firstVariadicArg(int index) {
      throw new UnsupportedOperationException();
    }
  }
}
