package io.vhdfs.nio;

import io.vhdfs.VhdEnv;
import io.vhdfs.VhdFormatException;
import io.vhdfs.disk.DiskInfo;
import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.InPlaceUpdates;
import io.vhdfs.image.Create;
import io.vhdfs.image.Formats;
import io.vhdfs.partition.Partition;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code vhd:} file system provider: each Microsoft VHD image (fixed, dynamic, differencing)
 * is a file system whose {@code /disk} is the virtual disk, readable and writable through
 * {@link SeekableByteChannel} and {@link FileChannel}. A differencing image reads through its
 * parents; writes go to it alone.
 *
 * <pre>{@code
 * Path disk = Path.of(URI.create("vhd:/backups/server.vhd"));
 * try (SeekableByteChannel ch = Files.newByteChannel(disk, READ, WRITE)) { ... }
 * }</pre>
 *
 * <h2>URIs</h2>
 * {@code vhd:} followed by the image's absolute path, percent-encoded as in a {@code file:} URI
 * ({@code "vhd:" + image.toUri().getRawPath()}, e.g. {@code vhd:/data/my%20disk.vhd},
 * {@code vhd:/C:/vm/a.vhd}); a URI built by {@code new URI("vhd", path, null)}, which leaves
 * letters such as {@code ü} unquoted, names the same image. {@code Path.of(uri)} needs no earlier
 * {@code newFileSystem}: the provider gets or creates the image's file system, keyed by the
 * image's real path, and returns {@code /disk}. Images on another provider can be named by
 * nesting that provider's URI ({@code vhd:jimfs://name/dir/a.vhd},
 * {@code vhd:jar:file:/data/images.zip!/a.vhd}; a zip file system not yet open is opened with its
 * defaults and stays open). Other entries than {@code /disk} are named in the fragment
 * ({@code vhd:/data/a.vhd#/p2} is partition 2, {@code vhd:/data/a.vhd#/} the root directory). A
 * URI in no such form is an {@link IllegalArgumentException} that names the forms.
 *
 * <h2>File systems</h2>
 * <ul>
 *   <li>{@code FileSystems.newFileSystem(uri, env)} opens (or with {@code create} creates) and
 *       registers one, validating the image first; a second one for the same image is a
 *       {@link FileSystemAlreadyExistsException}. One that {@code Path.of(uri)} made does not
 *       stand in the way: while none of its channels is open it takes the new options, and the
 *       paths handed out before keep working under them; with channels open, the exception says
 *       which.
 *   <li>{@code FileSystems.newFileSystem(hostPath, env)} opens an unregistered one on any host
 *       provider (default, Jimfs, zip, cloud); a file without a VHD footer cookie is an
 *       {@link UnsupportedOperationException}, so other providers get their turn. (For a missing
 *       file the JDK asks its zip provider first, and {@code create} would make a zip: create
 *       images through the URI form, or call this provider's method directly.)
 *   <li>{@code getFileSystem(uri)} finds registered ones: {@link FileSystemNotFoundException} for
 *       unknown or closed ones.
 *   <li>A file system holds no host file handle while no channel is open, and opens the host file
 *       for writing only while a writable channel is open. Closing the last channel writes every
 *       piece of metadata still in memory, so other tools see all writes without the file system
 *       being closed; closing the file system closes its channels. File systems made by
 *       {@code Path.of(uri)} stay registered until closed.
 * </ul>
 *
 * <h2>Env keys</h2>
 * <table>
 * <caption>env keys (constants in {@link VhdEnv})</caption>
 * <tr><th>key</th><th>values</th><th>meaning</th></tr>
 * <tr><td>{@code create}</td><td>{@code true}</td><td>create the image; it must not exist
 *   ({@link java.nio.file.FileAlreadyExistsException})</td></tr>
 * <tr><td>{@code size}</td><td>bytes, or with suffix {@code K M G T} (binary)</td><td>virtual size
 *   of the new image, at most 2040 GiB; rounded up to a CHS geometry as qemu-img does, so every
 *   reader sees the same size</td></tr>
 * <tr><td>{@code type}</td><td>{@code dynamic} (default), {@code fixed},
 *   {@code differencing}</td><td>type of the new image; a fixed image is created sparse; a
 *   differencing one needs {@code parent} and takes its size from it</td></tr>
 * <tr><td>{@code parent}</td><td>path on the image's host, or URI of an installed provider's
 *   file system ({@code s3://bucket/base.vhd})</td><td>parent of a new differencing
 *   image, resolved against the new image's directory when relative (as qemu-img does). The child
 *   records the parent's unique id, file time and name, and {@code W2ku} (absolute) and
 *   {@code W2ru} (relative) locators, as Hyper-V writes them; a parent on another host, its URI
 *   (VHD: a {@code MacX} locator; VHDX: a {@code vhdfs_parent_uri} key) and its file name beside
 *   the child. Opening an image that exists: its parent, in place of the places it records (the
 *   id must still match); the parent's own parents are found as they record them</td></tr>
 * <tr><td>{@code blockSize}</td><td>bytes, power of two, 512 B to 256 MiB</td><td>block size of a
 *   new dynamic image (2 MiB)</td></tr>
 * <tr><td>{@code exactSize}</td><td>{@code true}</td><td>keep the size to the byte (a multiple of
 *   512) with geometry 65535/16/255, as Azure needs</td></tr>
 * <tr><td>{@code accessMode}</td><td>{@code readWrite}, {@code readOnly}</td><td>default: writable
 *   where the host file is. {@code readOnly}: write opens are
 *   {@link ReadOnlyFileSystemException} and the image file is never opened for writing.
 *   {@code readWrite} on a host file that is not writable: {@link AccessDeniedException}</td></tr>
 * <tr><td>{@code sizeFrom}</td><td>{@code chs}, {@code currentSize}</td><td>which footer field
 *   gives the visible size; by default CHS for creators {@code vpc } and {@code qemu} (unless the
 *   geometry is 65535/16/255), the current-size field for everyone else, as QEMU 10 does</td></tr>
 * <tr><td>{@code parentRoot}</td><td>directory on the image's host, or URI of one on another
 *   ({@code s3://bucket/images/})</td><td>no parent outside it
 *   is opened, or even looked at (its real path is checked too, so links cannot lead out). Set it
 *   in services that open images they did not create: a crafted child could otherwise name any
 *   file the process can read ({@code /etc/passwd}, another user's image) as its parent</td></tr>
 * <tr><td>{@code ignoreParentId}</td><td>{@code true}</td><td>accept a parent whose unique id is
 *   not the one the child records (by default a {@link io.vhdfs.VhdFormatException})</td></tr>
 * <tr><td>{@code locking}</td><td>{@code auto} (default), {@code on}, {@code off}</td><td>QEMU's
 *   image locks (see below): {@code auto} where the host has locks other processes see (the
 *   platform's file system), {@code on} refuses other hosts, {@code off} neither locks nor checks
 *   (to read an image another process writes, as {@code qemu-img -U} does)</td></tr>
 * <tr><td>{@code cacheSize}</td><td>bytes, or with suffix {@code K M G T}; {@code 0} for
 *   none</td><td>where the host's channels are not {@code FileChannel}s and every read is a
 *   request (an object store such as S3, a zip entry): the most bytes of each image file of the
 *   chain held in memory (64 MiB), in 1 MiB pieces shared by all channels of the image, fetched up
 *   to 8 MiB a request, with read-ahead in parallel when reads run in order; dropped when the
 *   image is opened for writing</td></tr>
 * </table>
 * A bad value is an {@link IllegalArgumentException} naming the key; unknown keys are ignored.
 *
 * <h2>Deviations from the NIO contract</h2>
 * <table>
 * <caption>deviations</caption>
 * <tr><th>operation</th><th>behaviour</th></tr>
 * <tr><td>a write that would pass the end of the disk</td><td>{@link IOException}; nothing is
 *   written (a disk does not grow)</td></tr>
 * <tr><td>{@code APPEND}</td><td>{@link UnsupportedOperationException}: it could only write past
 *   the end</td></tr>
 * <tr><td>{@code CREATE}, {@code TRUNCATE_EXISTING}, {@code SPARSE}</td><td>ignored: the disk
 *   exists and keeps its size and bytes, so {@code Files.newOutputStream(disk)} overwrites from
 *   the start; {@code CREATE_NEW} with {@code WRITE} is
 *   {@link java.nio.file.FileAlreadyExistsException}</td></tr>
 * <tr><td>{@code truncate}</td><td>a size below the disk's is an {@link IOException}; others
 *   change nothing</td></tr>
 * <tr><td>{@code transferFrom}</td><td>stops at the end of the disk</td></tr>
 * <tr><td>{@code transferTo}</td><td>into a {@code FileChannel}: only stored runs are copied;
 *   zero runs where the target is being extended (written at or past its size)
 *   are left as holes, and the target is extended to the end of the transfer, so a copy is as
 *   sparse as the disk ({@link DiskExtents} gives the same map)</td></tr>
 * <tr><td>deleting, copying, moving, creating directories, {@code setAttribute}</td><td>
 *   {@link ReadOnlyFileSystemException} on a read-only file system, otherwise
 *   {@link FileSystemException}: an image holds exactly {@code /}, {@code /disk} and the
 *   partitions its disk's table lists. {@code setTimes} sets the image file's times. So
 *   {@code Files.copy(raw, disk, REPLACE_EXISTING)}, which deletes its target first, fails; the
 *   refusal names {@link VhdImages#restore(Path, Path, VhdImages.Progress)}, which puts a raw or
 *   another image's disk back, and {@code Files.newOutputStream(disk)}, which overwrites from the
 *   start</td></tr>
 * <tr><td>{@code FileChannel.map}</td><td>{@link UnsupportedOperationException}: a disk's bytes are
 *   not contiguous in the image file</td></tr>
 * <tr><td>{@code FileChannel.lock}</td><td>JVM-local advisory locks: overlaps within the JVM are
 *   detected, nothing is locked on the host file</td></tr>
 * <tr><td>watch service, user principals, {@code Path.toFile}</td><td>
 *   {@link UnsupportedOperationException}</td></tr>
 * </table>
 *
 * <h2>Partitions</h2>
 * Beside {@code /disk}, the root directory holds one regular file per partition of the disk:
 * {@code /p1}–{@code /p4} for MBR primaries, {@code /p5} onwards for the logical partitions of an
 * extended partition's EBR chain (the extended partition itself is not listed), {@code /pN} for
 * GPT entry N; numbers keep gaps, as Linux's do. A partition file is a window onto the disk with
 * every channel behaviour of {@code /disk}: its size is the partition's, reads end at its end,
 * writes past its end are an {@link IOException} that writes nothing; writes go through the same
 * image locks and checks as the disk's. Its byte-range locks are its own, as another file's would
 * be. The {@code partition} attribute view ({@link PartitionAttributes}) says what the table says
 * of it. The table is read from the disk each time partitions are looked up or listed, so a table
 * written through {@code /disk} shows at once; an open channel keeps the window it was opened
 * with. A GPT is found behind a protective MBR (type 0xEE); its header and entry-array CRCs are
 * checked, and the backup is used when the primary is damaged. A malformed table never stops
 * the disk from opening: entries that cannot be trusted (outside the disk, overlapping one
 * listed before, past a loop in the EBR chain or beyond the bounds on counts and sizes) are left
 * out, and the reason is logged (logger {@code io.vhdfs}, {@code WARNING}) naming the image.
 *
 * <h2>Parent chains</h2>
 * A differencing image's parent is looked for where its header says, in this order: the
 * {@code W2ru} relative locators, the {@code W2ku} absolute ones, {@code MacX} URLs, then the
 * header's parent name next to the child. Windows paths map onto the child's own host: relative
 * ones from the child's directory, absolute ones from the host's root, drive letter dropped where
 * the host has none. The first place holding a VHD with the recorded unique id is the parent; a
 * parent whose file time differs from the one recorded is only logged (logger {@code io.vhdfs},
 * {@code WARNING}), since copies and time zones move file times. A missing parent is a
 * {@link io.vhdfs.VhdFormatException} naming every place tried, and so are loops and chains of
 * more than 32 images. Parents are opened read-only and
 * shared by every child open in this JVM; while a child is open its parents accept no writable
 * channel, and a child does not open while its parent has one ({@link FileSystemException}).
 * {@link VhdImages#commit} merges a child into its parent.
 *
 * <h2>Other processes and hosts</h2>
 * An image open here holds QEMU's image locks (the one-byte locks of QEMU's file driver at
 * offsets 100 + permission and 200 + permission, as POSIX locks, which QEMU's OFD locks and this
 * provider honour both ways): while a channel reads it, QEMU may read but not write it; while one
 * writes it, QEMU may not open it at all unless with {@code -U}; and an image QEMU (or vhdfs in
 * another JVM) writes is refused with a {@link FileSystemException} saying that another process
 * has it open for writing. The locks are held once per image in the JVM and released when its
 * last channel closes. Closing any channel of the image file drops a process's POSIX locks; the
 * provider takes them again at once after its own channels, but code that opens and closes the
 * image file itself while it is open here drops them.
 *
 * <p>Before an image is first opened for writing, its host is probed on a scratch file beside it
 * (deleted at once) for updates in place: a host that empties a file opened for writing (zip),
 * uploads it whole when it closes (object stores), or only streams, refuses the write open with a
 * {@link FileSystemException} saying why, and the image stays byte for byte as it was; reads work
 * as before.
 *
 * <h2>Durability</h2>
 * {@code force} makes every completed write durable. Without it, a crash loses at most the writes
 * since the last {@code force}: the image file always ends in a valid footer and the BAT never
 * points at a block whose bitmap and data are not in the file, so it still opens here, in qemu-img
 * and in libvhdi, and no sector reads garbage. That holds across a power cut too: new BAT entries
 * are written (at {@code force}, at the close of a writing channel, or every 1024 new blocks) only
 * after the blocks and the grown file length are on disk, so such a close costs one
 * {@code fdatasync}; a close with no new blocks costs none.
 *
 * <h2>Errors</h2>
 * A malformed image is refused with {@link VhdFormatException}, whose message says what is wrong,
 * at which byte offset, and in which file.
 */
public final class VhdFileSystemProvider extends FileSystemProvider {
  /** The URI scheme. */
  public static final String SCHEME = "vhd";

  private static final String NO_COPY =
      "entries of an image cannot be copied or moved; copy the disk's bytes through channels";
  /**
   * Why delete is refused, with what to do instead: {@code Files.copy(raw, disk,
   * REPLACE_EXISTING)} deletes its target first, and this is what its caller then reads.
   */
  private static final String NO_DELETE = "the entries of an image cannot be deleted, so "
      + "Files.copy with REPLACE_EXISTING cannot write one; to put a raw disk or another "
      + "image's disk back onto it, use VhdImages.restore(source, disk, progress) (or "
      + "'vhd restore'), which writes the source and then zeros to the end, or overwrite it "
      + "from offset 0 with Files.newOutputStream(disk)";

  private final Map<Path, VhdFileSystem> registry = new HashMap<>();

  /** Called by the service loader; there is normally one instance per class loader. */
  public VhdFileSystemProvider() {}

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
    Path image = imageOf(uri);
    FileSystemConfig config = FileSystemConfig.parse(env, image);
    Path before = keyOf(image);
    VhdFileSystem implicit;
    synchronized (registry) {
      implicit = registry.get(before);
      if (implicit != null && !implicit.isImplicit()) {
        throw new FileSystemAlreadyExistsException(uri + " (close the file system that "
            + "newFileSystem made for it first)");
      }
    }
    if (config.create()) {
      create(image, config);
    }
    checkAccessMode(image, config);
    Path key = keyOf(image); // again: a new image's real path is known once it exists
    if (implicit != null) {
      // Path.of(uri) made one with default options: it takes these, and keeps its paths.
      try {
        implicit.adopt(config, key);
      } catch (IOException | RuntimeException e) {
        if (config.create()) {
          Files.deleteIfExists(image);
        }
        throw e;
      }
      synchronized (registry) {
        registry.remove(before, implicit);
        VhdFileSystem other = registry.putIfAbsent(key, implicit);
        if (other != null && other != implicit) {
          throw new FileSystemAlreadyExistsException(uri.toString());
        }
        implicit.rekey(key);
      }
      return implicit;
    }
    VhdFileSystem fs = new VhdFileSystem(this, image, key, config, key, false);
    validate(fs, image, config);
    synchronized (registry) {
      VhdFileSystem other = registry.get(key);
      if (other != null && !other.isImplicit()) {
        throw new FileSystemAlreadyExistsException(uri.toString());
      }
      if (other != null) {
        // Path.of(uri) raced us: the explicit options win only if nothing is open there.
        other.adopt(config, key);
        return other;
      }
      registry.put(key, fs);
    }
    return fs;
  }

  @Override
  public FileSystem newFileSystem(Path path, Map<String, ?> env) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env, path);
    if (config.create()) {
      create(path, config);
    } else if (!Files.isRegularFile(path)) {
      // Only claim a missing file when its name says it is ours; directories are never ours.
      String name = path.toString().toLowerCase(java.util.Locale.ROOT);
      if (!Files.exists(path) && (name.endsWith(".vhd") || name.endsWith(".vhdx"))) {
        throw new NoSuchFileException(path.toString());
      }
      throw new UnsupportedOperationException("not a VHD or VHDX image: " + path);
    } else {
      try (HostFile host = HostFile.openForReading(path)) {
        if (Formats.probe(host) == null) {
          throw new UnsupportedOperationException(
              "not a VHD or VHDX image (no signature of either): " + path);
        }
      }
    }
    checkAccessMode(path, config);
    VhdFileSystem fs = new VhdFileSystem(this, path, keyOf(path), config, null, false);
    validate(fs, path, config);
    return fs;
  }

  /** Opens the image once; an image just created that does not open is not left behind. */
  private static void validate(VhdFileSystem fs, Path image, FileSystemConfig config)
      throws IOException {
    try {
      fs.validate();
    } catch (IOException | RuntimeException e) {
      if (config.create()) {
        Files.deleteIfExists(image);
      }
      throw e;
    }
  }

  private static void create(Path image, FileSystemConfig config) throws IOException {
    if (config.accessMode() == FileSystemConfig.AccessMode.READ_WRITE) {
      // Refused before the image exists: it could not be opened as asked (VHDX, for now).
      config.format().require(ImageFormat.Capability.WRITE, image.toString());
    }
    Create.image(image, config.format(), config.newImage(), config.parent(),
        config.chainOptions());
  }

  /**
   * {@code accessMode=readWrite} promises writes, so an image whose format cannot be written yet
   * (VHDX), a host file that refuses them, or a host that cannot update a file in place, fails
   * now, before anything is touched.
   */
  private static void checkAccessMode(Path image, FileSystemConfig config) throws IOException {
    if (config.accessMode() != FileSystemConfig.AccessMode.READ_WRITE) {
      return;
    }
    try (HostFile host = HostFile.openForReading(image)) {
      ImageFormat format = Formats.probe(host);
      if (format != null) {
        format.require(ImageFormat.Capability.WRITE, image.toString());
      }
    }
    if (!Files.isWritable(image)) {
      throw new AccessDeniedException(image.toString(), null,
          "accessMode=readWrite, but the image file is not writable");
    }
    InPlaceUpdates.require(image);
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    Path key = keyOf(imageOf(uri));
    synchronized (registry) {
      VhdFileSystem fs = registry.get(key);
      if (fs == null) {
        throw new FileSystemNotFoundException(uri.toString());
      }
      return fs;
    }
  }

  /** The disk (or the entry the fragment names) of the image, creating its file system if need be. */
  @Override
  public Path getPath(URI uri) {
    Path image = imageOf(uri);
    Path key = keyOf(image);
    VhdFileSystem fs;
    synchronized (registry) {
      fs = registry.computeIfAbsent(
          key, k -> new VhdFileSystem(this, image, k, FileSystemConfig.defaults(), k, true));
    }
    String entry = uri.getFragment();
    return entry == null ? fs.diskPath() : fs.rootPath().resolve(entry);
  }

  void unregister(VhdFileSystem fs) {
    if (fs.registryKey() != null) {
      synchronized (registry) {
        registry.remove(fs.registryKey(), fs);
      }
    }
  }

  /** The host path a {@code vhd:} URI names. */
  static Path imageOf(URI uri) {
    if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("not a vhd: URI: " + uri + "; " + FORMS);
    }
    if (uri.isOpaque()) {
      return nestedImageOf(uri);
    }
    String path = uri.getPath();
    if (uri.getRawAuthority() != null || uri.getRawQuery() != null || path == null
        || !path.startsWith("/")) {
      throw new IllegalArgumentException("not an image path: " + uri + "; " + FORMS);
    }
    try {
      // Decoded, then quoted again as a file: URI wants (UTF-8 for what is not ASCII): people
      // write vhd: URIs with raw spaces and letters such as ü, or build them with the URI
      // constructors, which quote some characters and leave others alone.
      return Path.of(URI.create(new URI("file", null, path, null).toASCIIString()));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not an image path: " + uri + " (" + e.getMessage()
          + "); " + FORMS, e);
    }
  }

  /** The forms a refused URI is told to use instead. */
  private static final String FORMS = "write vhd: followed by the image's absolute path, "
      + "percent-encoded as in a file: URI (vhd:/data/my%20disk.vhd, or \"vhd:\" + "
      + "image.toUri().getRawPath()), or vhd: followed by the image's URI on another file system "
      + "(vhd:jimfs://fs/a.vhd, vhd:jar:file:/data/images.zip!/a.vhd)";

  /**
   * {@code vhd:<URI of the image on another provider>}, say {@code vhd:jimfs://fs/a.vhd}. A zip
   * ({@code jar:}) or other host whose file system is not open yet is opened with its defaults
   * and stays open, as the JDK's own providers keep theirs, for the image's file system to use.
   */
  private static Path nestedImageOf(URI uri) {
    URI inner;
    try {
      inner = new URI(uri.getRawSchemeSpecificPart());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not an image URI: " + uri + " (" + e.getMessage()
          + "); " + FORMS, e);
    }
    if (inner.getScheme() == null) {
      throw new IllegalArgumentException("not an image URI: " + uri + " (a relative path); "
          + FORMS);
    }
    if (inner.getScheme().equalsIgnoreCase(SCHEME)) {
      throw new IllegalArgumentException("an image inside a vhd: disk is not a host: " + uri);
    }
    try {
      return Path.of(inner);
    } catch (FileSystemNotFoundException notOpen) {
      try {
        FileSystems.newFileSystem(inner, Map.of());
      } catch (FileSystemAlreadyExistsException raced) {
        // opened meanwhile: fine
      } catch (IOException | RuntimeException e) {
        FileSystemNotFoundException f = new FileSystemNotFoundException("the file system of "
            + inner + " is not open and could not be opened (" + e + "); open it with "
            + "FileSystems.newFileSystem first, or " + FORMS);
        f.initCause(e);
        throw f;
      }
      return Path.of(inner);
    }
  }

  /** Registry key: the real path, so two spellings of one image share a file system. */
  private static Path keyOf(Path image) {
    try {
      return image.toRealPath();
    } catch (IOException e) {
      return image.toAbsolutePath().normalize();
    }
  }

  URI uriOf(VhdFileSystem fs, VhdPath absolute) {
    Path image = fs.image();
    String base = image.getFileSystem() == FileSystems.getDefault()
        ? SCHEME + ":" + image.toUri().getRawPath()
        : SCHEME + ":" + image.toUri();
    if (absolute.equals(fs.diskPath())) {
      return URI.create(base);
    }
    try {
      return URI.create(base + "#" + new URI(null, null, absolute.toString()).getRawFragment());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static VhdPath toVhdPath(Path path) {
    if (path == null) {
      throw new NullPointerException("path");
    }
    if (!(path instanceof VhdPath p)) {
      throw new ProviderMismatchException("not a vhd path: " + path);
    }
    return p;
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    VhdPath p = toVhdPath(path);
    VhdFileSystem fs = p.getFileSystem();
    fs.ensureOpen();
    ChannelOptions opts = ChannelOptions.of(options);
    if (attrs.length > 0) {
      throw new UnsupportedOperationException("vhd entries take no file attributes at open");
    }
    VhdPath abs = (VhdPath) p.toAbsolutePath().normalize();
    if (abs.equals(fs.rootPath())) {
      throw new FileSystemException(p.toString(), null, "is a directory");
    }
    int partition = VhdFileSystem.partitionNumber(abs);
    if (partition == 0 && !abs.equals(fs.diskPath())) {
      fs.lookup(p); // throws, saying what the image holds
    }
    if (opts.createNew()) {
      fs.lookup(p); // a partition that is not there cannot be made by opening it either
      throw new FileAlreadyExistsException(p.toString(), null,
          "the entries of an image always exist");
    }
    return fs.newChannel(opts, partition);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir,
      DirectoryStream.Filter<? super Path> filter) throws IOException {
    VhdPath p = toVhdPath(dir);
    VhdFileSystem fs = p.getFileSystem();
    if (!fs.lookup(p).directory()) {
      throw new NotDirectoryException(dir.toString());
    }
    checkHostExists(fs);
    List<String> names = new ArrayList<>();
    names.add(VhdFileSystem.DISK_NAME);
    for (Partition partition : fs.partitionTable().partitions()) {
      names.add(partition.fileName());
    }
    return new DiskDirectoryStream(dir, names, filter);
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    refuseChange(toVhdPath(dir), "an image holds only /, /disk and its disk's partitions");
  }

  @Override
  public void delete(Path path) throws IOException {
    refuseChange(toVhdPath(path), NO_DELETE);
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    toVhdPath(target);
    refuseChange(toVhdPath(source), NO_COPY);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    toVhdPath(target);
    refuseChange(toVhdPath(source), NO_COPY);
  }

  /**
   * Refuses a change the path model cannot make: {@link ReadOnlyFileSystemException}
   * on a read-only file system, as NIO asks, else a {@link FileSystemException} saying why.
   */
  private static void refuseChange(VhdPath p, String why) throws IOException {
    VhdFileSystem fs = p.getFileSystem();
    fs.ensureOpen();
    if (fs.isReadOnly()) {
      throw new ReadOnlyFileSystemException();
    }
    throw new FileSystemException(p.toString(), null, why);
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    VhdPath a = toVhdPath(path);
    if (a.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof VhdPath b)) {
      return false;
    }
    checkAccess(a);
    checkAccess(b);
    boolean sameEntry = a.toAbsolutePath().normalize().toString()
        .equals(b.toAbsolutePath().normalize().toString());
    return sameEntry && (a.getFileSystem() == b.getFileSystem()
        || Files.isSameFile(a.getFileSystem().image(), b.getFileSystem().image()));
  }

  @Override
  public boolean isHidden(Path path) {
    toVhdPath(path);
    return false;
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    VhdPath p = toVhdPath(path);
    checkAccess(p);
    return p.getFileSystem().store();
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    VhdPath p = toVhdPath(path);
    VhdFileSystem fs = p.getFileSystem();
    fs.ensureOpen();
    checkHostExists(fs);
    fs.lookup(p);
    for (AccessMode m : modes) {
      if (m == AccessMode.WRITE && fs.isReadOnly()) {
        throw new AccessDeniedException(p.toString(), null, "the vhd file system is read-only");
      }
      if (m == AccessMode.EXECUTE) {
        throw new AccessDeniedException(p.toString(), null, "nothing in an image is executable");
      }
    }
  }

  private static void checkHostExists(VhdFileSystem fs) throws IOException {
    Path image = fs.image();
    image.getFileSystem().provider().checkAccess(image, AccessMode.READ);
  }

  @Override
  @SuppressWarnings("unchecked")
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type,
      LinkOption... options) {
    VhdPath p = toVhdPath(path);
    if (type == BasicFileAttributeView.class) {
      return (V) new ImageAttributeView(this, p, "basic");
    }
    if (type == VhdFileAttributeView.class) {
      return (V) new ImageAttributeView(this, p, ImageAttributes.VHD_VIEW);
    }
    if (type == PartitionAttributeView.class
        && VhdFileSystem.partitionNumber((VhdPath) p.toAbsolutePath().normalize()) > 0) {
      return (V) new PartitionFileAttributeView(this, p);
    }
    return null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type,
      LinkOption... options) throws IOException {
    VhdPath p = toVhdPath(path);
    if (type == BasicFileAttributes.class || type == VhdFileAttributes.class) {
      return (A) attributesOf(p);
    }
    if (type == PartitionAttributes.class) {
      return (A) partitionAttributesOf(p);
    }
    throw new UnsupportedOperationException("attributes " + type.getName() + " not supported");
  }

  ImageAttributes attributesOf(VhdPath p) throws IOException {
    VhdFileSystem fs = p.getFileSystem();
    Entry entry = fs.lookup(p);
    BasicFileAttributes host = Files.readAttributes(fs.image(), BasicFileAttributes.class);
    DiskInfo info = fs.info();
    long size = entry.directory() ? 0
        : entry.isPartition() ? entry.partition().size() : info.size();
    return new ImageAttributes(info, host, entry.directory(), size);
  }

  /**
   * The {@code partition} view of {@code p}.
   *
   * @throws UnsupportedOperationException if {@code p} is not a partition's name
   */
  PartitionFileAttributes partitionAttributesOf(VhdPath p) throws IOException {
    VhdFileSystem fs = p.getFileSystem();
    fs.ensureOpen();
    if (VhdFileSystem.partitionNumber((VhdPath) p.toAbsolutePath().normalize()) == 0) {
      throw new UnsupportedOperationException("the " + PartitionFileAttributeView.NAME
          + " view is only on partition entries (/p1, /p2, ...), not on " + p);
    }
    Entry entry = fs.lookup(p);
    return new PartitionFileAttributes(entry.partition(),
        Files.readAttributes(fs.image(), BasicFileAttributes.class));
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    VhdPath p = toVhdPath(path);
    int colon = attributes.indexOf(':');
    String view = colon < 0 ? "basic" : attributes.substring(0, colon);
    String names = colon < 0 ? attributes : attributes.substring(colon + 1);
    Map<String, Object> all;
    if (view.equals(PartitionFileAttributeView.NAME)) {
      all = partitionAttributesOf(p).toMap();
    } else if (view.equals("basic")) {
      all = attributesOf(p).basicMap();
    } else if (isFormatView(view)) {
      // A format's view (vhd) shows what the image's format says of it.
      all = attributesOf(p).viewMap(view);
      if (all == null) {
        throw new UnsupportedOperationException("view '" + view + "' is not supported by "
            + p.getFileSystem());
      }
    } else {
      throw new UnsupportedOperationException("view '" + view + "' is not supported");
    }
    if (names.equals("*")) {
      return all;
    }
    Map<String, Object> picked = new LinkedHashMap<>();
    for (String n : names.split(",")) {
      if (n.equals("*")) {
        picked.putAll(all);
      } else if (all.containsKey(n)) {
        picked.put(n, all.get(n));
      } else {
        throw new IllegalArgumentException("'" + n + "' is not an attribute of view '" + view + "'");
      }
    }
    return picked;
  }

  /** Whether {@code view} names a format's attribute view: {@code vhd}, the typed one. */
  private static boolean isFormatView(String view) {
    return view.equals(ImageAttributes.VHD_VIEW)
        || Formats.ALL.stream().anyMatch(f -> f.name().equals(view));
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    refuseChange(toVhdPath(path), "attributes of an image's entries cannot be set");
  }
}
