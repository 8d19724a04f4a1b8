package java.lang.foreign;

import java.util.Optional;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface SymbolLookup {
  Optional<MemorySegment> find(String name);
}
