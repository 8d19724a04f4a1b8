/**
 * vhdfs: a {@code java.nio.file} provider for virtual disk images under the {@code vhd:} scheme.
 * This package holds what every layer and every user shares: the env keys ({@link
 * io.vhdfs.VhdEnv}) and the exception a malformed image is refused with ({@link
 * io.vhdfs.VhdFormatException}). The provider itself is in {@link io.vhdfs.nio}.
 *
 * <p>The packages, from the user down to the bytes; each may use only those listed with it, and
 * this one, so data flows down and no two packages need each other ({@code
 * PackageDependencyTest} pins it):
 *
 * <table>
 * <caption>packages</caption>
 * <tr><th>package</th><th>owns</th><th>may use</th></tr>
 * <tr><td>{@code nio}</td><td>the provider, file systems, paths, attributes,
 *   {@code VhdImages}</td><td>channel, image, partition, disk</td></tr>
 * <tr><td>{@code channel}</td><td>{@code DiskChannel}, a {@code FileChannel} over a disk</td>
 *   <td>disk</td></tr>
 * <tr><td>{@code image}</td><td>whole-image operations, and the list of formats</td><td>disk,
 *   partition, vhd, vhdx</td></tr>
 * <tr><td>{@code partition}</td><td>MBR and GPT, partitions as disks</td><td>disk</td></tr>
 * <tr><td>{@code vhd}, {@code vhdx}</td><td>one format each: codecs, validation, writing</td>
 *   <td>disk</td></tr>
 * <tr><td>{@code disk}</td><td>the format-neutral engine and the interfaces a format
 *   implements</td><td>nothing but this package</td></tr>
 * </table>
 *
 * <p>Nothing here imports another package of ours.
 */
package io.vhdfs;
