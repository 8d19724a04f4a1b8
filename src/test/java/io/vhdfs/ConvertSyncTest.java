package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.vhdfs.nio.VhdImages;
import io.vhdfs.nio.VhdImages.ConvertOptions;
import io.vhdfs.testing.Chains;
import io.vhdfs.testing.ForwardingHostFileSystem;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code ConvertOptions.sync(false)} ({@code vhd convert --no-sync}, issue 14 item 5): the result
 * is the same, but the data of a raw or VHDX result is never forced, as plain
 * {@code qemu-img convert} does not force its target; by default it is forced before it takes its
 * name.
 */
final class ConvertSyncTest {
  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = ConvertOptions.Format.class, names = {"RAW", "VHDX"})
  void withoutSyncTheResultIsTheSameAndNothingIsForced(ConvertOptions.Format format)
      throws IOException {
    byte[] disk = new byte[6 * MIB];
    System.arraycopy(Chains.randomBytes(3 * MIB, 9), 0, disk, MIB, 3 * MIB);
    Path raw = Files.write(dir.resolve("source.raw"), disk);
    try (FileSystem jimfs = Jimfs.newFileSystem(Configuration.unix())) {
      ForwardingHostFileSystem host = ForwardingHostFileSystem.over(jimfs);
      Files.createDirectories(jimfs.getPath("/out"));
      String ext = format == ConvertOptions.Format.RAW ? ".raw" : ".vhdx";

      VhdImages.convert(raw, host.wrap(jimfs.getPath("/out/synced" + ext)),
          ConvertOptions.DEFAULT.to(format), Map.of(), VhdImages.Progress.NONE);
      int forced = host.log().forces().size();
      assertTrue(forced > 0, "the default forces the result");

      VhdImages.convert(raw, host.wrap(jimfs.getPath("/out/unsynced" + ext)),
          ConvertOptions.DEFAULT.to(format).sync(false), Map.of(), VhdImages.Progress.NONE);
      // A new VHDX's empty structure is made whole or not at all (NewImageFile), forced once
      // before any data goes in; the data itself is never forced.
      int created = format == ConvertOptions.Format.VHDX ? 1 : 0;
      assertEquals(forced + created, host.log().forces().size(),
          "sync(false) forced the result's data");

      for (String name : new String[] {"synced", "unsynced"}) {
        Path made = jimfs.getPath("/out/" + name + ext);
        byte[] read = format == ConvertOptions.Format.RAW ? Files.readAllBytes(made)
            : Chains.readDisk(made);
        assertArrayEquals(disk, read, name);
      }
    }
  }
}
