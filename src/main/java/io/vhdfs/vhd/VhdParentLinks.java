package io.vhdfs.vhd;

import io.vhdfs.disk.HostFile;
import io.vhdfs.disk.ParentLink;
import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a differencing VHD records of its parent, decoded into a {@link ParentLink}: the parent's
 * unique id, and the places to look in the order the format's writers mean them to be: the
 * {@code W2ru} relative locators (which survive moving a whole chain), the {@code W2ku} absolute
 * ones, {@code MacX} file URLs, then the header's parent name next to the child, as libvhdi
 * looks. Where those lead on the child's host is the shared engine's business.
 */
final class VhdParentLinks {
  private static final int[] LOCATOR_ORDER =
      {ParentLocator.W2RU, ParentLocator.W2KU, ParentLocator.MACX};
  /** Offsets in the dynamic header, for messages. */
  private static final int PARENT_ID_AT = 40;
  private static final int PARENT_NAME_AT = 64;

  private VhdParentLinks() {}

  /**
   * The link of the differencing image in {@code child}, whose dynamic header {@code header} is
   * at {@code headerAt}. Each locator's data is read from the file: {@link VhdLayer} has checked
   * that it lies inside and is at most 64 KiB.
   */
  static ParentLink of(HostFile child, DynamicHeader header, long headerAt) throws IOException {
    List<ParentLink.Candidate> candidates = new ArrayList<>();
    List<ParentLocator> locators = header.locators();
    for (int code : LOCATOR_ORDER) {
      for (int i = 0; i < locators.size(); i++) {
        ParentLocator l = locators.get(i);
        if (l.platformCode() != code || l.dataLength() == 0) {
          continue;
        }
        String text = l.text(child.readBytes(l.dataOffset(), (int) l.dataLength()));
        ParentLink.Form form = switch (code) {
          case ParentLocator.W2RU -> ParentLink.Form.WINDOWS_RELATIVE;
          case ParentLocator.W2KU -> ParentLink.Form.WINDOWS_ABSOLUTE;
          default -> ParentLink.Form.FILE_URL;
        };
        candidates.add(new ParentLink.Candidate(l.platformName() + " locator " + i, form, text));
      }
    }
    String name = header.parentName();
    if (!name.isEmpty()) {
      candidates.add(new ParentLink.Candidate("parent name", ParentLink.Form.NAME_BESIDE_CHILD,
          name));
    }
    return new ParentLink(VhdFormat.INSTANCE, header.parentUniqueId(), name, candidates,
        headerAt + PARENT_ID_AT, headerAt + PARENT_NAME_AT,
        (image, parent, disk) -> checkTimestamp(image, header, parent, disk));
  }

  /**
   * The child records when its parent last changed. Writers disagree on what that is (the file's
   * time, the footer's), and copies, restores and time zone changes move file times, so a
   * mismatch is logged, never fatal: the unique id is what identifies the parent.
   */
  private static void checkTimestamp(String child, DynamicHeader header, Path parent,
      VirtualDisk disk) throws IOException {
    long recorded = header.parentTimestamp();
    long fileTime = VhdTime.of(Files.getLastModifiedTime(parent).toInstant());
    if (!(disk.info().fields() instanceof VhdFields fields)) {
      return; // the unique id matched, so it is a VHD; a disk that says otherwise has no time
    }
    long footerTime = fields.footer().timestamp();
    if (recorded != fileTime && recorded != footerTime) {
      // The logger is looked up only here, when there is something to say: the lookup starts
      // java.util.logging, some 25 ms that a run of the tool with nothing to log should not pay.
      System.getLogger("io.vhdfs").log(Level.WARNING, () -> child + ": parent " + parent
          + " changed since the child was made? The child records parent time " + VhdTime.toInstant(recorded) + ", the "
          + "parent file's time is " + VhdTime.toInstant(fileTime) + " and its footer's "
          + VhdTime.toInstant(footerTime) + "; opened all the same: the unique id, not the "
          + "time, identifies a parent");
    }
  }
}
