package io.vhdfs;

/**
 * The keys of the env map given to {@code FileSystems.newFileSystem(URI or Path, env)}. Values may
 * be strings or their natural types ({@code Boolean}, {@code Number}, {@code Path}). A bad value is
 * an {@link IllegalArgumentException} naming the key; unknown keys are ignored.
 *
 * <table>
 * <caption>env keys</caption>
 * <tr><th>key</th><th>values</th><th>meaning</th></tr>
 * <tr><td>{@value #CREATE}</td><td>{@code true}</td><td>create the image; it must not exist</td></tr>
 * <tr><td>{@value #SIZE}</td><td>bytes, or with suffix K M G T (binary), a fraction before it allowed as in qemu-img ({@code 1.5G})</td><td>virtual size of a new image (at most 2040 GiB for a VHD, 64 TiB for a VHDX), a VHD's rounded up to a CHS geometry as qemu-img does unless {@value #EXACT_SIZE}</td></tr>
 * <tr><td>{@value #TYPE}</td><td>{@code dynamic}, {@code fixed}, {@code differencing}</td><td>type of a new image; {@code dynamic} by default; {@code differencing} needs {@value #PARENT}</td></tr>
 * <tr><td>{@value #PARENT}</td><td>path, or URI of an installed provider ({@code s3://bucket/base.vhd})</td><td>parent of a new differencing image, relative to the new image's directory unless absolute; a parent on another host is recorded by its URI. Opening an image that exists: its parent, in place of the places the image records (its id must match unless {@value #IGNORE_PARENT_ID}); its own parents are found as they record them</td></tr>
 * <tr><td>{@value #BLOCK_SIZE}</td><td>bytes, power of two</td><td>block size of a new sparse image (VHD 2 MiB; VHDX 32 MiB, from 1 to 256 MiB)</td></tr>
 * <tr><td>{@value #EXACT_SIZE}</td><td>{@code true}</td><td>keep a new image's size to the byte (a multiple of 512), geometry 65535/16/255</td></tr>
 * <tr><td>{@value #FORMAT}</td><td>{@code vhd}, {@code vhdx}</td><td>format of a new image; by default {@code vhdx} for a file name ending in {@code .vhdx}, else {@code vhd}</td></tr>
 * <tr><td>{@value #LOGICAL_SECTOR_SIZE}</td><td>{@code 512}, {@code 4096}</td><td>logical sector size of a new VHDX (512)</td></tr>
 * <tr><td>{@value #PHYSICAL_SECTOR_SIZE}</td><td>{@code 512}, {@code 4096}</td><td>physical sector size of a new VHDX (4096)</td></tr>
 * <tr><td>{@value #ACCESS_MODE}</td><td>{@code readWrite}, {@code readOnly}</td><td>how the image is opened; default: writable where the host file is</td></tr>
 * <tr><td>{@value #SIZE_FROM}</td><td>{@code chs}, {@code currentSize}</td><td>override the rule that picks an image's visible size</td></tr>
 * <tr><td>{@value #PARENT_ROOT}</td><td>directory, or URI of one on another host ({@code s3://bucket/images/})</td><td>open no parent image outside it (set it for images from untrusted sources)</td></tr>
 * <tr><td>{@value #IGNORE_PARENT_ID}</td><td>{@code true}</td><td>open a child whose parent's unique id does not match</td></tr>
 * <tr><td>{@value #LOCKING}</td><td>{@code auto}, {@code on}, {@code off}</td><td>take part in QEMU's image locking: {@code auto} (default) where the host file system has locks other processes see (the platform's own), {@code on} refuses hosts without, {@code off} neither locks nor checks (read while another process writes, as {@code qemu-img -U} does)</td></tr>
 * <tr><td>{@value #CACHE_SIZE}</td><td>bytes, or with suffix K M G T; {@code 0} for none</td><td>on a host whose channels are not {@code FileChannel}s, where every read is a request (an object store such as S3): the most bytes of the image's file held in memory, in 1 MiB pieces shared by all its channels (and each parent's), fetched up to 8 MiB a request with read-ahead when reads run in order (64 MiB)</td></tr>
 * </table>
 */
public final class VhdEnv {
  /** Create the image; it must not exist. */
  public static final String CREATE = "create";
  /** Virtual size of a new image. */
  public static final String SIZE = "size";
  /** Disk type of a new image. */
  public static final String TYPE = "type";
  /** Parent image of a new differencing image; opening one that exists, its parent. */
  public static final String PARENT = "parent";
  /** Block size of a new dynamic or differencing image. */
  public static final String BLOCK_SIZE = "blockSize";
  /** Keep a new image's size to the byte instead of rounding it up to a CHS geometry. */
  public static final String EXACT_SIZE = "exactSize";
  /** {@code vhd} or {@code vhdx}: format of a new image; by default from its file name. */
  public static final String FORMAT = "format";
  /** 512 or 4096: logical sector size of a new VHDX (512). */
  public static final String LOGICAL_SECTOR_SIZE = "logicalSectorSize";
  /** 512 or 4096: physical sector size of a new VHDX (4096). */
  public static final String PHYSICAL_SECTOR_SIZE = "physicalSectorSize";
  /** {@code readWrite} or {@code readOnly}. */
  public static final String ACCESS_MODE = "accessMode";
  /** {@code chs} or {@code currentSize}: which footer field gives an existing image's size. */
  public static final String SIZE_FROM = "sizeFrom";
  /** A directory outside of which no parent image is opened. */
  public static final String PARENT_ROOT = "parentRoot";
  /** Open a child even when its parent's unique id does not match. */
  public static final String IGNORE_PARENT_ID = "ignoreParentId";
  /** {@code auto}, {@code on} or {@code off}: whether to take part in QEMU's image locking. */
  public static final String LOCKING = "locking";
  /**
   * Bytes of an image's file held in memory, shared by its channels, where its host has no
   * {@code FileChannel} and every read is a request (an object store).
   */
  public static final String CACHE_SIZE = "cacheSize";

  private VhdEnv() {}
}
