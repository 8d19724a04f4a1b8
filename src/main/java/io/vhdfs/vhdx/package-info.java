/**
 * VHDX (Virtual Hard Disk v2): the on-disk structures, the BAT, and the log replay.
 *
 * <p>Design: the codecs are immutable records that decode from byte arrays and encode to them,
 * doing no I/O, and throw {@link io.vhdfs.VhdFormatException} with the file, the byte offset and
 * what is wrong. Where a structure has to be found in the file (metadata items, BAT pages, log
 * entries) the reader goes through {@link io.vhdfs.vhdx.ByteSource}, which the engine backs with
 * the host file, or with the host file seen through a replayed log
 * ({@link io.vhdfs.vhdx.LogOverlay#over}). Nothing is held in proportion to the disk: the BAT is
 * read in pages ({@link io.vhdfs.vhdx.BatReader}), the log is scanned sector by sector.
 *
 * <p>Opening order, as the spec requires: {@link io.vhdfs.vhdx.FileIdentifier}, the two headers
 * ({@link io.vhdfs.vhdx.HeaderChoice}), the log ({@link io.vhdfs.vhdx.LogReplay}) before anything
 * else, then over the replayed bytes the region tables
 * ({@link io.vhdfs.vhdx.RegionTableChoice}), {@link io.vhdfs.vhdx.StructureAreas}, the metadata
 * ({@link io.vhdfs.vhdx.VhdxMetadata}) and the BAT. The rules, and where QEMU and libvhdi depart
 * from them, are in {@code docs/vhdx-format.md}; each class cites the section it follows.
 *
 * <p>The format plugs into the engine as {@link io.vhdfs.vhdx.VhdxFormat}: a layer
 * ({@code VhdxLayer}) opened read-only, with a dirty log replayed in memory, whose
 * {@code VhdxBlockMap} feeds the shared read path; the parent link comes from the locator.
 * Made writable, the disk ({@code VhdxDisk}) first replays a dirty log onto the file, then
 * writes through {@code VhdxBlockWriter}: payload straight to the file, BAT and bitmap sectors
 * into {@code PendingSectors} (which the readers see at once) and from there through the log
 * ({@code LoggedMetadata}, {@code LogWriter}; headers by {@code HeaderPairWriter}). Resize,
 * compact and reparent change the file through the same log.
 * {@code VhdxChecker} reports what opening passes over (a bad header or region table copy, a log
 * still to apply) and what reading checks only lazily (every BAT entry); with a repair,
 * {@code VhdxRepair} writes the log's replay and the good copies to the file, headers by the
 * two-step protocol. {@code VhdxStructure} is every structure as opened, for {@code vhd info}.
 *
 * <p>Imports: the root package, {@code disk} (the plug-in interfaces) and the JDK only.
 */
package io.vhdfs.vhdx;
