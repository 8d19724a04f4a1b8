package io.vhdfs.disk;

import io.vhdfs.format.Footer;

/**
 * The footer an image is opened with and where it was found.
 *
 * @param footer the decoded footer
 * @param offset its byte offset in the file
 * @param atEnd whether it is the footer at the end of the file (not the copy at offset 0)
 */
record LocatedFooter(Footer footer, long offset, boolean atEnd) {}
