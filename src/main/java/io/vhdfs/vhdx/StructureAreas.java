package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parts of a VHDX file that hold structures rather than blocks: the 1 MiB header section, the
 * log and every region (the BAT, the metadata region, unknown ones). No payload or bitmap block
 * may overlap them, and they may not overlap each other or reach past the end of the file.
 *
 * <p>The file size is the logical one: after an in-memory log replay, the larger of the host size
 * and what the log says the file holds.
 */
final class StructureAreas {
  /** Bytes of the header section at the start of every file. */
  public static final long HEADER_SECTION = 1 << 20;

  /**
   * One structure's bytes.
   *
   * @param name what it is, for messages
   * @param offset its first byte
   * @param length its bytes
   */
  public record Area(String name, long offset, long length) {
    /** Just past the area. */
    public long end() {
      return offset + length;
    }

    boolean overlaps(long from, long bytes) {
      return from < end() && offset < from + bytes;
    }
  }

  private final List<Area> areas;
  private final List<Area> byOffset;
  private final long fileSize;

  private StructureAreas(List<Area> areas, List<Area> byOffset, long fileSize) {
    this.areas = List.copyOf(areas);
    this.byOffset = List.copyOf(byOffset);
    this.fileSize = fileSize;
  }

  /**
   * The areas of a file with this current header and region table, checked against each other
   * and the file size.
   *
   * @param fileSize the file's logical size
   * @param file the image, for messages
   */
  public static StructureAreas of(VhdxHeader header, RegionTable regions, long fileSize,
      String file) throws VhdFormatException {
    List<Area> areas = new ArrayList<>();
    areas.add(new Area("header section", 0, HEADER_SECTION));
    if (header.logLength() > 0) {
      areas.add(new Area("log", header.logOffset(), header.logLength()));
    }
    for (RegionEntry e : regions.entries()) {
      if (e.length() > 0) {
        areas.add(new Area(RegionTable.nameOf(e), e.fileOffset(), e.length()));
      }
    }
    for (Area a : areas) {
      if (a.offset() > fileSize || fileSize - a.offset() < a.length()) {
        throw new VhdFormatException(file, a.offset(), a.name() + " (" + a.length()
            + " bytes) reaches past the end of the file (" + fileSize + " bytes)");
      }
    }
    List<Area> sorted = new ArrayList<>(areas);
    sorted.sort((x, y) -> Long.compare(x.offset(), y.offset()));
    for (int i = 1; i < sorted.size(); i++) {
      Area before = sorted.get(i - 1);
      Area after = sorted.get(i);
      if (after.offset() < before.end()) {
        throw new VhdFormatException(file, after.offset(), before.name() + " and " + after.name()
            + " overlap");
      }
    }
    return new StructureAreas(areas, sorted, fileSize);
  }

  /** The areas: the header section first, then the log, then the regions in table order. */
  public List<Area> areas() {
    return areas;
  }

  /** The logical file size the areas were checked against. */
  public long fileSize() {
    return fileSize;
  }

  /** The area {@code [offset, offset+length)} overlaps first in file order, if any. */
  public Optional<Area> overlapping(long offset, long length) {
    for (Area a : byOffset) {
      if (a.overlaps(offset, length)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
