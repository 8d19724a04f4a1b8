package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.testing.Chains;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A differencing image whose parent lies on another host than its own: here the child on the
 * default file system and the parents on a Jimfs file system reached by its {@code jimfs://}
 * URI, as a local child over an image in an object store reaches it by {@code s3://}. The child
 * records the parent's URI and finds it again when reopened; the env key {@code parent} names a
 * parent in place of what an image records; {@code parentRoot} may be a URI.
 */
final class ParentOnAnotherHostTest {
  private static final int MIB = 1 << 20;
  private static final long SIZE = 8L * MIB;

  @TempDir Path local;
  private FileSystem remote;
  private Path bucket;

  @BeforeEach
  void remoteHost() throws IOException {
    remote = Jimfs.newFileSystem("remote-" + UUID.randomUUID(), Configuration.unix());
    bucket = Files.createDirectories(remote.getPath("/bucket/images"));
  }

  @AfterEach
  void closeRemote() throws IOException {
    remote.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vhd", "vhdx"})
  void aLocalChildOverARemoteParentRecordsItsUriAndFindsItAgain(String format)
      throws IOException {
    Path base = bucket.resolve("base." + format);
    createDynamic(base);
    byte[] baseData = Chains.randomBytes(3 * MIB, 1);
    Chains.write(base, 0, baseData);
    Path child = local.resolve("child." + format);

    createChild(child, base.toUri().toString(), Map.of());
    byte[] childData = Chains.randomBytes(4096, 2);
    Chains.write(child, MIB + 512, childData);

    byte[] expected = new byte[(int) SIZE];
    System.arraycopy(baseData, 0, expected, 0, baseData.length);
    System.arraycopy(childData, 0, expected, MIB + 512, childData.length);
    assertArrayEquals(expected, Chains.readDisk(child), "reopened: the parent found by its URI");
    assertArrayEquals(baseData, Chains.readDisk(base, 0, baseData.length), "parent unchanged");
  }

  @Test
  void remoteBaseLocalChildWritesConvertUploadReadsTheSame() throws IOException {
    Path base = bucket.resolve("base.vhd");
    createDynamic(base);
    Chains.write(base, 0, Chains.randomBytes(2 * MIB, 7));
    Path child = local.resolve("work.vhd");
    createChild(child, base.toUri().toString(), Map.of());
    Chains.write(child, MIB - 100, Chains.randomBytes(300, 8));
    Chains.write(child, 6 * MIB, Chains.randomBytes(MIB, 9));
    byte[] disk = Chains.readDisk(child);

    Path merged = local.resolve("merged.vhd");
    VhdImages.convert(child, merged, ConvertOptions.DEFAULT.to(ConvertOptions.Format.DYNAMIC),
        Map.of(), VhdImages.Progress.NONE);
    Path uploaded = Files.copy(merged, bucket.resolve("merged.vhd"));

    assertArrayEquals(disk, Chains.readDisk(uploaded));
    assertArrayEquals(disk, Chains.readDisk(child), "the child still reads through its parent");
  }

  @Test
  void aChainAcrossHostsReadsEveryLevel() throws IOException {
    Path grandparent = bucket.resolve("gp.vhd");
    createDynamic(grandparent);
    byte[] gp = Chains.randomBytes(2 * MIB, 3);
    Chains.write(grandparent, 0, gp);
    Path parent = bucket.resolve("p.vhd");
    createChild(parent, "gp.vhd", Map.of());
    byte[] p = Chains.randomBytes(MIB, 4);
    Chains.write(parent, MIB, p);
    Path child = local.resolve("c.vhd");
    createChild(child, parent.toUri().toString(), Map.of());
    byte[] c = Chains.randomBytes(512, 5);
    Chains.write(child, 4 * MIB, c);

    byte[] expected = new byte[(int) SIZE];
    System.arraycopy(gp, 0, expected, 0, gp.length);
    System.arraycopy(p, 0, expected, MIB, p.length);
    System.arraycopy(c, 0, expected, 4 * MIB, c.length);
    assertArrayEquals(expected, Chains.readDisk(child));
  }

  @Test
  void parentRootAsAUriConfinesParentsToThatPrefix() throws IOException {
    Path grandparent = bucket.resolve("gp.vhd");
    createDynamic(grandparent);
    Path parent = bucket.resolve("p.vhd");
    createChild(parent, "gp.vhd", Map.of());
    Path child = local.resolve("c.vhd");
    String inside = remote.getPath("/bucket/images").toUri().toString();
    createChild(child, parent.toUri().toString(), Map.of("parentRoot", inside));

    assertEquals(SIZE, openAndSize(child, Map.of("parentRoot", inside)));
    String other = Files.createDirectories(remote.getPath("/bucket/other")).toUri().toString();
    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> openAndSize(child, Map.of("parentRoot", other)));
    assertTrue(e.getMessage().contains("outside parentRoot"), e.getMessage());
    // A root on the child's own host holds no parent on another.
    VhdFormatException local = assertThrows(VhdFormatException.class,
        () -> openAndSize(child, Map.of("parentRoot", this.local.toString())));
    assertTrue(local.getMessage().contains("outside parentRoot"), local.getMessage());
    AccessDeniedException create = assertThrows(AccessDeniedException.class,
        () -> createChild(this.local.resolve("d.vhd"), parent.toUri().toString(),
            Map.of("parentRoot", other)));
    assertTrue(create.getMessage().contains("outside parentRoot"), create.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vhd", "vhdx"})
  void envParentNamesTheParentInPlaceOfWhatTheChildRecords(String format) throws IOException {
    Path base = local.resolve("base." + format);
    createDynamic(base);
    byte[] baseData = Chains.randomBytes(MIB, 6);
    Chains.write(base, 0, baseData);
    Path child = local.resolve("child." + format);
    createChild(child, "base." + format, Map.of());
    // The parent moves to the remote host; what the child records leads nowhere now.
    Path moved = bucket.resolve("moved." + format);
    Files.copy(base, moved);
    Files.delete(base);
    assertThrows(VhdFormatException.class, () -> Chains.readDisk(child));

    assertEquals(SIZE, openAndSize(child, Map.of("parent", moved.toUri().toString())),
        "a URI");
    Files.copy(moved, local.resolve("sub-" + format));
    assertEquals(SIZE, openAndSize(child, Map.of("parent", "sub-" + format)),
        "a path from the child's directory");
  }

  @Test
  void envParentWithAnotherIdIsRefusedUnlessIgnored() throws IOException {
    Path base = local.resolve("base.vhd");
    createDynamic(base);
    Path child = local.resolve("child.vhd");
    createChild(child, "base.vhd", Map.of());
    Path stranger = bucket.resolve("stranger.vhd");
    createDynamic(stranger);

    VhdFormatException e = assertThrows(VhdFormatException.class,
        () -> openAndSize(child, Map.of("parent", stranger.toUri().toString())));
    assertTrue(e.getMessage().contains("unique id"), e.getMessage());
    assertTrue(e.getMessage().contains("env key 'parent'"), e.getMessage());
    assertEquals(SIZE, openAndSize(child, Map.of("parent", stranger.toUri().toString(),
        "ignoreParentId", "true")));
  }

  @Test
  void locatorsNamingNoInstalledProviderOrAnImageInsideAnImageAreNotFollowed()
      throws IOException {
    Path child = local.resolve("c.vhd");
    Path base = local.resolve("base.vhd");
    createDynamic(base);
    createChild(child, "base.vhd", Map.of());
    for (String[] named : new String[][] {
        {"nosuch://host/base.vhd", "no file system provider for scheme nosuch"},
        {"vhd:" + base.toUri().getRawPath(), "an image inside another image's disk"}}) {
      VhdFormatException e = assertThrows(VhdFormatException.class,
          () -> openAndSize(child, Map.of("parent", named[0])));
      assertTrue(e.getMessage().contains(named[1]), e.getMessage());
    }
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
