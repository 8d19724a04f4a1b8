package java.lang.foreign;

/** Compile-time declaration of the JDK 22 type of this name: see ../../../README.md. */
public interface MemoryLayout {}
