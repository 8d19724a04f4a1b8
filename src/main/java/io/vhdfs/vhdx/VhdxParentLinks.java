package io.vhdfs.vhdx;

import io.vhdfs.disk.ParentLink;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a differencing VHDX records of its parent, as a {@link ParentLink} (spec 2.6.2.6,
 * {@code docs/vhdx-format.md} section 5): the parent's DataWriteGuid from {@code parent_linkage}
 * ({@code parent_linkage2} accepted too), and the paths in the spec's order: {@code relative_path}
 * from the child's directory, {@code volume_path} and {@code absolute_win32_path}. A volume GUID
 * path names nothing off Windows, so its file name is looked for next to the child; a
 * {@code \\?\} drive path loses its prefix and is tried from the host's root, then by its file
 * name next to the child. A parent on another host is named by its URI, under
 * {@link ParentLocator#VHDFS_PARENT_URI}, after the spec's paths.
 */
final class VhdxParentLinks {
  private static final String LONG_PREFIX = "\\\\?\\";

  private VhdxParentLinks() {}

  /**
   * @param locatorAt where the parent locator item lies in the file, for messages
   */
  static ParentLink of(ParentLocator locator, long locatorAt) {
    List<ParentLink.Candidate> candidates = new ArrayList<>();
    Optional<String> relative = locator.get(ParentLocator.RELATIVE_PATH);
    relative.ifPresent(p -> candidates.add(new ParentLink.Candidate(ParentLocator.RELATIVE_PATH,
        ParentLink.Form.WINDOWS_RELATIVE, p)));
    locator.get(ParentLocator.VOLUME_PATH).ifPresent(p -> candidates.add(
        new ParentLink.Candidate(ParentLocator.VOLUME_PATH, ParentLink.Form.NAME_BESIDE_CHILD,
            p)));
    Optional<String> absolute = locator.get(ParentLocator.ABSOLUTE_WIN32_PATH);
    absolute.ifPresent(p -> {
      String path = p.startsWith(LONG_PREFIX) ? p.substring(LONG_PREFIX.length()) : p;
      if (path.length() >= 2 && path.charAt(1) == ':') {
        candidates.add(new ParentLink.Candidate(ParentLocator.ABSOLUTE_WIN32_PATH,
            ParentLink.Form.WINDOWS_ABSOLUTE, path));
      }
      candidates.add(new ParentLink.Candidate(ParentLocator.ABSOLUTE_WIN32_PATH,
          ParentLink.Form.NAME_BESIDE_CHILD, p));
    });
    locator.get(ParentLocator.VHDFS_PARENT_URI).ifPresent(p -> candidates.add(
        new ParentLink.Candidate(ParentLocator.VHDFS_PARENT_URI, ParentLink.Form.FILE_URL, p)));
    String name = relative.or(() -> absolute).or(() -> locator.get(ParentLocator.VOLUME_PATH))
        .orElse("");
    return new ParentLink(VhdxFormat.INSTANCE, locator.parentLinkage(), name, candidates,
        locatorAt, locatorAt, null, locator.parentLinkage2().stream().toList());
  }
}
