package io.vhdfs.vhdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.VhdxImageBuilder;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MsGuidTest {
  @Test
  void everyKnownGuidReadsFromTheOnDiskBytesTheNotesGive() {
    assertEquals(RegionTable.BAT, MsGuid.read(VhdxImageBuilder.BAT_REGION, 0));
    assertEquals(RegionTable.METADATA, MsGuid.read(VhdxImageBuilder.METADATA_REGION, 0));
    assertEquals(VhdxMetadata.FILE_PARAMETERS, MsGuid.read(VhdxImageBuilder.FILE_PARAMETERS, 0));
    assertEquals(VhdxMetadata.VIRTUAL_DISK_SIZE,
        MsGuid.read(VhdxImageBuilder.VIRTUAL_DISK_SIZE, 0));
    assertEquals(VhdxMetadata.VIRTUAL_DISK_ID, MsGuid.read(VhdxImageBuilder.VIRTUAL_DISK_ID, 0));
    assertEquals(VhdxMetadata.LOGICAL_SECTOR_SIZE,
        MsGuid.read(VhdxImageBuilder.LOGICAL_SECTOR_SIZE, 0));
    assertEquals(VhdxMetadata.PHYSICAL_SECTOR_SIZE,
        MsGuid.read(VhdxImageBuilder.PHYSICAL_SECTOR_SIZE, 0));
    assertEquals(VhdxMetadata.PARENT_LOCATOR, MsGuid.read(VhdxImageBuilder.PARENT_LOCATOR, 0));
    assertEquals(ParentLocator.VHDX_PARENT_LOCATOR,
        MsGuid.read(VhdxImageBuilder.VHDX_PARENT_LOCATOR_TYPE, 0));
  }

  @Test
  void writeIsTheInverseOfReadAndAgreesWithTheBuilder() {
    for (int i = 0; i < 100; i++) {
      UUID id = UUID.randomUUID();
      byte[] b = MsGuid.bytes(id);
      assertArrayEquals(VhdxImageBuilder.guidBytes(id), b);
      assertEquals(id, MsGuid.read(b, 0));
    }
    assertArrayEquals(VhdxImageBuilder.BAT_REGION, MsGuid.bytes(RegionTable.BAT));
  }

  @Test
  void qemuRfcOrderedBytesReadAsTheStringWindowsPrints() {
    // DataWriteGuid bytes of a qemu-img 7.2 image, which libvhdi prints as shown.
    byte[] b = HexFormat.of().parseHex("ba5ac624918d44e1862b0cfbf8648802");
    assertEquals(UUID.fromString("24c65aba-8d91-e144-862b-0cfbf8648802"), MsGuid.read(b, 0));
  }

  @Test
  void formatIsLowercaseInBraces() {
    assertEquals("{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}",
        MsGuid.format(UUID.fromString("83ED0EC3-24C8-49A6-A959-5E4BF1288BFB")));
  }

  @Test
  void parseAcceptsCaseAndBracesButNothingElse() {
    UUID id = UUID.fromString("83ed0ec3-24c8-49a6-a959-5e4bf1288bfb");
    assertEquals(Optional.of(id), MsGuid.parse("{83ED0EC3-24C8-49A6-A959-5E4BF1288BFB}"));
    assertEquals(Optional.of(id), MsGuid.parse("83ed0ec3-24c8-49a6-a959-5e4bf1288bfb"));
    assertEquals(Optional.of(id), MsGuid.parse(" {83ed0ec3-24c8-49a6-a959-5e4bf1288bfb} "));
    assertTrue(MsGuid.parse("1-2-3-4-5").isEmpty());
    assertTrue(MsGuid.parse("{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb").isEmpty());
    assertTrue(MsGuid.parse("83ed0ec324c849a6a9595e4bf1288bfb").isEmpty());
    assertTrue(MsGuid.parse("").isEmpty());
  }
}
