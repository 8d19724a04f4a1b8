package io.vhdfs.disk;

import io.vhdfs.format.DynamicHeader;
import io.vhdfs.format.Footer;

/**
 * A snapshot of an image's metadata.
 *
 * @param footer the footer in use
 * @param header the dynamic header, or {@code null} for a fixed image
 * @param size the visible size in bytes
 * @param allocatedBlocks allocated BAT entries (0 for a fixed image)
 * @param hostSize the image file's length
 */
public record DiskInfo(Footer footer, DynamicHeader header, long size, long allocatedBlocks,
    long hostSize) {}
