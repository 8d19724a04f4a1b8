package io.vhdfs.nio;

import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A path inside one image's file system: Unix syntax, {@code /} the root directory, {@code /disk}
 * the virtual disk. Pure string algebra; nothing here touches the image.
 */
final class VhdPath implements Path {
  private final VhdFileSystem fs;
  /** Normalised form: no empty names, no trailing slash except the root itself. */
  private final String path;
  private final boolean absolute;
  private final String[] names;

  VhdPath(VhdFileSystem fs, String path) {
    this.fs = fs;
    this.absolute = path.startsWith("/");
    this.names = Arrays.stream(path.split("/")).filter(n -> !n.isEmpty()).toArray(String[]::new);
    this.path = (absolute ? "/" : "") + String.join("/", names);
  }

  private VhdPath(VhdFileSystem fs, boolean absolute, List<String> names) {
    this(fs, (absolute ? "/" : "") + String.join("/", names));
  }

  @Override
  public VhdFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return absolute;
  }

  @Override
  public Path getRoot() {
    return absolute ? new VhdPath(fs, "/") : null;
  }

  @Override
  public Path getFileName() {
    if (names.length == 0) {
      return absolute ? null : this;
    }
    return new VhdPath(fs, names[names.length - 1]);
  }

  @Override
  public Path getParent() {
    if (names.length == 0 || (names.length == 1 && !absolute)) {
      return null;
    }
    return new VhdPath(fs, absolute, Arrays.asList(names).subList(0, names.length - 1));
  }

  @Override
  public int getNameCount() {
    return names.length == 0 && !absolute ? 1 : names.length;
  }

  @Override
  public Path getName(int index) {
    if (names.length == 0 && !absolute && index == 0) {
      return this;
    }
    if (index < 0 || index >= names.length) {
      throw new IllegalArgumentException("no name " + index + " in '" + path + "'");
    }
    return new VhdPath(fs, names[index]);
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    if (beginIndex < 0 || endIndex > names.length || beginIndex >= endIndex) {
      throw new IllegalArgumentException(
          "bad subpath [" + beginIndex + ", " + endIndex + ") of '" + path + "'");
    }
    return new VhdPath(fs, false, Arrays.asList(names).subList(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    if (!(other instanceof VhdPath o) || o.fs != fs || o.absolute != absolute
        || o.names.length > names.length || (o.names.length == 0 && !o.absolute && !isEmpty())) {
      return false;
    }
    for (int i = 0; i < o.names.length; i++) {
      if (!o.names[i].equals(names[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean endsWith(Path other) {
    if (!(other instanceof VhdPath o) || o.fs != fs) {
      return false;
    }
    if (o.absolute) {
      return equals(o);
    }
    if (o.isEmpty()) {
      return isEmpty();
    }
    if (o.names.length > names.length) {
      return false;
    }
    int shift = names.length - o.names.length;
    for (int i = 0; i < o.names.length; i++) {
      if (!o.names[i].equals(names[shift + i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Path normalize() {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n.equals(".")) {
        continue;
      }
      if (n.equals("..")) {
        if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
          out.remove(out.size() - 1);
          continue;
        }
        if (absolute) {
          continue; // ".." above the root stays at the root
        }
      }
      out.add(n);
    }
    return new VhdPath(fs, absolute, out);
  }

  @Override
  public Path resolve(Path other) {
    VhdPath o = checkPath(other);
    if (o.absolute) {
      return o;
    }
    if (o.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return o;
    }
    return new VhdPath(fs, path + "/" + o.path);
  }

  @Override
  public Path relativize(Path other) {
    VhdPath o = checkPath(other);
    if (o.absolute != absolute) {
      throw new IllegalArgumentException("'" + other + "' and '" + this
          + "' must both be absolute or both be relative");
    }
    int common = 0;
    while (common < names.length && common < o.names.length
        && names[common].equals(o.names[common])) {
      common++;
    }
    List<String> out = new ArrayList<>();
    for (int i = common; i < names.length; i++) {
      out.add("..");
    }
    out.addAll(Arrays.asList(o.names).subList(common, o.names.length));
    return new VhdPath(fs, false, out);
  }

  @Override
  public URI toUri() {
    return fs.uriOf((VhdPath) toAbsolutePath().normalize());
  }

  @Override
  public Path toAbsolutePath() {
    return absolute ? this : new VhdPath(fs, "/" + path);
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    VhdPath real = (VhdPath) toAbsolutePath().normalize();
    fs.provider().checkAccess(real);
    return real;
  }

  /** No watch service exists on this provider, so every watcher is some other provider's. */
  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events,
      WatchEvent.Modifier... modifiers) {
    Objects.requireNonNull(watcher);
    Objects.requireNonNull(events);
    throw new ProviderMismatchException("vhd file systems have no watch service");
  }

  @Override
  public int compareTo(Path other) {
    return path.compareTo(((VhdPath) other).path);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VhdPath p && p.fs == fs && p.path.equals(path);
  }

  @Override
  public int hashCode() {
    return fs.hashCode() * 31 + path.hashCode();
  }

  @Override
  public String toString() {
    return path;
  }

  boolean isEmpty() {
    return path.isEmpty();
  }

  private VhdPath checkPath(Path other) {
    Objects.requireNonNull(other, "other");
    if (!(other instanceof VhdPath o)) {
      throw new ProviderMismatchException("not a vhd path: " + other);
    }
    return o;
  }
}
