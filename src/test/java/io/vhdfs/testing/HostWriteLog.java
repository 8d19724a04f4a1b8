package io.vhdfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Every change a {@link ForwardingHostFileSystem} saw reach its host files, in the order the host
 * applied them: positional writes and truncations (the "mutations" a crash test replays), plus
 * where host {@code force} calls and write opens happened, and which bytes were read.
 *
 * <p>Each mutation is recorded while the host applies it, under one lock, so the list order is the
 * host's order even when several threads or channels write at once. Mutations are numbered from 0;
 * "the host after N mutations" means the initial bytes with mutations 0..N-1 applied.
 */
public final class HostWriteLog {

  /** One change to a host file, replayable onto a copy of its bytes. */
  public sealed interface Mutation permits Write, Truncate {
    /** The host path (its {@code toString()}) that was changed. */
    String file();

    /** Applies this change to {@code target}, as the host did. */
    void applyTo(FileChannel target) throws IOException;

    /** This change applied to a file's bytes: {@code content} itself or a resized copy. */
    byte[] applyTo(byte[] content);
  }

  /** {@code bytes} written at {@code position} (a write past the end leaves a zero-filled gap). */
  public record Write(String file, long position, byte[] bytes) implements Mutation {
    @Override
    public void applyTo(FileChannel target) throws IOException {
      ByteBuffer src = ByteBuffer.wrap(bytes);
      long pos = position;
      while (src.hasRemaining()) {
        pos += target.write(src, pos);
      }
    }

    @Override
    public byte[] applyTo(byte[] content) {
      long end = position + bytes.length;
      byte[] out = end > content.length ? Arrays.copyOf(content, Math.toIntExact(end)) : content;
      System.arraycopy(bytes, 0, out, (int) position, bytes.length);
      return out;
    }

    @Override
    public String toString() {
      return "write " + bytes.length + " bytes at " + position + " of " + file;
    }
  }

  /** {@code truncate(size)}: cuts the file when it is longer, else changes nothing. */
  public record Truncate(String file, long size) implements Mutation {
    @Override
    public void applyTo(FileChannel target) throws IOException {
      target.truncate(size);
    }

    @Override
    public byte[] applyTo(byte[] content) {
      return size < content.length ? Arrays.copyOf(content, (int) size) : content;
    }

    @Override
    public String toString() {
      return "truncate " + file + " to " + size;
    }
  }

  /** A read that reached a host file: the {@code length} bytes it returned from {@code position}. */
  public record Read(String file, long position, long length) {
    @Override
    public String toString() {
      return "read " + length + " bytes at " + position + " of " + file;
    }
  }

  private final List<Mutation> mutations = new ArrayList<>();
  private final List<Read> reads = new ArrayList<>();
  /** For each host force, the number of mutations before it. */
  private final List<Integer> forces = new ArrayList<>();
  private int writeOpens;

  /** The number of mutations so far: the cut points of a crash test are 0..this. */
  public synchronized int mutationCount() {
    return mutations.size();
  }

  /** A copy of the mutations so far, in host order. */
  public synchronized List<Mutation> mutations() {
    return List.copyOf(mutations);
  }

  /** For each host {@code force} so far, how many mutations preceded it. */
  public synchronized List<Integer> forces() {
    return List.copyOf(forces);
  }

  /** How many times a host file was opened (or an open was attempted) with WRITE. */
  public synchronized int writeOpens() {
    return writeOpens;
  }

  /** Every read so far that returned bytes, in host order (not replayed: reads change nothing). */
  public synchronized List<Read> reads() {
    return List.copyOf(reads);
  }

  /** Forgets everything recorded so far (call after building a fixture through the host). */
  public synchronized void clear() {
    mutations.clear();
    reads.clear();
    forces.clear();
    writeOpens = 0;
  }

  /**
   * The bytes of {@code file} after the first {@code n} mutations, starting from {@code initial}
   * (its bytes when recording started). Fails if a mutation touched another file, since replaying
   * one file alone would then not be what the host held.
   */
  public byte[] replay(byte[] initial, int n, String file) {
    byte[] content = initial.clone();
    for (Mutation m : mutations().subList(0, n)) {
      if (!m.file().equals(file)) {
        throw new IllegalStateException("mutation of another file than " + file + ": " + m);
      }
      content = m.applyTo(content);
    }
    return content;
  }

  /** Runs {@code change} and records its mutation atomically with respect to other records. */
  synchronized <T> T record(IoSupplier<T> change, Function<T, Mutation> what) throws IOException {
    T result = change.get();
    Mutation m = what.apply(result);
    if (m != null) {
      mutations.add(m);
    }
    return result;
  }

  synchronized void noteForce() {
    forces.add(mutations.size());
  }

  synchronized void noteRead(String file, long position, long n) {
    if (n > 0) {
      reads.add(new Read(file, position, n));
    }
  }

  synchronized void noteWriteOpen() {
    writeOpens++;
  }

  /** An I/O action with a result. */
  @FunctionalInterface
  interface IoSupplier<T> {
    T get() throws IOException;
  }
}
