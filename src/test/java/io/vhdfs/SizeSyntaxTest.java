package io.vhdfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vhdfs.nio.VhdImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link VhdImages#parseSize}: the size syntax of the size env key, for sizes given as text. */
final class SizeSyntaxTest {
  @ParameterizedTest
  @CsvSource({"0, 0", "512, 512", "4k, 4096", "64M, 67108864", "1.5G, 1610612736",
      " 2T , 2199023255552", "0.5k, 512"})
  void sizesReadAsBytes(String text, long bytes) {
    assertEquals(bytes, VhdImages.parseSize(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "G", "12Q", "-1", "1.5", "9000000T", "1e3", "0x10"})
  void otherTextIsRefusedSayingWhatIsExpected(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VhdImages.parseSize(text));
    assertTrue(e.getMessage().contains("size") || e.getMessage().contains("suffix"),
        e.getMessage());
  }
}
