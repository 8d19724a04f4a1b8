package io.vhdfs.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * What a differencing image records of its parent, decoded by its format: the id the parent must
 * have, and the places that may hold it, in the order the format's writers mean them to be
 * tried. Finding the parent from them ({@link ParentLookup}: host paths, {@code parentRoot},
 * ids), and refusing loops and chains too deep ({@link ParentChain}), is the same for every
 * format, and done once, in {@code disk}.
 *
 * @param parentFormat the format the parent must be in, whose {@link ImageFormat#linkId} each
 *     place is checked with
 * @param expectedId the {@link DiskInfo#linkId} the parent must have
 * @param parentName how the child names its parent, for messages ("" where it names none)
 * @param candidates the places to look, in order
 * @param idOffset where the child records {@code expectedId}, for messages (-1 for none)
 * @param nameOffset where the child records {@code parentName}, for messages (-1 for none)
 * @param opened told of the parent once it is found and open, for checks of the format's own
 *     that never refuse it (VHD: the parent's time stamp), or {@code null}
 * @param alsoAccepted other ids the parent may have (VHDX: {@code parent_linkage2}, recorded
 *     while a merge changes the parent's id)
 */
public record ParentLink(ImageFormat parentFormat, UUID expectedId, String parentName,
    List<Candidate> candidates, long idOffset, long nameOffset, Opened opened,
    List<UUID> alsoAccepted) {

  /** Copies the lists. */
  public ParentLink {
    candidates = List.copyOf(candidates);
    alsoAccepted = List.copyOf(alsoAccepted);
  }

  /** A link whose parent has exactly one acceptable id. */
  public ParentLink(ImageFormat parentFormat, UUID expectedId, String parentName,
      List<Candidate> candidates, long idOffset, long nameOffset, Opened opened) {
    this(parentFormat, expectedId, parentName, candidates, idOffset, nameOffset, opened,
        List.of());
  }

  /**
   * This link with one place only, the parent a user names ({@code parent} of the env) in place
   * of those the image records; the id must match all the same.
   */
  public ParentLink namedBy(String given) {
    return new ParentLink(parentFormat, expectedId, parentName,
        List.of(new Candidate("env key 'parent'", Form.GIVEN, given)), idOffset, nameOffset,
        opened, alsoAccepted);
  }

  /** Whether a parent with link id {@code id} is the one this link names. */
  public boolean accepts(UUID id) {
    return id.equals(expectedId) || alsoAccepted.contains(id);
  }

  /**
   * A place the child names, as it names it.
   *
   * @param what what names it, for messages: {@code W2ru locator 0}, {@code parent name}
   * @param form how {@code text} names a path
   * @param text the path as recorded
   */
  public record Candidate(String what, Form form, String text) {}

  /** How a candidate's text names a path on the child's host. */
  public enum Form {
    /** A Windows path relative to the child's directory: {@code .\dir\p.vhd}, {@code ..\p.vhd}. */
    WINDOWS_RELATIVE,
    /** An absolute Windows path: {@code C:\vm\p.vhd}, {@code \vm\p.vhd}; UNC paths name none. */
    WINDOWS_ABSOLUTE,
    /**
     * A {@code file:} URL of the local host, or the URI of another host's file system whose
     * provider is installed ({@code s3://bucket/base.vhd}), for a parent on another host.
     */
    FILE_URL,
    /** A file name (of a path whose last name counts), looked for next to the child. */
    NAME_BESIDE_CHILD,
    /** As a user gives it: a URI, or a path on the child's host from its directory. */
    GIVEN
  }

  /** Checks a format makes of a parent found and opened, besides its id; they never refuse it. */
  @FunctionalInterface
  public interface Opened {
    /**
     * @param child the child, as named in messages
     * @param parent the parent's real path
     * @param disk the parent, open
     */
    void check(String child, Path parent, VirtualDisk disk) throws IOException;
  }
}
