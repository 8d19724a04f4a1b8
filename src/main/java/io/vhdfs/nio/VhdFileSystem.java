package io.vhdfs.nio;

import io.vhdfs.channel.DiskChannel;
import io.vhdfs.channel.DiskLocks;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.DiskOpener;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.OpenDisks;
import io.vhdfs.disk.VirtualDisk;
import io.vhdfs.image.Formats;
import io.vhdfs.partition.Partition;
import io.vhdfs.partition.PartitionDisk;
import io.vhdfs.partition.PartitionTable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One image as a file system: the root directory {@code /} holding {@code /disk}, whose bytes are
 * the virtual disk, and one file {@code /pN} per partition the disk's table lists, a window onto
 * the disk ({@link PartitionDisk}).
 *
 * <p>The partition table is read from the disk whenever partitions are looked up, listed or
 * opened, never kept: the disk can be repartitioned through {@code /disk} (or by another tool)
 * at any time, and reading a table costs a few sectors. A channel on a partition keeps the window
 * it was opened with, as a block device keeps its partitions until the table is read again.
 *
 * <p>The image's host file is open only while channels are: the first channel opens it (and
 * validates the image again, since it may have changed), the last one to close releases it, after
 * writing any metadata still in memory. All channels share one {@link VirtualDisk}, and so do all
 * file systems on the same image in this JVM ({@link OpenDisks}). The host file is opened for
 * writing only once a writable channel is opened, so read-only use leaves it untouched.
 */
final class VhdFileSystem extends FileSystem {
  static final String DISK_NAME = "disk";
  /** Partition numbers have at most this many digits, so parsing one cannot overflow. */
  private static final int MAX_NUMBER_DIGITS = 9;

  private final VhdFileSystemProvider provider;
  private final Path image;
  private volatile Path imageKey;
  private volatile FileSystemConfig config;
  /** The key this file system is registered under in the provider, or null if unregistered. */
  private volatile Path registryKey;
  /** Made by {@code Path.of(uri)} with default options, until {@link #adopt} gives it others. */
  private volatile boolean implicit;
  private final VhdPath root;
  private final VhdPath disk;
  private final VhdFileStore store;
  private volatile DiskLocks locks;
  private final Set<DiskChannel> channels = new HashSet<>();

  private volatile boolean open = true;
  /** The image is held open from validation until the file system closes; see keepsImageOpen. */
  private boolean heldOpen;
  private VirtualDisk openDisk;
  private int users;
  private DiskInfo lastInfo;
  /** The host file's length, time and key when {@link #lastInfo} was read. */
  private List<Object> lastInfoIdentity;
  /** The problems of the partition table last logged, so a table read again is logged once. */
  private List<String> loggedTableProblems = List.of();

  /**
   * @param image the image on its host
   * @param imageKey what identifies the image however it is named (its real path)
   * @param registryKey the key in the provider's registry, or null for an unregistered one
   * @param implicit whether {@code Path.of(uri)} made it, with default options
   */
  VhdFileSystem(VhdFileSystemProvider provider, Path image, Path imageKey,
      FileSystemConfig config, Path registryKey, boolean implicit) {
    this.provider = provider;
    this.imageKey = imageKey;
    this.locks = new DiskLocks(imageKey);
    this.image = image;
    this.config = config;
    this.registryKey = registryKey;
    this.implicit = implicit;
    this.root = new VhdPath(this, "/");
    this.disk = new VhdPath(this, "/" + DISK_NAME);
    this.store = new VhdFileStore(this);
  }

  /** Opens the image once to validate it, so a bad image fails here rather than on first use. */
  void validate() throws IOException {
    if (keepsImageOpen()) {
      synchronized (this) {
        if (!heldOpen) {
          acquireDisk();
          heldOpen = true;
        }
      }
      return;
    }
    validate(hostIdentity());
  }

  /**
   * Whether the image stays open from validation until the file system closes: read only, on a
   * host other than the platform's file system (an object store, say), where every open and
   * every look at the file costs requests and there are no QEMU locks to hold back. Elsewhere
   * the image is open only while a channel needs it, so QEMU may write it in between.
   */
  private boolean keepsImageOpen() {
    return config.accessMode() == FileSystemConfig.AccessMode.READ_ONLY
        && image.getFileSystem() != FileSystems.getDefault();
  }

  private synchronized void validate(List<Object> identity) throws IOException {
    acquireDisk();
    releaseDisk();
    lastInfoIdentity = identity;
  }

  Path image() {
    return image;
  }

  Path registryKey() {
    return registryKey;
  }

  boolean isImplicit() {
    return implicit;
  }

  /**
   * Gives a file system that {@code Path.of(uri)} made the options of an explicit
   * {@code newFileSystem(uri, env)}, so that the paths handed out before keep working under them.
   * Only while nothing is open on it: open channels were checked under the old options.
   *
   * @param key the image's key now (a new image's real path is known only once it exists)
   * @throws java.nio.file.FileSystemAlreadyExistsException saying what is open, if anything is
   */
  synchronized void adopt(FileSystemConfig newConfig, Path key) throws IOException {
    ensureOpen();
    if (heldOpen && channels.isEmpty()) {
      heldOpen = false; // no one reads it: the new options open it anew
      releaseDisk();
    }
    if (openDisk != null) {
      long writable = channels.stream().filter(DiskChannel::isWritable).count();
      throw new java.nio.file.FileSystemAlreadyExistsException(this + " is already open, made "
          + "by Path.of(uri) with default options, and has " + channels.size() + " channel(s) "
          + "open (" + writable + " writable); close them, or that file system "
          + "(Path.of(uri).getFileSystem().close()), before newFileSystem(uri, env) can set "
          + "options, or go on with the defaults");
    }
    FileSystemConfig oldConfig = config;
    Path oldKey = imageKey;
    DiskLocks oldLocks = locks;
    config = newConfig;
    imageKey = key;
    locks = key.equals(oldKey) ? oldLocks : new DiskLocks(key);
    lastInfo = null;
    try {
      validate();
    } catch (IOException | RuntimeException e) {
      config = oldConfig;
      imageKey = oldKey;
      locks = oldLocks;
      throw e;
    }
    implicit = false;
  }

  /** Moves this file system to another registry key; by the provider, under its registry lock. */
  void rekey(Path key) {
    registryKey = key;
  }

  VhdPath rootPath() {
    return root;
  }

  VhdPath diskPath() {
    return disk;
  }

  /**
   * The disk's metadata: live while a channel is open; otherwise from the last opening, unless the
   * host file changed since (another tool wrote it, or a new image replaced it), in which case the
   * image is opened again.
   */
  synchronized DiskInfo info() throws IOException {
    ensureOpen();
    if (openDisk != null) {
      return openDisk.info();
    }
    List<Object> identity = hostIdentity();
    if (lastInfo == null || !identity.equals(lastInfoIdentity)) {
      validate(identity);
    }
    return lastInfo;
  }

  /**
   * What tells whether the image changed since its metadata was read: length, time and file key,
   * and the last 512 bytes, since a replacement can match the rest (tar and reproducible builds
   * pin times; a deleted file's inode is reused at once).
   */
  private List<Object> hostIdentity() throws IOException {
    BasicFileAttributes host = Files.readAttributes(image, BasicFileAttributes.class);
    ByteBuffer tail = ByteBuffer.allocate((int) Math.min(512, host.size()));
    try (HostFile file = HostFile.openForReading(image)) {
      file.readFully(tail, host.size() - tail.capacity());
    }
    return Arrays.asList(host.size(), host.lastModifiedTime(), host.fileKey(), tail.flip());
  }

  /**
   * Opens a channel on the disk, or on partition {@code partition} (0 for the whole disk). A
   * partition is looked up in the table as the disk holds it now, on the disk the channel will
   * use; its channel takes writes along the same way as the disk's, and its byte-range locks are
   * its own, as another file's would be.
   *
   * @throws NoSuchFileException if the table lists no such partition
   */
  synchronized DiskChannel newChannel(ChannelOptions opts, int partition) throws IOException {
    if (opts.write()) {
      checkWritable();
    }
    VirtualDisk d = acquireDisk();
    VirtualDisk target = d;
    DiskLocks lockTable = locks;
    try {
      if (partition > 0) {
        PartitionTable table = readTable(d);
        Partition p = table.partition(partition)
            .orElseThrow(() -> noSuchPartition("/p" + partition, partition, table));
        target = PartitionDisk.of(d, p, image.toString());
        lockTable = new DiskLocks(List.of(imageKey, p.fileName()));
      }
      if (opts.write()) {
        d.info().format().require(ImageFormat.Capability.WRITE, image.toString());
        OpenDisks.startWriting(imageKey, config.sizeRule());
        try {
          d.enableWrites();
        } catch (IOException | RuntimeException e) {
          OpenDisks.stopWriting(imageKey, config.sizeRule());
          throw e;
        }
      }
    } catch (IOException | RuntimeException e) {
      releaseDisk();
      throw e;
    }
    DiskChannel ch = new DiskChannel(target, lockTable, opts.read(), opts.write(), opts.sync(),
        this::channelClosed);
    channels.add(ch);
    return ch;
  }

  /**
   * What {@code p} names, looking partitions up in the disk's table as it is now.
   *
   * @throws NoSuchFileException if it names nothing in the image
   */
  Entry lookup(VhdPath p) throws IOException {
    ensureOpen();
    VhdPath abs = (VhdPath) p.toAbsolutePath().normalize();
    if (abs.equals(root)) {
      return new Entry(true, null);
    }
    if (abs.equals(disk)) {
      return new Entry(false, null);
    }
    int number = partitionNumber(abs);
    if (number == 0) {
      throw new NoSuchFileException(p.toString(), null,
          "an image holds /, /disk, and /p1, /p2, ... for the partitions of its disk");
    }
    PartitionTable table = partitionTable();
    Partition partition = table.partition(number)
        .orElseThrow(() -> noSuchPartition(p.toString(), number, table));
    return new Entry(false, partition);
  }

  /**
   * The partition number an absolute, normalised path names by its form alone ({@code /p1},
   * {@code /p12}; no leading zeros), or 0 if it names none. No I/O: the partition may not exist.
   */
  static int partitionNumber(VhdPath abs) {
    String s = abs.toString();
    if (!s.startsWith("/p") || s.length() < 3 || s.length() > 2 + MAX_NUMBER_DIGITS
        || s.charAt(2) == '0') {
      return 0;
    }
    for (int i = 2; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return 0;
      }
    }
    return Integer.parseInt(s.substring(2));
  }

  private NoSuchFileException noSuchPartition(String path, int number, PartitionTable table) {
    String where = table.scheme()
        .map(scheme -> "the " + scheme.label() + " partition table of " + image + " lists "
            + (table.partitions().isEmpty() ? "none"
                : table.partitions().stream().map(q -> "/" + q.fileName())
                    .collect(Collectors.joining(", "))))
        .orElse("the disk of " + image + " has no partition table");
    return new NoSuchFileException(path, null, "no partition " + number + ": " + where);
  }

  /**
   * The disk's partition table, read from the disk now (opening the image if no channel has it
   * open). Its problems are logged when they differ from those last logged.
   */
  synchronized PartitionTable partitionTable() throws IOException {
    VirtualDisk d = acquireDisk();
    try {
      return readTable(d);
    } finally {
      releaseDisk();
    }
  }

  private synchronized PartitionTable readTable(VirtualDisk d) throws IOException {
    PartitionTable table = PartitionTable.read(d, d.info().sectorSize(), image.toString());
    if (!table.problems().equals(loggedTableProblems)) {
      table.logProblems();
      loggedTableProblems = table.problems();
    }
    return table;
  }

  /**
   * Refuses writing: {@link ReadOnlyFileSystemException} when opened with
   * {@code accessMode=readOnly}, {@link AccessDeniedException} when the host file is not writable.
   */
  private void checkWritable() throws IOException {
    ensureOpen();
    if (config.accessMode() == FileSystemConfig.AccessMode.READ_ONLY) {
      throw new ReadOnlyFileSystemException();
    }
    if (!Files.isWritable(image)) {
      throw new AccessDeniedException(image.toString(), null, "the image file is not writable");
    }
  }

  private synchronized VirtualDisk acquireDisk() throws IOException {
    ensureOpen();
    if (openDisk == null) {
      openDisk = OpenDisks.acquire(imageKey, config.sizeRule(), config.chainOptions(),
          this::openDisk);
      lastInfo = openDisk.info();
    }
    users++;
    return openDisk;
  }

  private VirtualDisk openDisk() throws IOException {
    return DiskOpener.open(image, config.sizeRule(),
        Formats.chain(imageKey, config.chainOptions()));
  }

  private synchronized void releaseDisk() throws IOException {
    if (--users == 0) {
      VirtualDisk d = openDisk;
      openDisk = null;
      if (!d.info().equals(lastInfo)) {
        // Written since it was opened (through this or another file system): read it again.
        lastInfo = null;
      }
      OpenDisks.release(imageKey, config.sizeRule(), d);
    }
  }

  /** Writes what the closing channel left in memory, then lets go of the disk. */
  private synchronized void channelClosed(DiskChannel ch) throws IOException {
    try {
      if (ch.isWritable()) {
        try {
          openDisk.flush();
        } finally {
          OpenDisks.stopWriting(imageKey, config.sizeRule());
        }
      }
    } finally {
      channels.remove(ch);
      releaseDisk();
    }
  }

  /** The number of channels open on this image; tests use it to check for leaks. */
  synchronized int openChannels() {
    return channels.size();
  }

  /** Whether the image's host file is open (only while channels are). */
  synchronized boolean holdsHostFile() {
    return openDisk != null;
  }

  URI uriOf(VhdPath absolute) {
    return provider.uriOf(this, absolute);
  }

  void ensureOpen() {
    if (!open) {
      throw new ClosedFileSystemException();
    }
  }

  @Override
  public VhdFileSystemProvider provider() {
    return provider;
  }

  /** Closes every channel on the image, then unregisters the file system. */
  @Override
  public void close() throws IOException {
    List<DiskChannel> toClose;
    synchronized (this) {
      if (!open) {
        return;
      }
      open = false;
      toClose = new ArrayList<>(channels);
    }
    IOException failure = null;
    for (DiskChannel ch : toClose) {
      try {
        ch.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    synchronized (this) {
      if (heldOpen) {
        heldOpen = false;
        try {
          releaseDisk();
        } catch (IOException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
    }
    provider.unregister(this);
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /**
   * True when opened with {@code accessMode=readOnly} or when the image file is not writable (asked
   * of the host each time, since permissions change).
   */
  @Override
  public boolean isReadOnly() {
    return config.accessMode() == FileSystemConfig.AccessMode.READ_ONLY
        || !Files.isWritable(image);
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    ensureOpen();
    return List.of(root);
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    ensureOpen();
    return List.of(store);
  }

  VhdFileStore store() {
    return store;
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    // The image's own format's view once its metadata was read; before that, every format's,
    // since answering must not open the image.
    DiskInfo known = lastInfo;
    Set<String> views = new java.util.LinkedHashSet<>(
        List.of("basic", ImageAttributes.VHD_VIEW, PartitionFileAttributeView.NAME));
    if (known != null) {
      views.add(known.format().name());
    } else {
      Formats.ALL.forEach(f -> views.add(f.name()));
    }
    return Set.copyOf(views);
  }

  @Override
  public Path getPath(String first, String... more) {
    StringBuilder sb = new StringBuilder(first);
    for (String m : more) {
      if (!m.isEmpty()) {
        if (sb.length() > 0) {
          sb.append('/');
        }
        sb.append(m);
      }
    }
    String s = sb.toString();
    if (s.indexOf('\0') >= 0) {
      throw new java.nio.file.InvalidPathException(s, "NUL character not allowed");
    }
    return new VhdPath(this, s);
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    return PathPatterns.matcher(syntaxAndPattern);
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    throw new UnsupportedOperationException("vhd file systems have no users or groups");
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("vhd file systems have no watch service");
  }

  @Override
  public String toString() {
    return "vhd:" + image;
  }
}
