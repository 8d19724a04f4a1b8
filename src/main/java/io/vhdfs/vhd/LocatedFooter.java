package io.vhdfs.vhd;

/**
 * The footer an image is opened with and where it was found.
 *
 * @param footer the decoded footer
 * @param raw its 512 bytes as stored (a 511-byte footer with its missing zero byte appended), so
 *     the footer written at a new end of file is byte-identical to the copy at offset 0 even where
 *     the reserved bytes are not zero
 * @param offset its byte offset in the file
 * @param atEnd whether it is the footer at the end of the file (not the copy at offset 0)
 */
record LocatedFooter(Footer footer, byte[] raw, long offset, boolean atEnd) {}
