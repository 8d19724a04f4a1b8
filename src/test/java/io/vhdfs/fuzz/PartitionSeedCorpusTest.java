package io.vhdfs.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.partition.Partition;
import io.vhdfs.partition.PartitionTable;
import io.vhdfs.testing.ByteArrayDisk;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed partition seeds are what their names say, so the fuzzer starts from both sides
 * of every check: sound MBRs and GPTs list partitions with no problem, damaged GPTs list theirs
 * from the backup and say so, malformed tables list what can be trusted and say why the rest is
 * left out. And the corpus stays small.
 */
final class PartitionSeedCorpusTest {

  static Stream<Path> seeds() throws IOException, URISyntaxException {
    Path dir = Path.of(PartitionSeedCorpusTest.class.getResource("PartitionTableFuzzTestInputs")
        .toURI());
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> seeds = files.filter(Files::isRegularFile).sorted().toList();
      assertTrue(seeds.size() >= 10, "only " + seeds.size() + " seeds in " + dir);
      return seeds.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void seedReadsAsItsNameSays(Path seed) throws IOException {
    String name = seed.getFileName().toString();
    int sectorSize = name.contains("4096") ? 4096 : 512;
    PartitionTable t = PartitionTable.read(new ByteArrayDisk(Files.readAllBytes(seed)),
        sectorSize, name);
    if (name.startsWith("mbr-") || name.startsWith("gpt-")) {
      assertEquals(name.startsWith("mbr-") ? Partition.Scheme.MBR : Partition.Scheme.GPT,
          t.scheme().orElseThrow(), t.toString());
      assertTrue(t.partitions().size() >= 2, t.toString());
      assertEquals(List.of(), t.problems());
    } else if (name.startsWith("damaged-")) {
      assertEquals(Partition.Scheme.GPT, t.scheme().orElseThrow());
      assertTrue(t.partitions().size() >= 2, t.toString());
      assertTrue(t.problems().stream().anyMatch(p -> p.contains("using the backup")),
          t.toString());
    } else {
      assertTrue(name.startsWith("malformed-"), "a seed named for what it is: " + name);
      assertFalse(t.problems().isEmpty(), t.toString());
    }
  }

  @Test
  void corpusStaysWellUnderHalfAMebibyte() throws IOException, URISyntaxException {
    long total = 0;
    for (Path seed : seeds().toList()) {
      total += Files.size(seed);
    }
    assertTrue(total < 256 * 1024, "the seeds take " + total + " bytes");
  }
}
