package io.vhdfs.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/** A path of a {@link ForwardingHostFileSystem}: a host path re-wrapped by every operation. */
final class ForwardingHostPath implements Path {
  private final ForwardingHostFileSystem fs;
  private final Path delegate;

  ForwardingHostPath(ForwardingHostFileSystem fs, Path delegate) {
    this.fs = fs;
    this.delegate = delegate;
  }

  /** The host path this one forwards to. */
  Path delegate() {
    return delegate;
  }

  private Path wrap(Path p) {
    return p == null ? null : new ForwardingHostPath(fs, p);
  }

  private Path unwrap(Path p) {
    if (p instanceof ForwardingHostPath f && f.fs == fs) {
      return f.delegate;
    }
    throw new ProviderMismatchException("not a path of " + fs + ": " + p);
  }

  @Override
  public ForwardingHostFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return delegate.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return wrap(delegate.getRoot());
  }

  @Override
  public Path getFileName() {
    return wrap(delegate.getFileName());
  }

  @Override
  public Path getParent() {
    return wrap(delegate.getParent());
  }

  @Override
  public int getNameCount() {
    return delegate.getNameCount();
  }

  @Override
  public Path getName(int index) {
    return wrap(delegate.getName(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return wrap(delegate.subpath(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    return other instanceof ForwardingHostPath f && f.fs == fs && delegate.startsWith(f.delegate);
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof ForwardingHostPath f && f.fs == fs && delegate.endsWith(f.delegate);
  }

  @Override
  public Path normalize() {
    return wrap(delegate.normalize());
  }

  @Override
  public Path resolve(Path other) {
    return wrap(delegate.resolve(unwrap(other)));
  }

  @Override
  public Path relativize(Path other) {
    return wrap(delegate.relativize(unwrap(other)));
  }

  /** {@code fwdhost:} + the host path's URI; only for messages and keys, it resolves nowhere. */
  @Override
  public URI toUri() {
    return URI.create(ForwardingHostFileSystem.SCHEME + ":" + delegate.toUri());
  }

  @Override
  public Path toAbsolutePath() {
    return wrap(delegate.toAbsolutePath());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    return wrap(delegate.toRealPath(options));
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events,
      WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("the test host has no watch service");
  }

  @Override
  public int compareTo(Path other) {
    return delegate.compareTo(unwrap(other));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ForwardingHostPath f && f.fs == fs && f.delegate.equals(delegate);
  }

  @Override
  public int hashCode() {
    return delegate.hashCode();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
