package io.vhdfs.vhdx;

import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * GUIDs as VHDX stores them: Microsoft's mixed-endian layout (Data1 a little-endian u32, Data2 and
 * Data3 little-endian u16s, then eight bytes as they are), mapped to and from {@link UUID}.
 *
 * <p>The mapping is a bijection on 16-byte values, so comparing the {@code UUID}s compares the raw
 * bytes; values are treated as opaque (QEMU writes RFC-ordered random bytes into these fields) and
 * a {@code UUID}'s {@code toString} is the form Windows prints.
 */
final class MsGuid {
  /** The all-zero GUID: "no log", "no parent". */
  public static final UUID ZERO = new UUID(0, 0);

  private static final Pattern TEXT = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private MsGuid() {}

  /** The GUID stored in {@code b[off, off+16)}. */
  public static UUID read(byte[] b, int off) {
    long high = ((long) LittleEndian.int32(b, off) << 32)
        | ((long) LittleEndian.uint16(b, off + 4) << 16) | LittleEndian.uint16(b, off + 6);
    long low = 0;
    for (int i = 8; i < 16; i++) {
      low = (low << 8) | (b[off + i] & 0xFF);
    }
    return new UUID(high, low);
  }

  /** Stores {@code id} in {@code b[off, off+16)}. */
  public static void write(byte[] b, int off, UUID id) {
    long high = id.getMostSignificantBits();
    LittleEndian.putInt32(b, off, (int) (high >>> 32));
    LittleEndian.putInt16(b, off + 4, (int) (high >>> 16));
    LittleEndian.putInt16(b, off + 6, (int) high);
    long low = id.getLeastSignificantBits();
    for (int i = 15; i >= 8; i--) {
      b[off + i] = (byte) low;
      low >>>= 8;
    }
  }

  /** The 16 bytes that store {@code id}. */
  public static byte[] bytes(UUID id) {
    byte[] b = new byte[16];
    write(b, 0, id);
    return b;
  }

  /**
   * The text form parent locators hold: lowercase, in braces. libvhdi 20210425 rejects a
   * {@code parent_linkage} in upper case or without braces, so this is the only form written.
   */
  public static String format(UUID id) {
    return "{" + id.toString().toLowerCase(Locale.ROOT) + "}";
  }

  /**
   * Parses a GUID string leniently, as readers should: either case, with or without braces (both
   * or neither), surrounding blanks ignored; empty when it is not a GUID.
   */
  public static Optional<UUID> parse(String text) {
    String s = text.strip();
    if (s.startsWith("{") && s.endsWith("}") && s.length() >= 2) {
      s = s.substring(1, s.length() - 1);
    }
    if (!TEXT.matcher(s).matches()) {
      return Optional.empty();
    }
    return Optional.of(UUID.fromString(s));
  }

  static boolean isZero(UUID id) {
    return id.getMostSignificantBits() == 0 && id.getLeastSignificantBits() == 0;
  }
}
