package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.Chains;
import io.vhdfs.testing.Libvhdi;
import io.vhdfs.testing.QemuTools;
import io.vhdfs.testing.VhdxImageBuilder;
import io.vhdfs.testing.VhdxTools;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differencing VHDX chains through the provider: children written by the test-side writer over a
 * qemu-img parent, found by their locator and checked by the parent's DataWriteGuid; sectors of
 * PARTIALLY_PRESENT blocks from child or parent by the LSB-first bitmap; ZERO blocks read as
 * zeros (where libvhdi reads the parent, notes 7.5); 4096-byte logical sectors.
 */
class VhdxChainReadTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private static Path disk(Path image) {
    return Path.of(URI.create("vhd:" + image.toUri().getRawPath()));
  }

  private static void fill(byte[] b, long at, int n, int v) {
    Arrays.fill(b, (int) at, (int) at + n, (byte) v);
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static UUID dataWriteGuid(Path image) throws IOException {
    return (UUID) Files.getAttribute(disk(image), "vhdx:dataWriteGuid");
  }

  @Test
  void aChildOverAQemuParentReadsSectorBySectorAsExpectedAndAsLibvhdi() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path parent = dir.resolve("parent.vhdx");
    qemu.create(parent, 64L * MIB, "block_size=8M");
    qemu.write(parent, List.of(new QemuTools.Write(0x11, 0, 64L * MIB)));
    Path raw = dir.resolve("parent.raw");
    qemu.convertToRaw(parent, raw);
    byte[] expected = Files.readAllBytes(raw);

    UUID parentDwg = dataWriteGuid(parent);
    VhdxImageBuilder child = VhdxImageBuilder.differencing(64L * MIB, parentDwg, "parent.vhdx")
        .blockSize(2 * MIB).sectorBitmapForEveryChunk()
        .fill(4096, 4096, 0x22).fill(3L * MIB - 512, 1024, 0x33).fullyPresent(10)
        .fill(20L * MIB + 512, 512, 0x44).fill(20L * MIB + 2048, 1536, 0x55);
    Path childFile = child.build().writeTo(dir.resolve("child.vhdx"));
    fill(expected, 4096, 4096, 0x22);
    fill(expected, 3L * MIB - 512, 1024, 0x33);
    fill(expected, 20L * MIB, 2 * MIB, 0); // block 10 is FULLY_PRESENT: unwritten bytes zero
    fill(expected, 20L * MIB + 512, 512, 0x44);
    fill(expected, 20L * MIB + 2048, 1536, 0x55);

    byte[] ours = Chains.readAll(disk(childFile));
    assertArrayEquals(expected, ours);
    assertEquals(parent.toRealPath().toString(),
        Files.getAttribute(disk(childFile), "vhdx:parentPath"));
    assertEquals(parentDwg, Files.getAttribute(disk(childFile), "vhdx:parentLinkage"));

    Libvhdi libvhdi = Libvhdi.require();
    String out = QemuTools.run(Duration.ofMinutes(2), List.of(libvhdi.python().toString(), "-c",
        String.join("\n", "import pyvhdi,sys,hashlib",
            "c=pyvhdi.file()", "c.open(sys.argv[1])", "p=pyvhdi.file()", "p.open(sys.argv[2])",
            "c.set_parent(p)", "h=hashlib.sha256()", "at=0",
            "while at < c.get_media_size():",
            "    k=min(1<<20, c.get_media_size()-at)",
            "    h.update(c.read_buffer_at_offset(k, at))", "    at+=k",
            "print(h.hexdigest())"), childFile.toString(), parent.toString())).stdout();
    assertEquals(sha256(ours), out.strip(), "libvhdi with set_parent reads the same bytes");
  }

  @Test
  void zeroBlocksOfAChildReadAsZerosWhereLibvhdiReadsTheParent() throws Exception {
    VhdxTools qemu = VhdxTools.require();
    Path parent = dir.resolve("p.vhdx");
    qemu.create(parent, 8L * MIB, "block_size=1M");
    qemu.write(parent, List.of(new QemuTools.Write(0x66, 0, 8L * MIB)));
    Path childFile = VhdxImageBuilder.differencing(8L * MIB, dataWriteGuid(parent), "p.vhdx")
        .blockSize(MIB).sectorBitmapForEveryChunk().fill(0, 512, 0x01).fill(2L * MIB, 512, 1)
        .fill(3L * MIB, 512, 1).blockState(2, 2).blockState(3, 3).build()
        .writeTo(dir.resolve("c.vhdx"));
    byte[] expected = new byte[8 * MIB];
    Arrays.fill(expected, (byte) 0x66);
    fill(expected, 0, 512, 0x01);
    fill(expected, 2L * MIB, 2 * MIB, 0); // ZERO and UNMAPPED: zeros, not the parent's
    assertArrayEquals(expected, Chains.readAll(disk(childFile)));
  }

  @Test
  void fourKibLogicalSectorsReadPerSector() throws Exception {
    UUID parentDwg = UUID.fromString("6c6f6769-6361-4c34-8b00-000000000001");
    Path parent = VhdxImageBuilder.dynamic(64L * MIB).logicalSectorSize(4096).blockSize(MIB)
        .dataWriteGuid(parentDwg).fill(0, 8 * MIB, 0x21).build()
        .writeTo(dir.resolve("p4k.vhdx"));
    Path childFile = VhdxImageBuilder.differencing(64L * MIB, parentDwg, "p4k.vhdx")
        .logicalSectorSize(4096).blockSize(MIB).fill(4096, 4096, 0x42)
        .fill(MIB + 3 * 4096, 2 * 4096, 0x43).build().writeTo(dir.resolve("c4k.vhdx"));
    byte[] expected = new byte[64 * MIB];
    fill(expected, 0, 8 * MIB, 0x21);
    fill(expected, 4096, 4096, 0x42);
    fill(expected, MIB + 3 * 4096, 2 * 4096, 0x43);
    assertArrayEquals(expected, Chains.readAll(disk(childFile)));
    assertEquals(4096, Files.getAttribute(disk(childFile), "vhdx:logicalSectorSize"));
  }

  @Test
  void aParentWithAnotherDataWriteGuidIsRefusedUnlessIgnored() throws Exception {
    Path parent = VhdxImageBuilder.dynamic(8L * MIB).blockSize(MIB)
        .dataWriteGuid(UUID.fromString("6c6f6769-6361-4c34-8b00-000000000002"))
        .fill(0, 4096, 0x10).build().writeTo(dir.resolve("other.vhdx"));
    UUID recorded = UUID.fromString("6c6f6769-6361-4c34-8b00-000000000003");
    Path childFile = VhdxImageBuilder.differencing(8L * MIB, recorded, "other.vhdx")
        .blockSize(MIB).build().writeTo(dir.resolve("orphan.vhdx"));
    IOException e = assertThrows(IOException.class, () -> Chains.readAll(disk(childFile)));
    assertTrue(e.getMessage().contains("parent unique id mismatch"), e.getMessage());
    try (var fs = java.nio.file.FileSystems.newFileSystem(childFile,
        java.util.Map.of("ignoreParentId", "true"))) {
      byte[] first = new byte[4096];
      Arrays.fill(first, (byte) 0x10);
      assertArrayEquals(first, Arrays.copyOf(Chains.readAll(fs.getPath("/disk")), 4096));
    }
  }

  @Test
  void parentRootKeepsAChildFromReachingAParentOutsideIt() throws Exception {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path inside = Files.createDirectories(dir.resolve("inside"));
    UUID dwg = UUID.fromString("6c6f6769-6361-4c34-8b00-000000000010");
    VhdxImageBuilder.dynamic(8L * MIB).blockSize(MIB).dataWriteGuid(dwg).fill(0, 4096, 0x21)
        .build().writeTo(outside.resolve("secret.vhdx"));
    Path child = VhdxImageBuilder.differencing(8L * MIB, dwg, "..\\outside\\secret.vhdx")
        .blockSize(MIB).build().writeTo(inside.resolve("child.vhdx"));

    // Without a root, the Windows-style relative path leads to the parent.
    byte[] expected = new byte[4096];
    Arrays.fill(expected, (byte) 0x21);
    assertArrayEquals(expected, Arrays.copyOf(Chains.readAll(disk(child)), 4096));
    disk(child).getFileSystem().close();

    IOException e = assertThrows(IOException.class, () -> {
      try (var fs = java.nio.file.FileSystems.newFileSystem(child,
          java.util.Map.of("parentRoot", inside.toString()))) {
        Chains.readAll(fs.getPath("/disk"));
      }
    });
    assertTrue(e.getMessage().contains("parentRoot") || e.getMessage().contains("outside"),
        e.getMessage());
  }

  @Test
  void aChildNamingItselfAsItsParentIsRefusedAsALoop() throws Exception {
    UUID dwg = UUID.fromString("6c6f6769-6361-4c34-8b00-000000000020");
    Path self = VhdxImageBuilder.differencing(8L * MIB, dwg, "self.vhdx").dataWriteGuid(dwg)
        .blockSize(MIB).build().writeTo(dir.resolve("self.vhdx"));
    IOException e = assertThrows(IOException.class, () -> Chains.readAll(disk(self)));
    assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("loop"),
        e.getMessage());
  }
}
