package io.vhdfs.nio;

import io.vhdfs.VhdEnv;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskType;
import io.vhdfs.disk.ImageFormat;
import io.vhdfs.disk.Locking;
import io.vhdfs.disk.NewImage;
import io.vhdfs.disk.SizeRule;
import io.vhdfs.image.Formats;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The env map of {@code newFileSystem}, parsed and validated once. Unknown keys are ignored; a bad
 * value is an {@link IllegalArgumentException} that names the key.
 */
record FileSystemConfig(
    boolean create,
    long size,
    DiskType type,
    String parent,
    int blockSize,
    boolean exactSize,
    ImageFormat format,
    int logicalSectorSize,
    int physicalSectorSize,
    AccessMode accessMode,
    SizeRule sizeRule,
    String parentRoot,
    boolean ignoreParentId,
    Locking locking,
    long cacheSize) {

  enum AccessMode { DEFAULT, READ_WRITE, READ_ONLY }

  /**
   * How the parents of a differencing image are found and checked: opening an image that
   * exists, {@code parent} names its parent in place of the places the image records; creating
   * one, it names the new image's parent, whose own parents are found as they record them.
   */
  ChainOptions chainOptions() {
    return new ChainOptions(parentRoot, ignoreParentId, locking, create ? null : parent,
        cacheSize);
  }

  /**
   * The new image the env asks for: its type, size, block size (the format's default where none
   * is given), exactSize and sector sizes (0 where none is given).
   */
  NewImage newImage() {
    return newImage(format, type, size, blockSize, exactSize, logicalSectorSize,
        physicalSectorSize);
  }

  private static NewImage newImage(ImageFormat format, DiskType type, long size, int blockSize,
      boolean exactSize, int logicalSectorSize, int physicalSectorSize) {
    return new NewImage(type, size, blockSize == 0 ? format.defaultBlockSize() : blockSize,
        exactSize, logicalSectorSize, physicalSectorSize);
  }

  static final int DEFAULT_BLOCK_SIZE = 2 << 20;
  /** The block sizes any format may take; each format narrows them when it creates an image. */
  private static final long MIN_BLOCK_SIZE = 512;
  private static final long MAX_BLOCK_SIZE = 256 << 20;

  /** What an image opened through {@code Path.of(URI)} gets: no env at all. */
  static FileSystemConfig defaults() {
    return parse(Map.of());
  }

  static FileSystemConfig parse(Map<String, ?> env) {
    return parse(env, null);
  }

  /**
   * The env of {@code newFileSystem} for the image {@code image}, whose file name picks the
   * format of a new image when {@value VhdEnv#FORMAT} does not ({@code null}: the default).
   */
  static FileSystemConfig parse(Map<String, ?> env, Path image) {
    if (env == null) {
      throw new NullPointerException("env");
    }
    boolean create = bool(env, VhdEnv.CREATE);
    long size = env.containsKey(VhdEnv.SIZE) ? sizeValue(env, VhdEnv.SIZE) : 0;
    DiskType type = DiskType.DYNAMIC;
    if (env.containsKey(VhdEnv.TYPE)) {
      type = DiskType.fromLabel(string(env, VhdEnv.TYPE));
      if (type == null) {
        throw bad(VhdEnv.TYPE, env, "dynamic, fixed or differencing");
      }
    }
    int blockSize = 0;
    if (env.containsKey(VhdEnv.BLOCK_SIZE)) {
      long b = sizeValue(env, VhdEnv.BLOCK_SIZE);
      if (b < MIN_BLOCK_SIZE || b > MAX_BLOCK_SIZE || Long.bitCount(b) != 1) {
        throw bad(VhdEnv.BLOCK_SIZE, env, "a power of two from 512 bytes to 256 MiB");
      }
      blockSize = (int) b;
    }
    AccessMode mode = AccessMode.DEFAULT;
    if (env.containsKey(VhdEnv.ACCESS_MODE)) {
      String m = string(env, VhdEnv.ACCESS_MODE);
      if (m.equalsIgnoreCase("readWrite")) {
        mode = AccessMode.READ_WRITE;
      } else if (m.equalsIgnoreCase("readOnly")) {
        mode = AccessMode.READ_ONLY;
      } else {
        throw bad(VhdEnv.ACCESS_MODE, env, "readWrite or readOnly");
      }
    }
    String formatName = env.containsKey(VhdEnv.FORMAT) ? string(env, VhdEnv.FORMAT) : null;
    ImageFormat format = image == null && formatName == null ? Formats.forNewImages()
        : Formats.forNewImage(image, formatName);
    if (format == null) {
      throw bad(VhdEnv.FORMAT, env, "vhd or vhdx");
    }
    int logical = sectorSize(env, VhdEnv.LOGICAL_SECTOR_SIZE);
    int physical = sectorSize(env, VhdEnv.PHYSICAL_SECTOR_SIZE);
    if (create) {
      checkNewImage(env, format, newImage(format, type, size, blockSize,
          bool(env, VhdEnv.EXACT_SIZE), logical, physical));
    }
    if (create && mode == AccessMode.READ_ONLY) {
      throw new IllegalArgumentException(
          "env keys 'create' and 'accessMode=readOnly' contradict each other");
    }
    SizeRule rule = SizeRule.AUTO;
    if (env.containsKey(VhdEnv.SIZE_FROM)) {
      String s = string(env, VhdEnv.SIZE_FROM);
      if (s.equalsIgnoreCase("chs")) {
        rule = SizeRule.CHS;
      } else if (s.equalsIgnoreCase("currentSize")) {
        rule = SizeRule.CURRENT_SIZE;
      } else {
        throw bad(VhdEnv.SIZE_FROM, env, "chs or currentSize");
      }
    }
    Locking locking = Locking.AUTO;
    if (env.containsKey(VhdEnv.LOCKING)) {
      String l = string(env, VhdEnv.LOCKING);
      try {
        locking = Locking.valueOf(l.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw bad(VhdEnv.LOCKING, env, "auto, on or off");
      }
    }
    long cacheSize = env.containsKey(VhdEnv.CACHE_SIZE) ? sizeValue(env, VhdEnv.CACHE_SIZE)
        : ChainOptions.DEFAULT_CACHE_SIZE;
    return new FileSystemConfig(create, size, type, pathString(env, VhdEnv.PARENT), blockSize,
        bool(env, VhdEnv.EXACT_SIZE), format, logical, physical, mode, rule,
        pathString(env, VhdEnv.PARENT_ROOT), bool(env, VhdEnv.IGNORE_PARENT_ID), locking,
        cacheSize);
  }

  /** The limits of a new image, checked before anything is written. */
  private static void checkNewImage(Map<String, ?> env, ImageFormat format, NewImage spec) {
    if (spec.type() == DiskType.DIFFERENCING) {
      if (pathString(env, VhdEnv.PARENT) == null) {
        throw bad(VhdEnv.PARENT, env, "the parent image of the new differencing image");
      }
      if (spec.size() != 0) {
        throw bad(VhdEnv.SIZE, env, "0 or no size: a differencing image has its parent's size");
      }
    } else if (spec.size() <= 0) {
      throw bad(VhdEnv.SIZE, env, "the virtual size of the new image, more than 0 bytes");
    }
    NewImage.Refusal refusal = format.refuse(spec);
    if (refusal != null) {
      throw bad(refusal.key(), env, refusal.expected());
    }
  }

  /** 512 or 4096, or 0 where {@code key} is absent. */
  private static int sectorSize(Map<String, ?> env, String key) {
    if (!env.containsKey(key)) {
      return 0;
    }
    Object v = env.get(key);
    String s = v instanceof Number n ? n.toString() : v instanceof String t ? t.trim() : "";
    if (!s.equals("512") && !s.equals("4096")) {
      throw bad(key, env, "512 or 4096");
    }
    return Integer.parseInt(s);
  }

  private static boolean bool(Map<String, ?> env, String key) {
    Object v = env.get(key);
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw bad(key, env, "true or false");
  }

  private static String string(Map<String, ?> env, String key) {
    Object v = env.get(key);
    if (v instanceof String s) {
      return s.trim();
    }
    if (v instanceof Enum<?> e) {
      return e.name();
    }
    throw bad(key, env, "a string");
  }

  private static String pathString(Map<String, ?> env, String key) {
    Object v = env.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Path p) {
      return p.toString();
    }
    if (v instanceof String s && !s.isBlank()) {
      return s;
    }
    throw bad(key, env, "a path");
  }

  /**
   * Bytes as a string with an optional binary suffix K, M, G or T, before which a decimal
   * fraction may stand, as qemu-img takes them ("1.5G": whole bytes, truncated).
   *
   * @throws IllegalArgumentException saying what is expected, if {@code text} is not that
   */
  static long parseSize(String text) {
    String s = text.trim().toUpperCase(Locale.ROOT);
    int shift = 0;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
    if (shift > 0 && digits.matches("\\d+\\.\\d+")) {
      BigDecimal bytes = new BigDecimal(digits).multiply(BigDecimal.valueOf(1L << shift));
      if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        throw new IllegalArgumentException("a non-negative size that fits 63 bits");
      }
      return bytes.longValue();
    }
    try {
      long n = Long.parseLong(digits);
      if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
        throw new IllegalArgumentException("a non-negative size that fits 63 bits");
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bytes, optionally with suffix K, M, G or T (1.5G)");
    }
  }

  /**
   * Bytes as a number, or a string with an optional binary suffix K, M, G or T, before which a
   * decimal fraction may stand.
   */
  private static long sizeValue(Map<String, ?> env, String key) {
    Object v = env.get(key);
    if (v instanceof Number n) {
      if (n instanceof Double || n instanceof Float || n.longValue() < 0) {
        throw bad(key, env, "a whole, non-negative number of bytes");
      }
      return n.longValue();
    }
    if (!(v instanceof String)) {
      throw bad(key, env, "bytes, optionally with suffix K, M, G or T");
    }
    try {
      return parseSize((String) v);
    } catch (IllegalArgumentException e) {
      throw bad(key, env, e.getMessage());
    }
  }

  private static IllegalArgumentException bad(String key, Map<String, ?> env, String expected) {
    return new IllegalArgumentException(
        "env key '" + key + "': bad value '" + env.get(key) + "', expected " + expected);
  }
}
