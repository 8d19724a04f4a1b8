package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.testing.QemuTools;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Images of formats vhdfs does not open are refused by name, not as a VHD without a footer. */
class ForeignFormatRefusalTest {
  @TempDir Path dir;

  private static IOException refusal(Path image) {
    return assertThrows(IOException.class, () -> {
      try (FileChannel ch = FileChannel.open(Path.of(URI.create("vhd:"
          + image.toUri().getRawPath())), StandardOpenOption.READ)) {
        ch.size();
      }
    });
  }

  @ParameterizedTest
  @CsvSource({"qcow2, qcow2", "vmdk, VMDK", "vdi, VDI"})
  void qemuImagesOfOtherFormatsAreNamedInTheRefusal(String format, String named) {
    QemuTools qemu = QemuTools.require();
    Path image = dir.resolve("disk." + format);
    qemu.qemuImg("create", "-q", "-f", format, image.toString(), "16M");
    IOException e = refusal(image);
    assertTrue(e.getMessage().contains("this is a " + named + " image; vhd: opens VHD and VHDX"),
        e.getMessage());
  }

  @Test
  void aVmdkDescriptorTextIsNamedToo() throws IOException {
    Path image = Files.writeString(dir.resolve("d.vmdk"),
        "# Disk DescriptorFile\nversion=1\n" + "x".repeat(600));
    IOException e = refusal(image);
    assertTrue(e.getMessage().contains("this is a VMDK image"), e.getMessage());
  }

  @Test
  void aPlainFileKeepsTheVhdRefusal() throws IOException {
    Path image = Files.write(dir.resolve("plain.bin"), new byte[4096]);
    IOException e = refusal(image);
    assertTrue(e.getMessage().contains("conectix"), e.getMessage());
  }
}
