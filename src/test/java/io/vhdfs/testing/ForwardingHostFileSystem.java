package io.vhdfs.testing;

import io.vhdfs.disk.InPlaceUpdates;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A test-only host file system that forwards every operation to a real one (Jimfs or the default
 * file system) and lets a test watch and restrict what the vhd provider does to an image file.
 *
 * <p>Why it exists: the vhd provider reaches its host file only through the {@link Path} it was
 * given ({@code Files.newByteChannel}, {@code Files.readAttributes}, {@code toRealPath},
 * {@code Files.isWritable}, ...), so wrapping that path is the one place a test can observe and
 * steer host I/O without touching the library:
 * <ul>
 *   <li><b>Recording</b>: every write and truncation made through a channel opened on a wrapped
 *       path is recorded, in host order, in {@link #log()}. A crash test replays the first N of
 *       them onto the initial bytes to get the file as a crash after N host writes leaves it.
 *   <li><b>Read-only switch</b>: {@link #setReadOnly(boolean) setReadOnly(true)} makes the host
 *       behave like a file the process may not write: opens with WRITE or APPEND and
 *       {@code checkAccess(WRITE)} throw {@link AccessDeniedException}, {@code Files.isWritable}
 *       is false, and {@code delete} and {@code setAttribute} are refused too. (Running as root, file modes cannot
 *       give that on the default file system.)
 *   <li><b>Faults</b>: {@link #injectFaults(HostFaults)} makes the write, force and size calls of
 *       every channel opened afterwards go through a fault plan, which fails one of them (or tears
 *       a write, or shortens its count) as a full or failing disk would. Faults act below the
 *       recording: the log holds what the host took.
 * </ul>
 *
 * <p>Wrap paths with {@link #wrap(Path)} and open images with
 * {@code FileSystems.newFileSystem(wrappedPath, env)}. Moves are forwarded (a conversion renames
 * its finished file into place). Everything else not needed for that is
 * {@link UnsupportedOperationException}: copy, links, directory creation, watch services, URI
 * lookup. Closing this file system does not close the one it forwards to.
 */
public final class ForwardingHostFileSystem extends FileSystem {
  /** The scheme of this (uninstalled) provider; its URIs name nothing. */
  static final String SCHEME = "fwdhost";

  private final FileSystem delegate;
  private final Provider provider = new Provider();
  private final HostWriteLog log = new HostWriteLog();
  private volatile boolean readOnly;
  private volatile boolean streamOnly;
  private volatile HostFaults faults;

  private ForwardingHostFileSystem(FileSystem delegate) {
    this.delegate = delegate;
  }

  /** A forwarding file system over {@code host}, writable until {@link #setReadOnly} says not. */
  public static ForwardingHostFileSystem over(FileSystem host) {
    return new ForwardingHostFileSystem(host);
  }

  /** The path of this file system that forwards to {@code hostPath} (a path of the host). */
  public Path wrap(Path hostPath) {
    if (hostPath.getFileSystem() != delegate) {
      throw new ProviderMismatchException("not a path of " + delegate + ": " + hostPath);
    }
    return new ForwardingHostPath(this, hostPath);
  }

  /**
   * Makes the host behave like a provider that can only stream, as some remote and archive
   * providers do: channels cannot seek, and a channel opened for writing starts the file anew,
   * as an upload does; there are no {@code FileChannel}s.
   */
  public void setStreamOnly(boolean streamOnly) {
    this.streamOnly = streamOnly;
  }

  /** What reached the host through channels on wrapped paths. */
  public HostWriteLog log() {
    return log;
  }

  /**
   * Puts channels opened from now on under {@code plan} (null: none), which counts their write,
   * force and size calls and fails the one it names.
   */
  public void injectFaults(HostFaults plan) {
    this.faults = plan;
  }

  /** Makes the host refuse (true) or allow (false) every write, as described above. */
  public void setReadOnly(boolean readOnly) {
    this.readOnly = readOnly;
  }

  @Override
  public FileSystemProvider provider() {
    return provider;
  }

  /** Does nothing: the host file system belongs to the test. */
  @Override
  public void close() {}

  @Override
  public boolean isOpen() {
    return delegate.isOpen();
  }

  @Override
  public boolean isReadOnly() {
    return readOnly || delegate.isReadOnly();
  }

  @Override
  public String getSeparator() {
    return delegate.getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    return () -> map(delegate.getRootDirectories().iterator());
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return delegate.getFileStores();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return delegate.supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(delegate.getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher m = delegate.getPathMatcher(syntaxAndPattern);
    return p -> m.matches(unwrap(p));
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return delegate.getUserPrincipalLookupService();
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("the test host has no watch service");
  }

  @Override
  public String toString() {
    return SCHEME + "(" + delegate + ")";
  }

  private Iterator<Path> map(Iterator<Path> it) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Path next() {
        return wrap(it.next());
      }
    };
  }

  private Path unwrap(Path p) {
    if (p instanceof ForwardingHostPath f && f.getFileSystem() == this) {
      return f.delegate();
    }
    throw new ProviderMismatchException("not a path of " + this + ": " + p);
  }

  private void refuseIfReadOnly(Path p) throws AccessDeniedException {
    if (readOnly) {
      throw new AccessDeniedException(p.toString(), null, "the test host is read-only");
    }
  }

  /** The provider of one forwarding file system; host calls go to the host path's provider. */
  private final class Provider extends FileSystemProvider {
    @Override
    public String getScheme() {
      return SCHEME;
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
      throw new UnsupportedOperationException("the test host is made with over(FileSystem)");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
      throw new UnsupportedOperationException("the test host is not reachable by URI");
    }

    @Override
    public Path getPath(URI uri) {
      throw new UnsupportedOperationException("the test host is not reachable by URI");
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
        FileAttribute<?>... attrs) throws IOException {
      if (streamOnly) {
        return StreamOnlyChannel.open(newFileChannelOf(path, options, attrs), options);
      }
      return newFileChannel(path, options, attrs);
    }

    /** Every channel records its writes; WRITE opens are counted, and refused when read-only. */
    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options,
        FileAttribute<?>... attrs) throws IOException {
      if (streamOnly) {
        throw new UnsupportedOperationException("a stream-only host has no file channels");
      }
      return newFileChannelOf(path, options, attrs);
    }

    private FileChannel newFileChannelOf(Path path, Set<? extends OpenOption> options,
        FileAttribute<?>... attrs) throws IOException {
      Path host = unwrap(path);
      if (options.contains(StandardOpenOption.APPEND)) {
        throw new UnsupportedOperationException("APPEND is not forwarded by the test host");
      }
      Path name = host.getFileName();
      if (name != null && name.toString().startsWith(InPlaceUpdates.SCRATCH_PREFIX)) {
        // The scratch file of vhdfs's in-place probe, made and deleted before an image is first
        // opened for writing (InPlaceHostsTest pins that): not part of any image, so neither
        // recorded nor counted, but still refused on a read-only host.
        if (options.contains(StandardOpenOption.WRITE)) {
          refuseIfReadOnly(path);
        }
        return host.getFileSystem().provider().newFileChannel(host, options, attrs);
      }
      if (options.contains(StandardOpenOption.WRITE)) {
        log.noteWriteOpen();
        refuseIfReadOnly(path);
      }
      HostFaults plan = faults;
      if (plan != null) {
        plan.opening(host);
      }
      FileChannel ch = host.getFileSystem().provider().newFileChannel(host, options, attrs);
      if (plan != null) {
        ch = new FaultyFileChannel(ch, plan, host);
      }
      return new RecordingFileChannel(ch, log, host.toString());
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir,
        DirectoryStream.Filter<? super Path> filter) throws IOException {
      Path host = unwrap(dir);
      DirectoryStream<Path> s = host.getFileSystem().provider()
          .newDirectoryStream(host, p -> filter.accept(wrap(p)));
      return new DirectoryStream<>() {
        @Override
        public Iterator<Path> iterator() {
          return map(s.iterator());
        }

        @Override
        public void close() throws IOException {
          s.close();
        }
      };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) {
      throw new UnsupportedOperationException("create directories on the host itself");
    }

    @Override
    public void delete(Path path) throws IOException {
      refuseIfReadOnly(path);
      Path host = unwrap(path);
      host.getFileSystem().provider().delete(host);
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) {
      throw new UnsupportedOperationException("copy is not forwarded by the test host");
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
      refuseIfReadOnly(source);
      Path from = unwrap(source);
      from.getFileSystem().provider().move(from, unwrap(target), options);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
      if (!(path2 instanceof ForwardingHostPath)) {
        return false;
      }
      Path host = unwrap(path);
      return host.getFileSystem().provider().isSameFile(host, unwrap(path2));
    }

    @Override
    public boolean isHidden(Path path) throws IOException {
      Path host = unwrap(path);
      return host.getFileSystem().provider().isHidden(host);
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
      Path host = unwrap(path);
      return host.getFileSystem().provider().getFileStore(host);
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
      Path host = unwrap(path);
      host.getFileSystem().provider().checkAccess(host, modes);
      if (Arrays.asList(modes).contains(AccessMode.WRITE)) {
        refuseIfReadOnly(path);
      }
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type,
        LinkOption... options) {
      Path host = unwrap(path);
      return host.getFileSystem().provider().getFileAttributeView(host, type, options);
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type,
        LinkOption... options) throws IOException {
      Path host = unwrap(path);
      return host.getFileSystem().provider().readAttributes(host, type, options);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes,
        LinkOption... options) throws IOException {
      Path host = unwrap(path);
      return host.getFileSystem().provider().readAttributes(host, attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
        throws IOException {
      refuseIfReadOnly(path);
      Path host = unwrap(path);
      host.getFileSystem().provider().setAttribute(host, attribute, value, options);
    }
  }
}
