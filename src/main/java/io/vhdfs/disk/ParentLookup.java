package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
import io.vhdfs.vhd.DynamicHeader;
import io.vhdfs.vhd.Footer;
import io.vhdfs.vhd.FooterLocator;
import io.vhdfs.vhd.ParentLocator;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the parent of a differencing image. The places are tried in the order the format's writers
 * mean them to be: the {@code W2ru} relative locators (which survive moving a whole chain), the
 * {@code W2ku} absolute ones, {@code MacX} file URLs, then the header's parent name next to the
 * child, as libvhdi looks. Windows paths map onto the child's own host file system: a relative
 * path from the child's directory, an absolute one from its root (the drive letter dropped where
 * the host has none). The first place that holds a VHD whose unique id is the one the child
 * records is the parent.
 *
 * <p>With a {@code parentRoot}, a place outside it is not even looked at: first by its name, then,
 * for one inside, by its real path, so a symbolic link cannot lead out either.
 */
public final class ParentLookup {
  /** The parent found: its real path, its footer, and which place named it. */
  public record Found(Path path, Footer footer, String place) {}

  /** A place the header names: a path, or why it names none. */
  record Place(String label, Path path, String unusable) {}

  private static final int[] LOCATOR_ORDER =
      {ParentLocator.W2RU, ParentLocator.W2KU, ParentLocator.MACX};

  private final HostFile child;
  private final Path childReal;
  private final DynamicHeader header;
  private final long headerAt;

  private ParentLookup(HostFile child, Path childReal, DynamicHeader header, long headerAt) {
    this.child = child;
    this.childReal = childReal;
    this.header = header;
    this.headerAt = headerAt;
  }

  /**
   * Finds the parent of the child in {@code child}, whose real path is {@code childReal}.
   *
   * @throws VhdFormatException naming every place tried when none holds the parent, or the ids
   *     found when only parents with another unique id exist
   */
  public static Found find(HostFile child, Path childReal, DynamicHeader header, long headerAt,
      ChainOptions options) throws IOException {
    return new ParentLookup(child, childReal, header, headerAt).find(options);
  }

  private Found find(ChainOptions options) throws IOException {
    ChainOptions.Root root = options.rootOn(childReal.getFileSystem());
    List<String> tried = new ArrayList<>();
    List<String> otherIds = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Place place : places()) {
      if (place.path() == null) {
        tried.add(place.label() + ": " + place.unusable());
        continue;
      }
      Path p = place.path().normalize();
      String at = place.label() + " -> " + p;
      if (!seen.add(p)) {
        tried.add(at + ": tried above");
        continue;
      }
      if (root != null && !root.holdsName(p)) {
        tried.add(at + ": outside parentRoot " + root + ", not opened");
        continue;
      }
      if (!Files.isRegularFile(p)) {
        tried.add(at + ": no such file");
        continue;
      }
      Path real = p.toRealPath();
      if (root != null && !root.holdsReal(real)) {
        tried.add(at + ": really " + real + ", outside parentRoot " + root + ", not opened");
        continue;
      }
      Footer footer;
      try (HostFile candidate = HostFile.openForReading(real)) {
        footer = FooterLocator.locate(candidate, candidate.size()).footer();
      } catch (VhdFormatException e) {
        tried.add(at + ": not a VHD image (" + e.getMessage() + ")");
        continue;
      } catch (IOException e) {
        tried.add(at + ": cannot be read (" + e + ")");
        continue;
      }
      if (!options.ignoreParentId() && !footer.uniqueId().equals(header.parentUniqueId())) {
        tried.add(at + ": unique id " + footer.uniqueId() + ", not the parent's");
        otherIds.add(real + " has unique id " + footer.uniqueId());
        continue;
      }
      return new Found(real, footer, place.label());
    }
    if (!otherIds.isEmpty()) {
      throw new VhdFormatException(child.name(), headerAt + 40, "parent unique id mismatch: "
          + "the differencing image expects a parent with unique id " + header.parentUniqueId()
          + ", but " + String.join(" and ", otherIds) + " (env ignoreParentId=true opens it "
          + "anyway); places tried: " + String.join("; ", tried));
    }
    throw new VhdFormatException(child.name(), headerAt + 64, "parent image '"
        + printable(header.parentName()) + "' not found; places tried: "
        + (tried.isEmpty() ? "none (no locators and no parent name)" : String.join("; ", tried)));
  }

  /** Every place the header names, in the order they are tried. */
  private List<Place> places() throws IOException {
    List<Place> places = new ArrayList<>();
    Path dir = childReal.getParent();
    List<ParentLocator> locators = header.locators();
    for (int code : LOCATOR_ORDER) {
      for (int i = 0; i < locators.size(); i++) {
        ParentLocator l = locators.get(i);
        if (l.platformCode() != code || l.dataLength() == 0) {
          continue;
        }
        // VhdLayer checked that the data lies inside the file and is at most 64 KiB.
        String text = l.text(child.readBytes(l.dataOffset(), (int) l.dataLength()));
        String label = l.platformName() + " locator " + i + " '" + printable(text) + "'";
        places.add(switch (code) {
          case ParentLocator.W2RU -> windowsRelative(label, dir, text);
          case ParentLocator.W2KU -> windowsAbsolute(label, dir, text);
          default -> fileUrl(label, dir, text);
        });
      }
    }
    String name = header.parentName();
    if (!name.isEmpty()) {
      String label = "parent name '" + printable(name) + "' next to the image";
      String base = name.substring(Math.max(name.lastIndexOf('\\'), name.lastIndexOf('/')) + 1);
      places.add(base.isEmpty()
          ? new Place(label, null, "names no file")
          : resolved(label, dir, new String[] {base}));
      if (name.indexOf('\\') >= 0 && name.indexOf('/') < 0
          && !dir.getFileSystem().getSeparator().equals("\\")) {
        // On hosts where a backslash is an ordinary character, it may be part of the name.
        places.add(resolved(label + " as one name", dir, new String[] {name}));
      }
    }
    return places;
  }

  /** {@code .\dir\p.vhd}, {@code ..\p.vhd} or {@code p.vhd}, from the child's directory. */
  static Place windowsRelative(String label, Path dir, String text) {
    if (isWindowsAbsolute(text)) {
      return new Place(label, null, "an absolute path in a relative locator");
    }
    return resolved(label, dir, text.split("[\\\\/]+"));
  }

  /** {@code C:\vm\p.vhd} or {@code \vm\p.vhd}: natively on Windows, else from the host's root. */
  static Place windowsAbsolute(String label, Path dir, String text) {
    FileSystem fs = dir.getFileSystem();
    if (text.startsWith("\\\\") || text.startsWith("//")) {
      return new Place(label, null, "a network (UNC) path, which no local path names");
    }
    if (!isWindowsAbsolute(text)) {
      return new Place(label, null, "not an absolute Windows path");
    }
    if (fs.getSeparator().equals("\\")) {
      try {
        Path p = fs.getPath(text);
        if (p.isAbsolute()) {
          return new Place(label, p, null);
        }
      } catch (InvalidPathException e) {
        return new Place(label, null, "not a valid path here (" + e.getReason() + ")");
      }
    }
    String rest = text.length() >= 2 && text.charAt(1) == ':' ? text.substring(2) : text;
    return resolved(label, dir.getRoot(), rest.split("[\\\\/]+"));
  }

  /** {@code file://localhost/dir/p.vhd} (RFC 2396), from the host's root. */
  static Place fileUrl(String label, Path dir, String text) {
    try {
      URI uri = new URI(text);
      String host = uri.getHost();
      if (!"file".equalsIgnoreCase(uri.getScheme()) || uri.getPath() == null
          || (host != null && !host.isEmpty() && !host.equalsIgnoreCase("localhost"))) {
        return new Place(label, null, "not a local file URL");
      }
      return resolved(label, dir.getRoot(), uri.getPath().split("/+"));
    } catch (URISyntaxException e) {
      return new Place(label, null, "not a URL (" + e.getReason() + ")");
    }
  }

  private static boolean isWindowsAbsolute(String text) {
    return text.startsWith("\\") || text.startsWith("/")
        || (text.length() >= 2 && text.charAt(1) == ':' && Character.isLetter(text.charAt(0)));
  }

  /** {@code from} with each name resolved in turn, {@code .} and empty names skipped. */
  private static Place resolved(String label, Path from, String[] names) {
    if (from == null) {
      return new Place(label, null, "no directory to resolve it in");
    }
    Path p = from;
    try {
      for (String n : names) {
        if (!n.isEmpty() && !n.equals(".")) {
          p = p.resolve(n);
        }
      }
    } catch (InvalidPathException e) {
      return new Place(label, null, "not a valid path here (" + e.getReason() + ")");
    }
    return p.equals(from) ? new Place(label, null, "names no file") : new Place(label, p, null);
  }

  /** Control characters (a crafted name may hold any) shown as escapes in messages. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 300));
    for (int i = 0; i < s.length() && i < 300; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7F ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return s.length() > 300 ? b + "..." : b.toString();
  }
}
