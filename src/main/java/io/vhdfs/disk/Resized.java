package io.vhdfs.disk;

/**
 * What resizing an image did.
 *
 * @param oldSize the virtual size before
 * @param newSize the virtual size after: the size asked for, rounded as the format rounds a new
 *     image's size
 * @param moved what had to move to make room (the block table), or {@code null} when nothing did
 */
public record Resized(long oldSize, long newSize, String moved) {}
