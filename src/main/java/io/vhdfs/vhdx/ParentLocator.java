package io.vhdfs.vhdx;

import io.vhdfs.VhdFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The Parent Locator metadata item of a differencing disk: the parent's identity and the paths it
 * may be found by, as UTF-16 key/value pairs.
 *
 * <p>Decoding checks the locator type (the VHDX parent locator, the only one defined), that every
 * key and value lies inside the item, is non-empty, whole UTF-16 without NULs, that keys are
 * unique, that {@code parent_linkage} is a GUID (and {@code parent_linkage2} too when present),
 * and that at least one path key is present. GUID text is read leniently (case, braces) because
 * writers differ; {@link MsGuid#format} gives the one form to write.
 *
 * @param locatorType {@link #VHDX_PARENT_LOCATOR}
 * @param entries the pairs in item order, keys case-sensitive
 */
record ParentLocator(UUID locatorType, Map<String, String> entries) {
  /** The locator type of a VHDX parent, B04AEFB7-D19E-4A81-B789-25B8E9445913. */
  public static final UUID VHDX_PARENT_LOCATOR =
      UUID.fromString("B04AEFB7-D19E-4A81-B789-25B8E9445913");
  /** Key of the parent's DataWriteGuid at the time the child was made. */
  public static final String PARENT_LINKAGE = "parent_linkage";
  /** Key of a second accepted parent identity, used during merges. */
  public static final String PARENT_LINKAGE2 = "parent_linkage2";
  /** Key of the path relative to the child's directory, {@code \} separated. */
  public static final String RELATIVE_PATH = "relative_path";
  /** Key of the volume-GUID path. */
  public static final String VOLUME_PATH = "volume_path";
  /** Key of the absolute Win32 path. */
  public static final String ABSOLUTE_WIN32_PATH = "absolute_win32_path";
  /**
   * vhdfs's key of the URI of a parent on another host than the child's ({@code
   * s3://bucket/base.vhdx}), where no Windows path leads; other readers pass over keys they do
   * not know.
   */
  public static final String VHDFS_PARENT_URI = "vhdfs_parent_uri";
  /** The path keys in the order the spec says to try them. */
  public static final List<String> PATH_KEYS =
      List.of(RELATIVE_PATH, VOLUME_PATH, ABSOLUTE_WIN32_PATH);

  private static final int HEADER_SIZE = 20;
  private static final int ENTRY_SIZE = 12;

  /** Copies the entries, keeping their order. */
  public ParentLocator {
    Objects.requireNonNull(locatorType, "locatorType");
    entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    for (Map.Entry<String, String> e : entries.entrySet()) {
      for (String s : List.of(e.getKey(), e.getValue())) {
        if (s.isEmpty() || s.length() > 0x7FFF) {
          throw new IllegalArgumentException("locator keys and values hold 1 to 32767 units");
        }
      }
    }
  }

  /**
   * Decodes and checks the item's value.
   *
   * @param at the value's file offset, for messages
   */
  public static ParentLocator decode(byte[] b, String file, long at) throws VhdFormatException {
    if (b.length < HEADER_SIZE) {
      throw new VhdFormatException(file, at, "parent locator item of " + b.length
          + " bytes cannot hold its 20-byte header");
    }
    UUID type = MsGuid.read(b, 0);
    if (!type.equals(VHDX_PARENT_LOCATOR)) {
      throw new VhdFormatException(file, at, "unknown parent locator type " + type);
    }
    int count = LittleEndian.uint16(b, 18);
    if (HEADER_SIZE + (long) count * ENTRY_SIZE > b.length) {
      throw new VhdFormatException(file, at + 18, "parent locator claims " + count
          + " entries, more than its " + b.length + " bytes hold");
    }
    Map<String, String> entries = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      int off = HEADER_SIZE + i * ENTRY_SIZE;
      long entryAt = at + off;
      String key = string(b, LittleEndian.uint32(b, off), LittleEndian.uint16(b, off + 8),
          "key of parent locator entry " + i, file, entryAt);
      String value = string(b, LittleEndian.uint32(b, off + 4), LittleEndian.uint16(b, off + 10),
          "value of parent locator entry " + i + " (" + key + ")", file, entryAt);
      if (entries.put(key, value) != null) {
        throw new VhdFormatException(file, entryAt, "parent locator key '" + key
            + "' appears twice");
      }
    }
    String linkage = entries.get(PARENT_LINKAGE);
    if (linkage == null) {
      throw new VhdFormatException(file, at, "parent locator has no parent_linkage");
    }
    for (String key : List.of(PARENT_LINKAGE, PARENT_LINKAGE2)) {
      String text = entries.get(key);
      if (text != null && MsGuid.parse(text).isEmpty()) {
        throw new VhdFormatException(file, at, "parent locator " + key + " '" + text
            + "' is not a GUID");
      }
    }
    if (PATH_KEYS.stream().noneMatch(entries::containsKey)) {
      throw new VhdFormatException(file, at, "parent locator has no relative_path, volume_path "
          + "or absolute_win32_path");
    }
    return new ParentLocator(type, entries);
  }

  private static String string(byte[] b, long offset, int length, String what, String file,
      long at) throws VhdFormatException {
    if (offset == 0 || length == 0) {
      throw new VhdFormatException(file, at, what + " has offset " + offset + " and length "
          + length + "; both must be non-zero");
    }
    if (offset + length > b.length) {
      throw new VhdFormatException(file, at, what + " (" + length + " bytes at " + offset
          + ") lies past the locator's end (" + b.length + " bytes)");
    }
    if (length % 2 != 0) {
      throw new VhdFormatException(file, at, what + " has an odd length " + length
          + "; UTF-16 needs whole code units");
    }
    CharsetDecoder utf16 = StandardCharsets.UTF_16LE.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    String s;
    try {
      s = utf16.decode(ByteBuffer.wrap(b, (int) offset, length)).toString();
    } catch (CharacterCodingException e) {
      throw new VhdFormatException(file, at, what + " is not valid UTF-16");
    }
    if (s.indexOf('\0') >= 0) {
      throw new VhdFormatException(file, at, what + " contains a NUL character");
    }
    return s;
  }

  /** The parent's DataWriteGuid as the child recorded it. */
  public UUID parentLinkage() {
    return MsGuid.parse(entries.get(PARENT_LINKAGE)).orElseThrow();
  }

  /** The second accepted parent identity, when present. */
  public Optional<UUID> parentLinkage2() {
    return Optional.ofNullable(entries.get(PARENT_LINKAGE2)).flatMap(MsGuid::parse);
  }

  /** The value of {@code key}, when present. */
  public Optional<String> get(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  /** Whether {@code id} (a parent's current DataWriteGuid) is an identity this child accepts. */
  public boolean accepts(UUID id) {
    return parentLinkage().equals(id) || parentLinkage2().filter(id::equals).isPresent();
  }

  /**
   * The path values present, in the order the spec says to try them: relative_path, volume_path,
   * absolute_win32_path, as stored (Windows separators).
   */
  public List<String> parentPaths() {
    List<String> paths = new ArrayList<>();
    for (String key : PATH_KEYS) {
      String v = entries.get(key);
      if (v != null) {
        paths.add(v);
      }
    }
    return paths;
  }

  /** The item's value: header, entry table, then the strings packed in entry order. */
  public byte[] encode() {
    int count = entries.size();
    List<byte[]> strings = new ArrayList<>();
    int size = HEADER_SIZE + count * ENTRY_SIZE;
    for (Map.Entry<String, String> e : entries.entrySet()) {
      byte[] k = e.getKey().getBytes(StandardCharsets.UTF_16LE);
      byte[] v = e.getValue().getBytes(StandardCharsets.UTF_16LE);
      strings.add(k);
      strings.add(v);
      size += k.length + v.length;
    }
    byte[] b = new byte[size];
    MsGuid.write(b, 0, locatorType);
    LittleEndian.putInt16(b, 18, count);
    int data = HEADER_SIZE + count * ENTRY_SIZE;
    for (int i = 0; i < count; i++) {
      int off = HEADER_SIZE + i * ENTRY_SIZE;
      byte[] k = strings.get(2 * i);
      byte[] v = strings.get(2 * i + 1);
      LittleEndian.putInt32(b, off, data);
      System.arraycopy(k, 0, b, data, k.length);
      data += k.length;
      LittleEndian.putInt32(b, off + 4, data);
      System.arraycopy(v, 0, b, data, v.length);
      data += v.length;
      LittleEndian.putInt16(b, off + 8, k.length);
      LittleEndian.putInt16(b, off + 10, v.length);
    }
    return b;
  }
}
