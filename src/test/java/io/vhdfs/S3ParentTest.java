package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Local differencing children over parents in S3 (issue 15, items 3 and 4), as
 * {@code ParentOnAnotherHostTest} does with Jimfs as the other host, here over HTTP through the
 * AWS NIO provider: the child records its parent's {@code s3x:} URI and finds it again, writes go
 * to the child only, a conversion of the child uploaded reads the same, a chain of two levels in
 * S3 reads through, and {@code parentRoot} as a bucket prefix confines the parents.
 */
final class S3ParentTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 8L * MIB;

  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @TempDir Path local;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vhd", "vhdx"})
  void aLocalChildOverAParentInS3RecordsItsUriAndFindsItAgain(String format)
      throws IOException {
    Path made = local.resolve("base." + format);
    createDynamic(made);
    byte[] baseData = Chains.randomBytes(3 * MIB, 1);
    Chains.write(made, 0, baseData);
    Path base = S3.put(made, "items3/base." + format);
    byte[] baseObject = Files.readAllBytes(base);
    Set<String> keys = S3.keys();

    Path child = local.resolve("child." + format);
    createChild(child, base.toUri().toString(), Map.of());
    byte[] childData = Chains.randomBytes(4096, 2);
    Chains.write(child, MIB + 512, childData);

    byte[] expected = new byte[(int) SIZE];
    System.arraycopy(baseData, 0, expected, 0, baseData.length);
    System.arraycopy(childData, 0, expected, MIB + 512, childData.length);
    Chains.assertSameBytes(expected, Chains.readDisk(child), 0,
        "reopened, the parent found by its s3x: URI");
    assertArrayEquals(baseObject, Files.readAllBytes(base), "the parent's object changed");
    assertEquals(keys, S3.keys(), "objects were added to or removed from the bucket");
  }

  @Test
  void baseInS3LocalChildWritesConvertUploadReadsTheSame() throws IOException {
    Path made = local.resolve("base.vhd");
    createDynamic(made);
    Chains.write(made, 0, Chains.randomBytes(2 * MIB, 7));
    Path base = S3.put(made, "roundtrip/base.vhd");
    Path child = local.resolve("work.vhd");
    createChild(child, base.toUri().toString(), Map.of());
    Chains.write(child, MIB - 100, Chains.randomBytes(300, 8));
    Chains.write(child, 6 * MIB, Chains.randomBytes(MIB, 9));
    byte[] disk = Chains.readDisk(child);

    Path merged = local.resolve("merged.vhd");
    VhdImages.convert(child, merged, ConvertOptions.DEFAULT.to(ConvertOptions.Format.DYNAMIC),
        Map.of(), VhdImages.Progress.NONE);
    // Uploaded by the AWS NIO provider itself, as a user would.
    Path uploaded = Files.copy(merged, S3.path("roundtrip/merged.vhd"));

    try (FileSystem fs = Chains.vhd().newFileSystem(uploaded, Map.of("accessMode", "readOnly"))) {
      Chains.assertSameBytes(disk, Files.readAllBytes(fs.getPath("/disk")), 0,
          "the conversion uploaded to S3");
    }
    Chains.assertSameBytes(disk, Chains.readDisk(child), 0,
        "the child still reads through its parent");
  }

  @Test
  void aLocalChildOverATwoLevelChainInS3ReadsEveryLevel() throws IOException {
    Path gpMade = local.resolve("gp.vhd");
    createDynamic(gpMade);
    byte[] gp = Chains.randomBytes(2 * MIB, 3);
    Chains.write(gpMade, 0, gp);
    Path pMade = local.resolve("p.vhd");
    createChild(pMade, "gp.vhd", Map.of());
    byte[] p = Chains.randomBytes(MIB, 4);
    Chains.write(pMade, MIB, p);
    S3.put(gpMade, "item4/gp.vhd");
    Path parent = S3.put(pMade, "item4/p.vhd");
    Path child = local.resolve("c.vhd");
    createChild(child, parent.toUri().toString(), Map.of());
    byte[] c = Chains.randomBytes(512, 5);
    Chains.write(child, 4 * MIB, c);

    byte[] expected = new byte[(int) SIZE];
    System.arraycopy(gp, 0, expected, 0, gp.length);
    System.arraycopy(p, 0, expected, MIB, p.length);
    System.arraycopy(c, 0, expected, 4 * MIB, c.length);
    Chains.assertSameBytes(expected, Chains.readDisk(child), 0, "a chain from local into S3");
  }

  @Test
  void parentRootAsABucketPrefixConfinesTheParents() throws IOException {
    Path gpMade = local.resolve("gp.vhd");
    createDynamic(gpMade);
    Path pMade = local.resolve("p.vhd");
    createChild(pMade, "gp.vhd", Map.of());
    S3.put(gpMade, "confined/gp.vhd");
    Path parent = S3.put(pMade, "confined/p.vhd");
    String inside = S3.uri("confined/").toString();
    Path child = local.resolve("c.vhd");
    createChild(child, parent.toUri().toString(), Map.of("parentRoot", inside));

    assertEquals(SIZE, openAndSize(child, Map.of("parentRoot", inside)));
    String other = S3.uri("elsewhere/").toString();
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> openAndSize(child, Map.of("parentRoot", other)));
    assertTrue(e.getMessage().contains("outside parentRoot"), e.getMessage());
  }

  private static void createDynamic(Path image) throws IOException {
    Chains.createDynamic(image, SIZE, 2 * MIB);
  }

  private static void createChild(Path child, String parent, Map<String, String> more)
      throws IOException {
    Chains.createChild(child, parent, 2 * MIB, more);
  }

  private static long openAndSize(Path image, Map<String, String> env) throws IOException {
    return Chains.diskSize(image, env);
  }
}
