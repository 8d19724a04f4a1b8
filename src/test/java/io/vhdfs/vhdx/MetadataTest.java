package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.VhdFormatException;
import io.vhdfs.testing.VhdxImageBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MetadataTest {
  private static final long META = 2 << 20;

  private static VhdxMetadata read(VhdxImageBuilder.Image img) throws Exception {
    return VhdxMetadata.read(ByteSource.of(img.toBytes(), "t.vhdx"),
        RegionEntry.of(RegionTable.METADATA, META, 1 << 20, true));
  }

  @Test
  void decodesTheKnownItemsOfADynamicImage() throws Exception {
    UUID id = UUID.randomUUID();
    VhdxMetadata m = read(VhdxImageBuilder.dynamic(100L << 20).blockSize(8 << 20)
        .physicalSectorSize(4096).virtualDiskId(id).build());
    assertEquals(8 << 20, m.fileParameters().blockSize());
    assertEquals(VhdxDiskType.DYNAMIC, m.diskType());
    assertEquals(100L << 20, m.virtualDiskSize());
    assertEquals(id, m.virtualDiskId());
    assertEquals(512, m.logicalSectorSize());
    assertEquals(4096, m.physicalSectorSize());
    assertTrue(m.parentLocator().isEmpty());
    assertEquals(5, m.table().entries().size());
    MetadataEntry params = m.table().system(VhdxMetadata.FILE_PARAMETERS).orElseThrow();
    assertEquals(65536, params.offset());
    assertTrue(params.isRequired());
    assertFalse(params.isVirtualDisk());
    assertTrue(m.table().system(VhdxMetadata.VIRTUAL_DISK_SIZE).orElseThrow().isVirtualDisk());
  }

  @Test
  void diskTypeComesFromTheFileParameterFlags() throws Exception {
    assertEquals(VhdxDiskType.FIXED, read(VhdxImageBuilder.fixed(8 << 20).build()).diskType());
    VhdxMetadata diff = read(VhdxImageBuilder.differencing(8 << 20, UUID.randomUUID(),
        "..\\p.vhdx").build());
    assertEquals(VhdxDiskType.DIFFERENCING, diff.diskType());
    assertTrue(diff.parentLocator().isPresent());
    assertEquals(VhdxDiskType.DIFFERENCING, FileParameters.of(1 << 20, true, true).diskType());
  }

  @Test
  void tableAndFileParametersEncodeByteForByte() throws Exception {
    VhdxImageBuilder.Image img = VhdxImageBuilder.differencing(8 << 20, UUID.randomUUID(),
        "p.vhdx").metadataItem(UUID.randomUUID(), new byte[] {1, 2, 3}, 0x3).build();
    byte[] table = img.read(META, 65536);
    assertArrayEquals(table, MetadataTable.decode(table, 1 << 20, "t", META).encode());
    byte[] params = img.read(img.itemOffset(VhdxImageBuilder.FILE_PARAMETERS), 8);
    assertArrayEquals(params, FileParameters.decode(params, "t", 0).encode());
  }

  @Test
  void unknownOptionalItemsAreToleratedAndUnknownRequiredOnesRefused() throws Exception {
    UUID unknown = UUID.randomUUID();
    read(VhdxImageBuilder.dynamic(8 << 20).metadataItem(unknown, new byte[16], 0x2).build());
    read(VhdxImageBuilder.dynamic(8 << 20).metadataItem(unknown, new byte[16], 0x1).build());
    for (int flags : new int[] {0x4, 0x5, 0x6}) {
      VhdFormatException e = assertThrows(VhdFormatException.class, () -> read(VhdxImageBuilder
          .dynamic(8 << 20).metadataItem(unknown, new byte[16], flags).build()));
      assertTrue(e.getMessage().contains("unknown required"), e.getMessage());
      assertTrue(e.getMessage().contains(unknown.toString()), e.getMessage());
    }
    // A known GUID as a user item is not the known item.
    assertThrows(VhdFormatException.class, () -> read(VhdxImageBuilder.dynamic(8 << 20)
        .metadataItem(VhdxMetadata.FILE_PARAMETERS, new byte[8], 0x5).build()));
  }

  @Test
  void everyKnownItemIsRequired() {
    for (byte[] guid : new byte[][] {VhdxImageBuilder.FILE_PARAMETERS,
        VhdxImageBuilder.VIRTUAL_DISK_SIZE, VhdxImageBuilder.VIRTUAL_DISK_ID,
        VhdxImageBuilder.LOGICAL_SECTOR_SIZE, VhdxImageBuilder.PHYSICAL_SECTOR_SIZE}) {
      VhdFormatException e = assertThrows(VhdFormatException.class,
          () -> read(VhdxImageBuilder.dynamic(8 << 20).omitItem(guid).build()));
      assertTrue(e.getMessage().contains("is missing"), e.getMessage());
    }
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> read(VhdxImageBuilder
        .differencing(8 << 20, UUID.randomUUID(), "p").omitItem(VhdxImageBuilder.PARENT_LOCATOR)
        .build()));
    assertTrue(e.getMessage().contains("without a Parent Locator"), e.getMessage());
  }

  @Test
  void blockSizesOutsideOneTo256MibOrNotPowersOfTwoAreRefused() throws Exception {
    for (int bs : new int[] {512 << 10, 3 << 20, 512 << 20, 0}) {
      VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(8 << 20).build();
      img.putLe32(img.itemOffset(VhdxImageBuilder.FILE_PARAMETERS), bs);
      VhdFormatException e = assertThrows(VhdFormatException.class, () -> read(img));
      assertTrue(e.getMessage().contains("block size " + bs), e.getMessage());
      assertEquals(img.itemOffset(VhdxImageBuilder.FILE_PARAMETERS), e.offset());
    }
    for (int bs : new int[] {1 << 20, 256 << 20}) {
      VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(8 << 20).build();
      img.putLe32(img.itemOffset(VhdxImageBuilder.FILE_PARAMETERS), bs);
      assertEquals(bs, read(img).fileParameters().blockSize());
    }
  }

  @Test
  void sizesAndSectorSizesAreChecked() throws Exception {
    assertEquals(64L << 40, read(VhdxImageBuilder.dynamic(64L << 40).blockSize(64 << 20)
        .build()).virtualDiskSize());
    long[] badSizes = {(64L << 40) + 512, 1000, -512};
    for (long size : badSizes) {
      VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(8 << 20).build();
      img.putLe64(img.itemOffset(VhdxImageBuilder.VIRTUAL_DISK_SIZE), size);
      assertThrows(VhdFormatException.class, () -> read(img), "size " + size);
    }
    VhdxImageBuilder.Image lss = VhdxImageBuilder.dynamic(8 << 20).build();
    lss.putLe32(lss.itemOffset(VhdxImageBuilder.LOGICAL_SECTOR_SIZE), 1024);
    assertTrue(assertThrows(VhdFormatException.class, () -> read(lss)).getMessage()
        .contains("Logical Sector Size 1024"));
    VhdxImageBuilder.Image notMultiple = VhdxImageBuilder.dynamic(8 << 20)
        .logicalSectorSize(4096).build();
    notMultiple.putLe64(notMultiple.itemOffset(VhdxImageBuilder.VIRTUAL_DISK_SIZE), 4096 + 512);
    assertThrows(VhdFormatException.class, () -> read(notMultiple));
    assertEquals(0, read(VhdxImageBuilder.dynamic(0).build()).virtualDiskSize());
  }

  /** Decodes the table after {@code edit}; the region is 1 MiB. */
  private static VhdFormatException tableRefused(java.util.function.Consumer<ByteBuffer> edit) {
    byte[] t = VhdxImageBuilder.dynamic(8 << 20).build().read(META, 65536);
    edit.accept(ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN));
    return assertThrows(VhdFormatException.class,
        () -> MetadataTable.decode(t, 1 << 20, "t", META));
  }

  @Test
  void tableRulesBoundEveryItem() {
    assertTrue(tableRefused(b -> b.put(0, (byte) 'M')).getMessage().contains("signature"));
    assertTrue(tableRefused(b -> b.putShort(10, (short) 2048)).getMessage().contains("2047"));
    // entry 0 is File Parameters at 64 KiB, 8 bytes
    assertTrue(tableRefused(b -> b.putInt(32 + 20, (1 << 20) + 1)).getMessage()
        .contains("at most 1 MiB"));
    assertTrue(tableRefused(b -> b.putInt(32 + 16, 4096)).getMessage()
        .contains("not between"));
    assertTrue(tableRefused(b -> b.putInt(32 + 16, (1 << 20) - 4)).getMessage()
        .contains("not between"));
    assertTrue(tableRefused(b -> b.putInt(32 + 16, 65536 + 8)).getMessage()
        .contains("overlap"));
    assertTrue(tableRefused(b -> b.putInt(32 + 20, 0)).getMessage().contains("is empty"));
    assertTrue(tableRefused(b -> {
      byte[] a = b.array();
      System.arraycopy(a, 32, a, 64, 16);
    }).getMessage().contains("appears twice"));
    VhdFormatException small = assertThrows(VhdFormatException.class,
        () -> MetadataTable.decode(new byte[65536], 4096, "t", META));
    assertTrue(small.getMessage().contains("cannot hold"));
  }

  @Test
  void knownItemsMustHaveTheirExactLength() {
    VhdxImageBuilder.Image img = VhdxImageBuilder.dynamic(8 << 20).build();
    img.putLe32(img.metadataEntryOffset(4) + 20, 8); // Physical Sector Size (the last) said 8
    VhdFormatException e = assertThrows(VhdFormatException.class, () -> read(img));
    assertTrue(e.getMessage().contains("8 bytes long, not 4"), e.getMessage());
  }

  @Test
  void tooManyUserItemsAreRefused() {
    VhdxImageBuilder b = VhdxImageBuilder.dynamic(8 << 20);
    for (int i = 0; i < 1025; i++) {
      b.metadataItem(UUID.randomUUID(), new byte[0], 1);
    }
    assertTrue(assertThrows(VhdFormatException.class, () -> read(b.build())).getMessage()
        .contains("1024 user"));
  }
}
