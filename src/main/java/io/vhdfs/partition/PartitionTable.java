package io.vhdfs.partition;

import io.vhdfs.disk.VirtualDisk;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The partitions a disk's table lists, read from the disk's own bytes: an MBR (primaries and
 * logical partitions), or a GPT behind a protective MBR. A disk without the MBR signature in
 * sector 0, or whose sector 0 is a file system's boot sector, has none.
 *
 * <p>A malformed table never makes reading fail: what cannot be trusted is left out and
 * {@link #problems()} says why (an EBR chain that loops, an entry past the end of the disk, a
 * count beyond the bounds, a partition overlapping one listed before it, a damaged GPT). Only
 * the disk's own I/O errors are thrown. Every structure read is bounded, so a crafted table costs
 * a few sectors and at most one 2 MiB GPT entry array.
 *
 * <p>A table is a snapshot: the disk may be repartitioned through its bytes at any time, so users
 * read it again when they need it; it is a few sectors.
 */
public final class PartitionTable {

  private final Partition.Scheme scheme;
  private final List<Partition> partitions;
  private final List<String> problems;

  private PartitionTable(Partition.Scheme scheme, List<Partition> partitions,
      List<String> problems) {
    this.scheme = scheme;
    this.partitions = List.copyOf(partitions);
    this.problems = problems;
  }

  /**
   * Reads the table of {@code disk}.
   *
   * @param sectorSize the disk's logical sector size, in which the table counts (512 for VHD)
   * @param image the image the disk is, named in {@link #problems()}
   * @throws IOException only if the disk cannot be read
   */
  public static PartitionTable read(VirtualDisk disk, int sectorSize, String image)
      throws IOException {
    Sectors sectors = new Sectors(disk, sectorSize);
    TableProblems problems = new TableProblems(image);
    if (sectors.count() < 1) {
      return new PartitionTable(null, List.of(), problems.list());
    }
    byte[] sector0 = sectors.read(0);
    if (!MbrReader.isTable(sector0)) {
      return new PartitionTable(null, List.of(), problems.list());
    }
    Partition.Scheme scheme;
    List<Partition> found;
    if (MbrReader.isProtective(sector0)) {
      scheme = Partition.Scheme.GPT;
      found = GptReader.read(sectors, problems);
    } else {
      scheme = Partition.Scheme.MBR;
      found = MbrReader.read(sectors, sector0, problems);
    }
    return new PartitionTable(scheme, disjoint(found, problems), problems.list());
  }

  /**
   * The partitions in number order, each of which overlaps none listed before it: of two that
   * share sectors, the one with the higher number is left out, since writing through both would
   * write the same bytes through two files.
   */
  private static List<Partition> disjoint(List<Partition> found, TableProblems problems) {
    List<Partition> sorted = new ArrayList<>(found);
    sorted.sort((x, y) -> Integer.compare(x.number(), y.number()));
    TreeMap<Long, Partition> kept = new TreeMap<>();
    List<Partition> out = new ArrayList<>();
    for (Partition p : sorted) {
      Map.Entry<Long, Partition> before = kept.floorEntry(p.start());
      Map.Entry<Long, Partition> after = kept.ceilingEntry(p.start());
      Partition clash = before != null && before.getValue().end() > p.start() ? before.getValue()
          : after != null && after.getKey() < p.end() ? after.getValue() : null;
      if (clash != null) {
        problems.add(p.scheme().name() + " partition " + p.number() + " (bytes " + p.start()
            + " to " + (p.end() - 1) + ") overlaps partition " + clash.number() + " (bytes "
            + clash.start() + " to " + (clash.end() - 1) + "); left out");
        continue;
      }
      kept.put(p.start(), p);
      out.add(p);
    }
    return out;
  }

  /** {@code mbr} or {@code gpt}; empty when the disk has no partition table. */
  public Optional<Partition.Scheme> scheme() {
    return Optional.ofNullable(scheme);
  }

  /** The partitions listed, in number order (with gaps). */
  public List<Partition> partitions() {
    return partitions;
  }

  /** Partition {@code number}, if the table lists it. */
  public Optional<Partition> partition(int number) {
    return partitions.stream().filter(p -> p.number() == number).findFirst();
  }

  /** Why entries were left out, or structures not used, each naming the image; empty if none. */
  public List<String> problems() {
    return problems;
  }

  /** Logs each problem as a warning (logger {@code io.vhdfs}). */
  public void logProblems() {
    for (String p : problems) {
      // The logger is looked up only here, when there is something to say: the lookup starts
      // java.util.logging, some 25 ms that a run of the tool with nothing to log should not pay.
      System.getLogger("io.vhdfs").log(System.Logger.Level.WARNING, p);
    }
  }

  @Override
  public String toString() {
    return (scheme == null ? "no partition table" : scheme.label()) + " " + partitions
        + (problems.isEmpty() ? "" : " problems " + problems);
  }
}
