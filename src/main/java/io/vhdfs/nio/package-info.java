/**
 * The {@code vhd:} file system provider and the public API: {@link
 * io.vhdfs.nio.VhdFileSystemProvider} (URIs, the registry, env keys), one file system per image
 * with {@code /disk} and a file per partition, the {@code vhd} attribute view ({@link
 * io.vhdfs.nio.VhdFileAttributes}), {@link io.vhdfs.nio.DiskExtents} and the whole-image
 * operations of {@link io.vhdfs.nio.VhdImages}.
 *
 * <p>Design note. This layer turns NIO calls into calls on the layers below and knows no image
 * format: it opens images through {@code image.Formats}, whatever their signature says they are;
 * what a format shows as attributes comes from the format ({@code DiskInfo.view}), and what a
 * format cannot do yet (write) is refused by the format's capabilities, checked once when a
 * channel opens for writing. The env is parsed once, here ({@code FileSystemConfig}); a format's
 * limits on new images come from the format.
 *
 * <p>Import rule: the root, {@code channel}, {@code image}, {@code partition} and {@code disk};
 * never a format package ({@code vhd}, {@code vhdx}).
 */
package io.vhdfs.nio;
