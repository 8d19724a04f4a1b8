/**
 * Microsoft's VHD format: {@link io.vhdfs.vhd.VhdFormat} and all that is VHD's own. The codecs
 * ({@code Footer}, {@code DynamicHeader}, {@code Bat}, {@code SectorBitmap}, {@code Geometry},
 * {@code ParentLocator}) are immutable records and pure functions that do no I/O; {@code
 * VhdLayer} finds the footer and validates a file before a data byte is read; {@code
 * VhdBlockMap} shows its blocks to the shared read path; {@code VhdParentLinks} decodes its
 * parent locators; {@code VhdDynamicDisk} writes, in the order that keeps the file sound at every
 * moment; {@code VhdChecker}, {@code VhdCreator} and {@code VhdDescription} check, create and
 * describe images.
 *
 * <p>Design note. A format supplies only what is its own and fills the roles of the engine's
 * interfaces ({@code ImageFormat}, {@code DiskLayer}, {@code BlockMap}, {@code ParentLink}): how
 * a file is recognised, read, written and laid out. Reading, finding parents, chains, sharing,
 * locking and the host file are the engine's, the same for every format; a second format goes
 * beside this package, not into it. Only {@code VhdFormat} and what the image tools need to
 * write VHDs (the creator, footer and header) are public.
 *
 * <p>Import rule: the root and {@code disk}.
 */
package io.vhdfs.vhd;
