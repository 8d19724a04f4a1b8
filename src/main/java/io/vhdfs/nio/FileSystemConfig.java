package io.vhdfs.nio;

import io.vhdfs.VhdEnv;
import io.vhdfs.disk.ChainOptions;
import io.vhdfs.disk.DiskType;
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
    AccessMode accessMode,
    SizeRule sizeRule,
    String parentRoot,
    boolean ignoreParentId,
    Locking locking) {

  enum AccessMode { DEFAULT, READ_WRITE, READ_ONLY }

  /** How the parents of a differencing image are found and checked. */
  ChainOptions chainOptions() {
    return new ChainOptions(parentRoot, ignoreParentId, locking);
  }

  /** The new image the env asks for: its type, size, block size and exactSize. */
  NewImage newImage() {
    return new NewImage(type, size, blockSize, exactSize);
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
    int blockSize = DEFAULT_BLOCK_SIZE;
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
    if (create) {
      checkNewImage(env, type, size, blockSize, bool(env, VhdEnv.EXACT_SIZE));
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
    return new FileSystemConfig(create, size, type, pathString(env, VhdEnv.PARENT), blockSize,
        bool(env, VhdEnv.EXACT_SIZE), mode, rule, pathString(env, VhdEnv.PARENT_ROOT),
        bool(env, VhdEnv.IGNORE_PARENT_ID), locking);
  }

  /** The limits of a new image, checked before anything is written. */
  private static void checkNewImage(Map<String, ?> env, DiskType type, long size, int blockSize,
      boolean exactSize) {
    if (type == DiskType.DIFFERENCING) {
      if (pathString(env, VhdEnv.PARENT) == null) {
        throw bad(VhdEnv.PARENT, env, "the parent image of the new differencing image");
      }
      if (size != 0) {
        throw bad(VhdEnv.SIZE, env, "0 or no size: a differencing image has its parent's size");
      }
      return;
    }
    if (size <= 0) {
      throw bad(VhdEnv.SIZE, env, "the virtual size of the new image, more than 0 bytes");
    }
    NewImage.Refusal refusal = Formats.forNewImages()
        .refuse(new NewImage(type, size, blockSize, exactSize));
    if (refusal != null) {
      throw bad(refusal.key(), env, refusal.expected());
    }
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
    String s = ((String) v).trim().toUpperCase(Locale.ROOT);
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
      // As qemu-img takes them: a fraction with a suffix, whole bytes truncated ("1.5G").
      BigDecimal bytes = new BigDecimal(digits).multiply(BigDecimal.valueOf(1L << shift));
      if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        throw bad(key, env, "a non-negative size that fits 63 bits");
      }
      return bytes.longValue();
    }
    try {
      long n = Long.parseLong(digits);
      if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
        throw bad(key, env, "a non-negative size that fits 63 bits");
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw bad(key, env, "bytes, optionally with suffix K, M, G or T (1.5G)");
    }
  }

  private static IllegalArgumentException bad(String key, Map<String, ?> env, String expected) {
    return new IllegalArgumentException(
        "env key '" + key + "': bad value '" + env.get(key) + "', expected " + expected);
  }
}
