package io.vhdfs.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed seeds are what their names say, so the fuzzer starts from both sides of every
 * check: images made by qemu-img, this library and the builder, and damaged ones with a sound
 * footer copy, open and read; the malformed ones are refused; the one without a cookie is
 * declined. And the corpus stays small.
 */
final class SeedCorpusTest {

  static Stream<Path> seeds() throws IOException, URISyntaxException {
    Path dir = Path.of(SeedCorpusTest.class.getResource("VhdImageFuzzTestInputs").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> seeds = files.filter(Files::isRegularFile).sorted().toList();
      assertTrue(seeds.size() >= 20, "only " + seeds.size() + " seeds in " + dir);
      return seeds.stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seeds")
  void seedOpensOrIsRefusedAsItsNameSays(Path seed) throws IOException {
    String name = seed.getFileName().toString();
    try (FuzzedImage image = FuzzedImage.inMemory(Files.readAllBytes(seed))) {
      if (name.startsWith("malformed-")) {
        VhdFormatException e = assertThrows(VhdFormatException.class, () -> {
          try (FileSystem fs = image.open("readOnly")) {
            DiskContent.read(fs, image);
          }
        });
        image.checkRefusal(e);
      } else if (name.startsWith("not-a-vhd")) {
        assertNull(image.open("readOnly"), "the provider declines a file with no cookie");
      } else {
        try (FileSystem fs = image.open("readOnly")) {
          assertNotNull(fs);
          DiskContent content = DiskContent.read(fs, image);
          assertEquals(Files.size(fs.getPath("/disk")), content.size);
        }
      }
    }
  }

  @Test
  void corpusStaysWellUnderOneMebibyte() throws IOException, URISyntaxException {
    long total = 0;
    for (Path seed : seeds().toList()) {
      total += Files.size(seed);
    }
    assertTrue(total < 512 * 1024, "the seeds take " + total + " bytes");
  }
}
