/**
 * Operations on whole images, above every format: describe, check (and repair), convert,
 * compare, map extents, commit a child into its parent, create; and {@link
 * io.vhdfs.image.Formats}, the one list of formats, in the order files are probed.
 *
 * <p>Design note. These tools work on what the engine's interfaces offer: a source is read through
 * its {@code VirtualDisk} (reads and {@code extents}), a child is committed through its layer's
 * {@code BlockMap} and {@code ParentLink}, and what is a format's own (its description, its
 * checker, how it lays out a new image) is asked of its {@code ImageFormat}; no tool reaches past
 * the interfaces into a format's classes. The format of a file is found by its signature, never
 * by its name; a format's capabilities (create, repair, commit, write) are checked once, here,
 * before anything is touched. Converting writes VHDs, so {@code Convert} uses the VHD creator
 * directly. The list of formats lives here, above them, because the engine below must not know
 * them and a format must not know the others.
 *
 * <p>Import rule: the root, {@code disk}, {@code partition}, {@code vhd} and {@code vhdx}.
 */
package io.vhdfs.image;
