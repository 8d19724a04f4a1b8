/**
 * The format-neutral engine: a virtual disk ({@link io.vhdfs.disk.VirtualDisk}) and the
 * interfaces a format implements to get one ({@link io.vhdfs.disk.ImageFormat}, {@link
 * io.vhdfs.disk.DiskLayer}, {@link io.vhdfs.disk.BlockMap}, {@link io.vhdfs.disk.ParentLink},
 * and {@link io.vhdfs.disk.DiskInfo}); and what every format shares: the host file
 * ({@code HostFile}, any provider), opening by signature ({@code DiskOpener}), parent lookup and
 * chains ({@code ParentLookup}, {@code ParentChain}: host paths, {@code parentRoot}, ids, loops
 * and the 32-image limit), the read path ({@code SectorMapper}, {@code SparseReader},
 * {@code Backing}), images in place ({@code FlatDisk}), sharing open disks in the JVM
 * ({@code OpenDisks}), QEMU's image locks, hosts that cannot update in place, extents, and
 * check findings.
 *
 * <p>Design note. What two formats would each need is written once, here: a format tells where
 * its blocks are and what its parent link says, and the engine turns that into runs, reads,
 * extents and an open parent chain. So both formats read at the same speed through the same code,
 * and a crafted chain meets the same limits whatever its format. The engine knows no format: the
 * list of formats is handed to it (in a {@code ParentChain}) from above.
 *
 * <p>Import rule: the root only. Nothing here imports {@code java.nio.file.spi}.
 */
package io.vhdfs.disk;
