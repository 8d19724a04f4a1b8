package io.vhdfs.disk;

import io.vhdfs.VhdFormatException;
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
import java.util.UUID;

/**
 * Finds the parent of a differencing image of any format, from what its format decoded of it
 * ({@link ParentLink}): the places are tried in the order the link lists them (for VHD the
 * {@code W2ru} relative locators, which survive moving a whole chain, the {@code W2ku} absolute
 * ones, {@code MacX} file URLs, then the header's parent name next to the child, as libvhdi
 * looks). Windows paths map onto the child's own host file system: a relative path from the
 * child's directory, an absolute one from its root (the drive letter dropped where the host has
 * none). The first place that holds an image of the parent's format whose id is the one the
 * child records is the parent.
 *
 * <p>With a {@code parentRoot}, a place outside it is not even looked at: first by its name, then,
 * for one inside, by its real path, so a symbolic link cannot lead out either.
 */
public final class ParentLookup {
  /** The parent found: its real path, its id, and which place named it. */
  public record Found(Path path, UUID linkId, String place) {}

  /** A place the child names: a path, or why it names none. */
  record Place(String label, Path path, String unusable) {}

  private final String child;
  private final Path childReal;
  private final ParentLink link;

  private ParentLookup(String child, Path childReal, ParentLink link) {
    this.child = child;
    this.childReal = childReal;
    this.link = link;
  }

  /**
   * Finds the parent {@code link} describes of the image named {@code child} in messages, whose
   * real path is {@code childReal}.
   *
   * @throws VhdFormatException naming every place tried when none holds the parent, or the ids
   *     found when only parents with another id exist
   */
  public static Found find(String child, Path childReal, ParentLink link, ChainOptions options)
      throws IOException {
    return new ParentLookup(child, childReal, link).find(options);
  }

  private Found find(ChainOptions options) throws IOException {
    ChainOptions.Root root = options.rootOn(childReal.getFileSystem());
    ImageFormat format = link.parentFormat();
    List<String> tried = new ArrayList<>();
    List<String> otherIds = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Place place : places()) {
      if (place.path() == null) {
        tried.add(place.label() + ": " + place.unusable());
        continue;
      }
      // Absolute: some providers' getParent() of an absolute path is relative (the AWS S3
      // provider's), which would put a parent found from it outside any parentRoot.
      Path p = place.path().toAbsolutePath().normalize();
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
      UUID id;
      try (HostFile candidate = HostFile.openForReading(real)) {
        id = format.linkId(candidate);
      } catch (VhdFormatException e) {
        tried.add(at + ": not a " + format.label() + " image (" + e.getMessage() + ")");
        continue;
      } catch (IOException e) {
        tried.add(at + ": cannot be read (" + e + ")");
        continue;
      }
      if (!options.ignoreParentId() && !link.accepts(id)) {
        tried.add(at + ": unique id " + id + ", not the parent's");
        otherIds.add(real + " has unique id " + id);
        continue;
      }
      return new Found(real, id, place.label());
    }
    if (!otherIds.isEmpty()) {
      throw new VhdFormatException(child, link.idOffset(), "parent unique id mismatch: "
          + "the differencing image expects a parent with unique id " + link.expectedId()
          + ", but " + String.join(" and ", otherIds) + " (env ignoreParentId=true opens it "
          + "anyway); places tried: " + String.join("; ", tried));
    }
    throw new VhdFormatException(child, link.nameOffset(), "parent image '"
        + printable(link.parentName()) + "' not found; places tried: "
        + (tried.isEmpty() ? "none (no locators and no parent name)" : String.join("; ", tried)));
  }

  /** Every place the link names, in the order they are tried. */
  private List<Place> places() {
    List<Place> places = new ArrayList<>();
    Path dir = childReal.getParent();
    for (ParentLink.Candidate c : link.candidates()) {
      String label = c.what() + " '" + printable(c.text()) + "'";
      switch (c.form()) {
        case WINDOWS_RELATIVE -> places.add(windowsRelative(label, dir, c.text()));
        case WINDOWS_ABSOLUTE -> places.add(windowsAbsolute(label, dir, c.text()));
        case FILE_URL -> places.add(fileUrl(label, dir, c.text()));
        case NAME_BESIDE_CHILD -> besideChild(places, label + " next to the image", dir, c.text());
        case GIVEN -> places.add(given(label, dir, c.text()));
      }
    }
    return places;
  }

  /**
   * The last name of {@code name} next to the child; and, on hosts where a backslash is an
   * ordinary character, the whole of a name with backslashes, which may be part of the name.
   */
  private static void besideChild(List<Place> places, String label, Path dir, String name) {
    String base = name.substring(Math.max(name.lastIndexOf('\\'), name.lastIndexOf('/')) + 1);
    places.add(base.isEmpty()
        ? new Place(label, null, "names no file")
        : resolved(label, dir, new String[] {base}));
    if (name.indexOf('\\') >= 0 && name.indexOf('/') < 0
        && !dir.getFileSystem().getSeparator().equals("\\")) {
      places.add(resolved(label + " as one name", dir, new String[] {name}));
    }
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

  /** A path or URI as a user gives it ({@link PathOrUri}). */
  private static Place given(String label, Path dir, String text) {
    try {
      return new Place(label, PathOrUri.resolve(text, dir), null);
    } catch (InvalidPathException e) {
      return new Place(label, null, "not a path here (" + e.getReason() + ")");
    }
  }

  /**
   * {@code file://localhost/dir/p.vhd} (RFC 2396), from the host's root; or another scheme's URI,
   * whose installed provider has the parent ({@code s3://bucket/base.vhd}).
   */
  static Place fileUrl(String label, Path dir, String text) {
    try {
      URI uri = new URI(text);
      String host = uri.getHost();
      if (uri.getScheme() != null && !"file".equalsIgnoreCase(uri.getScheme())) {
        return given(label, dir, text);
      }
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
