package io.vhdfs.disk;

import io.vhdfs.vhd.DynamicHeader;
import io.vhdfs.vhd.Footer;
import java.nio.file.Path;

/**
 * A snapshot of an image's metadata.
 *
 * @param footer the footer in use
 * @param header the dynamic header, or {@code null} for a fixed image
 * @param size the visible size in bytes
 * @param allocatedBlocks allocated BAT entries (0 for a fixed image)
 * @param hostSize the image file's length
 * @param parent the real path of a differencing image's parent, or {@code null} for other
 *     images and for a child opened without its parent
 */
public record DiskInfo(Footer footer, DynamicHeader header, long size, long allocatedBlocks,
    long hostSize, Path parent) {}
