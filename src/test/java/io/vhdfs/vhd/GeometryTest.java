package io.vhdfs.vhd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.VhdImageBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vectors from vhd-format.md section 1.9 and the qemu-iotests it cites. */
class GeometryTest {
  private static final long GIB = 1L << 30;

  @ParameterizedTest(name = "{0} sectors -> {1}/{2}/{3} (spec floor)")
  @CsvSource({
      "266338304, 65278, 16, 255", // 127 GiB, Hyper-V vs Virtual PC sample of iotest 146
      "10485760, 10402, 16, 63", // 5 GiB, the Azure footer of the QEMU 10 patch
      "8388608, 8322, 16, 63", // 4 GiB
      "4096, 60, 4, 17", // 2 MiB
  })
  void specAlgorithmIsAFloor(long sectors, int c, int h, int s) {
    Geometry g = Geometry.ofSectors(sectors);
    assertEquals(new Geometry(c, h, s), g);
    assertTrue(g.totalSectors() <= sectors);
  }

  @ParameterizedTest(name = "{0} sectors -> {1}/{2}/{3} (qemu-img round-up)")
  @CsvSource({
      "8388608, 8323, 16, 63", // 4 GiB -> 8,389,584 sectors (iotest 146)
      "4194304, 4162, 16, 63", // 2 GiB -> 2,147,991,552 bytes (Launchpad 1819182)
      "4096, 61, 4, 17", // 2 MiB -> 2,123,776 bytes
      "131072, 964, 8, 17", // 64 MiB -> 67,125,248 bytes (iotest 266)
  })
  void qemuRoundUpIsTheFirstGeometryNotBelowTheSize(long sectors, int c, int h, int s) {
    Geometry g = Geometry.roundingUp(sectors);
    assertEquals(new Geometry(c, h, s), g);
    assertTrue(g.totalSectors() >= sectors);
  }

  @Test
  void roundUpOf128MiBMatchesIotest266() {
    assertEquals(134_250_496L, Geometry.roundingUp(128L * 2048).totalSectors() * 512);
  }

  @Test
  void sizesBeyondChsGetTheMaximumGeometry() {
    assertEquals(Geometry.MAX, Geometry.roundingUp(200 * GIB / 512));
    assertEquals(Geometry.MAX, Geometry.ofSectors(200 * GIB / 512));
    assertEquals(136_899_993_600L, Geometry.MAX.totalSectors() * 512);
    assertTrue(Geometry.MAX.isMax());
  }

  @Test
  void everyRoundUpBelowTheMaximumIsExactOrSlightlyAbove() {
    // Exhaustive over small sizes, sampled above: round-up never lands below the request and the
    // floor never lands above it.
    for (long s = 1; s < 200_000; s += 7) {
      assertTrue(Geometry.roundingUp(s).totalSectors() >= s, "round-up below at " + s);
      assertTrue(Geometry.ofSectors(s).totalSectors() <= s, "floor above at " + s);
    }
  }

  /**
   * The test-side builder codes the spec's algorithm separately (a search over its translations,
   * from the prose); the two must agree everywhere, or one of them misreads the spec.
   */
  @Test
  void specFloorAgreesWithTheTestBuildersSeparateCoding() {
    for (long s = 0; s < 600_000; s++) {
      assertAgrees(s);
    }
    for (long s = 600_000; s < 300_000_000L; s += 997) {
      assertAgrees(s);
    }
  }

  private static void assertAgrees(long sectors) {
    Geometry g = Geometry.ofSectors(sectors);
    int[] other = VhdImageBuilder.chs(sectors);
    if (g.cylinders() != other[0] || g.heads() != other[1] || g.sectorsPerTrack() != other[2]) {
      assertEquals(other[0] + "/" + other[1] + "/" + other[2], g.toString(),
          "spec floor of " + sectors + " sectors: library vs test-side builder");
    }
  }

  @Test
  void encodedFormRoundTrips() {
    Geometry g = new Geometry(65278, 16, 255);
    assertEquals(0xFEFE10FF, g.encoded());
    assertEquals(g, Geometry.decode(g.encoded()));
  }
}
